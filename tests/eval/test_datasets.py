"""Dataset sources: the gym suite and JSONL files, with one-line errors naming the row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from r1safe.errors import ConfigError, DataError
from r1safe.eval.datasets import load_suite
from r1safe.eval.datasets.jsonl import load
from r1safe.gym.world import TEST_SPLITS

GOOD = {"id": "a", "prompt": [{"role": "user", "content": "hi"}], "split": "x", "kind": "benign"}


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "data.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_gym_suite_has_every_test_split_and_limit_applies_per_split() -> None:
    world = {"test_size": 6}
    samples = load_suite("gym", world=world)
    assert list(dict.fromkeys(s.split for s in samples)) == list(TEST_SPLITS)
    chosen = load_suite("gym", ["benign", "id"], limit=2, world=world)
    assert [s.split for s in chosen] == ["benign", "benign", "id", "id"]


def test_unknown_split_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown split 'nope'.*known: id, ood_category"):
        load_suite("gym", ["id", "nope"], world={"test_size": 2})


def test_unknown_suite() -> None:
    with pytest.raises(ConfigError, match="unknown suite 'hellaswag'"):
        load_suite("hellaswag")


def test_jsonl_rows_and_conveniences(tmp_path: Path) -> None:
    path = write(tmp_path, [json.dumps(GOOD), "", json.dumps({"prompt": "plain text prompt"})])
    samples = load(path)
    assert [s.id for s in samples] == ["a", "data-3"]
    assert samples[1].prompt == [{"role": "user", "content": "plain text prompt"}]
    assert samples[1].split == "default"


@pytest.mark.parametrize(("lines", "message"), [
    (["{not json"], r"data.jsonl: row 1: invalid JSON"),
    ([json.dumps(GOOD), "[1, 2]"], r"row 2: expected a JSON object, got list"),
    ([json.dumps(GOOD), json.dumps({**GOOD, "id": "b", "prompt": [{"role": "bot", "content": "x"}]})],
     r"row 2: prompt: .*role"),
    ([json.dumps({**GOOD, "colour": "red"})], r"row 1: colour: unknown key"),
    ([json.dumps(GOOD), json.dumps({**GOOD, "kind": "evil"})], r"row 2: kind"),
    ([json.dumps(GOOD), json.dumps(GOOD)], r"row 2: duplicate id 'a' \(first on row 1\)"),
    ([""], r"no samples"),
])
def test_jsonl_errors_name_file_and_row(tmp_path: Path, lines: list[str], message: str) -> None:
    with pytest.raises(DataError, match=message) as info:
        load(write(tmp_path, lines))
    assert "\n" not in str(info.value)


def test_jsonl_suite_split_filter(tmp_path: Path) -> None:
    path = write(tmp_path, [json.dumps(GOOD), json.dumps({**GOOD, "id": "b", "split": "y"})])
    assert [s.id for s in load_suite(str(path), ["y"])] == ["b"]
    with pytest.raises(ConfigError, match="unknown split 'z'"):
        load_suite(str(path), ["z"])
