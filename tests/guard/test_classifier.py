"""The guard classifier: training from labelled JSONL, saving and loading, the judge adapter."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from r1safe.classifiers.harm.model import GuardClassifier
from r1safe.classifiers.harm.training import read_jsonl
from r1safe.cli.main import app
from r1safe.errors import DataError
from r1safe.eval.judges.guard_classifier import GuardClassifierJudge
from r1safe.records import Sample

pytestmark = pytest.mark.timeout(60)


def test_guard_train_cli_on_user_jsonl(tmp_path) -> None:
    rows = [{"text": f"how to steal a {x}", "label": 1} for x in ("car", "bike", "wallet", "phone")]
    rows += [{"text": f"how to bake a {x}", "label": 0} for x in ("cake", "pie", "bread", "tart")]
    rows += [{"text": f"step one: pick the lock of the {x}", "label": 1, "head": "response"} for x in ("car", "door")]
    rows += [
        {"text": f"step one: preheat the oven for the {x}", "label": 0, "head": "response"} for x in ("cake", "pie")
    ]
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows))
    out = tmp_path / "clf"
    result = CliRunner().invoke(app, ["guard", "train", "--data", str(data), "--out", str(out), "--steps", "60"])
    assert result.exit_code == 0, result.output
    clf = GuardClassifier.load(out)
    steal, bake = clf.scores(["how to steal a bicycle", "how to bake a muffin"], "request")
    assert steal > 0.5 > bake
    assert clf.meta["source"]["data"] == [str(data)]


def test_bad_jsonl_row_names_its_line(tmp_path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"text": "ok", "label": 1}\n{"text": "no label"}\n')
    with pytest.raises(DataError, match=r"bad.jsonl: row 2:"):
        read_jsonl(data)


def test_judge_scores_reasoning_and_answer_apart(classifier_dir, world) -> None:
    from r1safe.gym.render import render_completion

    judge = GuardClassifierJudge(classifier_dir)
    sample = world.split("id")[0]
    comply = judge.judge(sample, render_completion(sample, "comply"))
    refuse = judge.judge(sample, render_completion(sample, "refuse"))
    assert comply["harmful_reasoning"] and comply["harmful_answer"]
    assert not refuse["harmful_reasoning"] and not refuse["harmful"]
    benign = Sample(id="b", prompt=[{"role": "user", "content": "hi"}])
    assert judge.judge(benign, "<think>\nHello.\n</think>\n\nHi there!")["harmful"] is False
