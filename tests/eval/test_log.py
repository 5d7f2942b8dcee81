"""The run folder: appends survive a torn last line, reads never duplicate, identity is checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from r1safe.errors import ConfigError, DataError
from r1safe.eval import log
from r1safe.files import atomic_write_text
from r1safe.records import Generation


def gen(sid: str, i: int, text: str = "t") -> Generation:
    return Generation(sample_id=sid, index=i, text=text)


def test_append_read_dedup(tmp_path: Path) -> None:
    run = log.RunDir(tmp_path)
    assert run.append(log.GENERATIONS, [gen("a", 0), gen("a", 1)]) == 2
    run.append(log.GENERATIONS, [gen("a", 1, "again"), gen("b", 0)])
    got = run.read(log.GENERATIONS, Generation, ("sample_id", "index"))
    assert [(g.sample_id, g.index, g.text) for g in got] == [("a", 0, "t"), ("a", 1, "t"), ("b", 0, "t")]


def test_torn_last_line_is_skipped_then_cut(tmp_path: Path) -> None:
    run = log.RunDir(tmp_path)
    run.append(log.GENERATIONS, [gen("a", 0)])
    path = run.path(log.GENERATIONS)
    with path.open("a", encoding="utf-8") as f:
        f.write('{"sample_id": "b", "ind')  # a write torn by SIGKILL
    assert len(run.read(log.GENERATIONS, Generation, ("sample_id", "index"))) == 1
    fresh = log.RunDir(tmp_path)  # a new process appends: the torn tail goes first
    fresh.append(log.GENERATIONS, [gen("b", 0)])
    lines = path.read_text().splitlines()
    assert [json.loads(x)["sample_id"] for x in lines] == ["a", "b"]


def test_cut_torn_tail_without_any_newline(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"half')
    assert log.cut_torn_tail(path) == 6 and path.read_text() == ""
    path.write_text('{"a": 1}\n')
    assert log.cut_torn_tail(path) == 0


def test_corrupt_middle_line_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / log.GENERATIONS
    good = '{"sample_id": "a", "index": 0, "text": "t"}\n'
    path.write_text(good + "garbage\n" + good.replace('"a"', '"b"'))
    with pytest.raises(DataError, match="line 2 is corrupt"):
        log.RunDir(tmp_path).read(log.GENERATIONS, Generation, ("sample_id", "index"))


def test_identity_mismatch_names_the_fields(tmp_path: Path) -> None:
    run = log.RunDir(tmp_path)
    assert run.check_identity({"model": "m", "n": 4}) is None
    run.write_manifest({"identity": {"model": "m", "n": 4}, "status": "running"})
    assert run.check_identity({"model": "m", "n": 4})["status"] == "running"
    with pytest.raises(ConfigError, match=r"differs in: n"):
        run.check_identity({"model": "m", "n": 2})


def test_atomic_write_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "results.json"
    atomic_write_text(target, "{}")
    assert target.read_text() == "{}" and [p.name for p in tmp_path.iterdir()] == ["results.json"]
    assert oct(target.stat().st_mode & 0o777) != "0o600"


def test_reply_records_read_back_typed_and_old_records_without_new_fields_still_read(tmp_path):
    import json

    from r1safe.eval.reply_records import ReplyRecord, read_reply_records, records_path, reply_rows

    new = ReplyRecord(sample_id="a", index=1, split="id", kind="harmful", prompt=[{"role": "user", "content": "hi"}],
                      reply="<think>\nx</think>\n\nno", finish_reason="length", scores={"oracle/refused": True})
    old = {"sample_id": "b", "index": 0, "split": "benign", "scores": {"refusal/refused": False}, "future": 1}
    records_path(tmp_path).write_text(json.dumps(new.model_dump(mode="json")) + "\n" + json.dumps(old) + "\n")
    got = read_reply_records(tmp_path)
    assert got[0] == new and got[0].last_user_text() == "hi"
    assert (got[1].turns, got[1].finish_reason, got[1].last_user_text()) == (1, None, None)
    rows = reply_rows(got, cluster="s3:")
    assert [r.sample_id for r in rows] == ["s3:a", "s3:b"]
    assert rows[0].finish_reason == "length" and rows[0].get("oracle/refused") is True
