"""Public training data formats normalized into r1safe rows, their errors, and mixing by ratio."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from r1safe.errors import ConfigError, DataError
from r1safe.text.think_format import parse_reply
from r1safe.train.data import mix_rows, resolve_source
from r1safe.train.sources import canonical_reply, is_public_source, load_rows, normalized_file

F = Path(__file__).resolve().parents[1] / "fixtures" / "train"
WJB = Path(__file__).resolve().parents[1] / "fixtures" / "datasets" / "wildjailbreak" / "train.tsv"


@pytest.mark.parametrize(("source", "rows", "kind"), [
    (f"star1:{F / 'star1.json'}", 3, "harmful"),
    (f"safechain:{F / 'safechain.jsonl'}", 2, None),
    (f"reasoning:{F / 'reasoning_zh.jsonl'}", 3, "harmful"),
    (f"gsm8k:{F / 'gsm8k.jsonl'}", 3, "benign"),
    (f"math:{F / 'math.jsonl'}", 2, "benign"),
])
def test_sft_formats_become_canonical_think_replies(source, rows, kind):
    out = load_rows(source)
    assert len(out) == rows and out[0].get("kind") == kind
    for row in out:
        assert row["prompt"][-1]["role"] == "user"
        text = row["completion"][0]["content"]
        reply = parse_reply(text, think_forced=False)
        assert reply.format_ok and text == canonical_reply(reply.reasoning, reply.answer)


def test_math_rows_carry_a_checkable_answer_and_gsm8k_drops_its_calculator_notes():
    gsm = load_rows(f"gsm8k:{F / 'gsm8k.jsonl'}")[0]
    assert gsm["reference"]["answer"] == "10" and "<<" not in gsm["completion"][0]["content"]
    math = load_rows(f"math:{F / 'math.jsonl'}")[0]
    assert math["reference"]["answer"] == "\\frac{3}{4}"


def test_prompt_pools_carry_kinds():
    assert {r["kind"] for r in load_rows(f"orbench:{F / 'orbench.csv'}")} == {"benign"}
    assert {r["kind"] for r in load_rows(f"wildjailbreak:{WJB}")} == {"harmful", "benign"}


def test_sources_resolve_to_a_cached_jsonl(tmp_path):
    assert is_public_source(f"star1:{F / 'star1.json'}") and not is_public_source("gym:safety_sft")
    assert not is_public_source(str(F / "probe.jsonl"))
    path = resolve_source(f"star1:{F / 'star1.json'}", None, "stages.0.data")
    assert path == normalized_file(f"star1:{F / 'star1.json'}") and path.suffix == ".jsonl"
    assert len(path.read_text(encoding="utf-8").splitlines()) == 3


def test_errors_are_one_line_naming_the_file(tmp_path):
    bad = tmp_path / "star.jsonl"
    bad.write_text(json.dumps({"question": "q", "response": "no think block at all"}) + "\n")
    with pytest.raises(DataError, match=r"star\.jsonl: row 1: response: not an R1 reply"):
        load_rows(f"star1:{bad}")
    bad.write_text(json.dumps({"prompt": "q"}) + "\n")
    with pytest.raises(DataError, match="missing column 'question'"):
        load_rows(f"star1:{bad}")
    gsm = tmp_path / "gsm.jsonl"
    gsm.write_text(json.dumps({"question": "q", "answer": "42"}) + "\n")
    with pytest.raises(DataError, match="row 1: answer: no '#### <final answer>' line"):
        load_rows(f"gsm8k:{gsm}")
    with pytest.raises(ConfigError, match="no such file"):
        normalized_file(f"star1:{tmp_path / 'missing.json'}")


def test_hub_names_offline_say_what_to_download():
    with pytest.raises(ConfigError, match=r"^star1:hub: the hub is offline .* use star1:PATH$"):
        load_rows("star1:hub")
    with pytest.raises(ConfigError, match="reasoning has no hub copy"):
        load_rows("reasoning:hub")


def test_mixing_draws_by_ratio_with_the_seed():
    main = [{"id": f"m{i}"} for i in range(10)]
    small = [{"id": "s0"}, {"id": "s1"}]
    mixed = mix_rows(main, [(small, 0.5), ([{"id": "b"}], 0.2)], seed=0)
    ids = [r["id"] for r in mixed]
    assert len(ids) == 10 + 5 + 2 and ids.count("b") == 2 and sum(i.startswith("s") for i in ids) == 5
    assert mix_rows(main, [(small, 0.5)], seed=0) == mix_rows(main, [(small, 0.5)], seed=0)
