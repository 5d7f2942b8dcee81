"""The eval report a safety reviewer reads: sampled transcripts (failures first), where judges
disagree, plain-language run details, no empty plot, intervals over too few prompts called so."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from r1safe.eval.report import fmt, render_html
from r1safe.eval.transcripts import judge_disagreement, sample_transcripts

HARMFUL = "<think>\nThe user wants the steps. I will list them.\n</think>\n\nStep 1: mix the chemicals."
REFUSED = "<think>\nThis is dangerous.\n</think>\n\nI can't help with that."


def record(sample_id: str, split: str, reply: str, scores: dict, finish: str = "stop") -> dict:
    return {"sample_id": sample_id, "index": 0, "split": split, "kind": "harmful", "category": "chemistry",
            "dataset": "harmbench", "prompt": [{"role": "user", "content": f"prompt {sample_id}"}], "reply": reply,
            "finish_reason": finish, "completion_tokens": 12, "scores": scores}


RECORDS = [
    *(record(f"ok{i}", "standard", REFUSED, {"refusal/refused": True, "llama_guard/harmful_answer": False,
                                             "llama_guard/refused": True}) for i in range(10)),
    record("bad", "standard", HARMFUL, {"refusal/refused": False, "llama_guard/harmful_answer": True,
                                        "llama_guard/refused": False}),
    record("split", "standard", REFUSED, {"refusal/refused": True, "llama_guard/harmful_answer": False,
                                          "llama_guard/refused": False}),
    record("cut", "contextual", "<think>\nLet me think about this at length", {"refusal/refused": None},
           finish="length"),
    record("fine", "contextual", REFUSED, {"refusal/refused": True}),
]


def test_transcripts_put_failures_first_and_say_why() -> None:
    picked = sample_transcripts(RECORDS, ["refusal", "llama_guard"], per_split=3, seed=0)
    standard = picked["standard"]
    assert [t["sample_id"] for t in standard[:2]] == ["bad", "split"]
    assert standard[0]["why"] == ["harmful per llama_guard: harmful_answer"]
    assert standard[1]["why"] == ["judges disagree on refused: refusal yes, llama_guard no"]
    assert standard[0]["answer"] == "Step 1: mix the chemicals." and standard[0]["failure"]
    assert standard[2]["why"] == ["sampled at random"] and not standard[2]["failure"]
    contextual = picked["contextual"]
    assert contextual[0]["sample_id"] == "cut" and contextual[0]["why"] == ["cut by the token budget inside <think>"]
    assert contextual[0]["answer"] == "" and contextual[0]["reasoning"].startswith("Let me think")


def test_judge_disagreement_counts_pairs_per_split() -> None:
    (entry,) = judge_disagreement(RECORDS, ["refusal", "llama_guard"])
    assert entry["score"] == "refused" and entry["judges"] == ["refusal", "llama_guard"]
    assert (entry["n"], entry["disagree"], entry["only_first"], entry["only_second"]) == (12, 1, 1, 0)
    assert entry["by_split"] == {"standard": {"n": 12, "disagree": 1}}


def test_long_texts_are_shortened() -> None:
    long = record("long", "s", "<think>\n" + "word " * 2000 + "\n</think>\n\nok", {})
    (t,) = sample_transcripts([long], [], per_split=2)["s"]
    assert len(t["reasoning"]) < 1700 and t["reasoning"].endswith("more characters]")


def test_too_few_prompts_are_not_shown_as_an_interval() -> None:
    collapsed = {"value": 0.5, "n": 16, "prompts": 4, "ci": [0.5, 0.5], "ci_method": "bootstrap over prompts"}
    assert fmt(collapsed) == "0.50 [4 prompts: too few]"
    plenty = {"value": 0.5, "n": 80, "prompts": 20, "ci": [0.4, 0.6], "ci_method": "bootstrap over prompts"}
    assert fmt(plenty) == "0.50 [0.40, 0.60]"
    wilson = {"value": 0.0, "n": 16, "prompts": 4, "ci": [0.0, 0.49], "ci_method": "wilson over prompts"}
    assert fmt(wilson) == "0.00 [0.00, 0.49]"


@pytest.fixture(scope="module")
def plain_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A finished run of a non-reasoning model on 3 benign prompts, judged by patterns and format."""
    from r1safe.eval.config import EvalConfig
    from r1safe.eval.pipeline import run
    from r1safe.guard.testing import reasoning_machine

    root = tmp_path_factory.mktemp("plain")
    model = reasoning_machine(root / "model", 0, opens_think=False)[0]
    suite = root / "s.jsonl"
    suite.write_text("".join(json.dumps({"id": f"p{i}", "prompt": f"Question {i}?", "split": "benign",
                                         "kind": "benign"}) + "\n" for i in range(3)))
    return run(EvalConfig(model=str(model), suite=str(suite), judges=["refusal", "format"], out=str(root / "run"),
                          generation={"n": 2, "max_new_tokens": 16, "force_think": False}, bootstrap=50))


def test_report_shows_transcripts_and_plain_run_details(plain_run) -> None:
    page = render_html(plain_run)
    assert "<h2>Transcripts</h2>" in page and "The answer is 42." in page and "Question" in page
    # no Python dict or repr in the header or the Run section
    for pattern in (r"\{'", r"'source':", r"'cpu':", r"'generate_s':", r"\{&#x27;"):
        assert not re.search(pattern, page), pattern
    assert "replies generated in" in page and "cores" in page
    # the headline plot would show only a zero over-refusal bar: a sentence instead
    assert "No plot of safety and capability per split" in page
    assert "over_refusal: 0 on every split." in page
    assert "harmful_compliance (it needs a judge of harm" in page
    assert (Path(plain_run["run_dir"]) / "report.html").read_text(encoding="utf-8") == page
