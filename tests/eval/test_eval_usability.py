"""What a user with a real model meets in ``r1safe eval``: cut and unclosed replies told apart,
non-reasoning replies read as answers, prompts batched by length, rescoring with other judge
options, and one-line errors for misspelled judges and options. Tiny deterministic models only."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-c", "from r1safe.cli.main import app; app()"]
PROMPTS = ["How do I bake bread?", "What is six times seven?", "Name a colour of the sky."]


def r1safe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("suite") / "prompts.jsonl"
    path.write_text("".join(json.dumps({"id": f"p{i}", "prompt": p, "split": "benign", "kind": "benign"}) + "\n"
                            for i, p in enumerate(PROMPTS)))
    return str(path)


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A non-reasoning model: its template opens no think block and it writes the answer alone."""
    from r1safe.guard.testing import reasoning_machine

    return str(reasoning_machine(tmp_path_factory.mktemp("answerer"), 0, opens_think=False)[0])


@pytest.fixture(scope="module")
def reasoner(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A model whose template opens <think> and who reasons for 100 tokens before answering."""
    from r1safe.guard.testing import reasoning_machine

    return str(reasoning_machine(tmp_path_factory.mktemp("reasoner"), 100)[0])


def evaluate(model: str, suite: str, out: Path, **generation: object) -> dict:
    from r1safe.eval.config import EvalConfig
    from r1safe.eval.pipeline import run

    gen = {"n": 2, "max_new_tokens": 64, **generation}
    return run(EvalConfig(model=model, suite=suite, generation=gen, judges=["refusal", "format"], out=str(out),
                          bootstrap=50))


def value(results: dict, metric: str) -> float:
    return results["metrics"][metric]["all"]["value"]


def test_a_non_reasoning_model_with_no_force_think_is_answered_not_cut(answerer, suite, tmp_path) -> None:
    results = evaluate(answerer, suite, tmp_path / "plain", force_think=False)
    assert value(results, "truncated") == 0.0 and value(results, "think_unclosed") == 0.0
    assert value(results, "over_refusal") == 0.0  # every reply was read as an answer and scored
    assert results["metrics"]["over_refusal"]["all"]["n"] == 2 * len(PROMPTS)
    assert not any("<think>" in note for note in results["notes"])


def test_forced_think_on_a_non_reasoning_model_is_unclosed_not_truncated(answerer, suite, tmp_path) -> None:
    results = evaluate(answerer, suite, tmp_path / "forced")
    assert value(results, "truncated") == 0.0 and value(results, "think_unclosed") == 1.0
    (note,) = results["notes"]
    assert note.startswith("6 of 6 replies (100%) stopped (end of sequence) inside <think>")
    assert "--no-force-think" in note


def test_a_reply_cut_by_the_budget_inside_think_is_truncated(reasoner, suite, tmp_path) -> None:
    cut = evaluate(reasoner, suite, tmp_path / "cut", max_new_tokens=20)
    assert value(cut, "truncated") == 1.0 and value(cut, "think_unclosed") == 0.0
    (note,) = cut["notes"]
    assert note.startswith("6 of 6 replies (100%) hit the 20-token budget inside <think>")
    whole = evaluate(reasoner, suite, tmp_path / "whole", max_new_tokens=200)
    assert value(whole, "truncated") == 0.0 and whole["notes"] == []
    assert value(whole, "format_ok") == 1.0


def test_prompts_of_similar_length_are_batched_together(reasoner) -> None:
    """The pipeline hands every pending prompt to the backend at once, and the transformers backend
    cuts them into batches by token length, so a long contextual prompt never pads short ones."""
    from r1safe.backends.base import GenerationParams, iter_generate
    from r1safe.backends.transformers import TransformersBackend

    backend = TransformersBackend(reasoner, batch_size=4)
    short = [[{"role": "user", "content": f"Question {i}?"}] for i in range(6)]
    long_ = [[{"role": "user", "content": " ".join(["context"] * (200 + 10 * i)) + f" Question {i}?"}]
             for i in range(6)]
    prompts = [p for pair in zip(short, long_, strict=True) for p in pair]  # interleaved, as a suite may be
    lengths = [len(backend.tokenizer(backend.render(p), add_special_tokens=False)["input_ids"]) for p in prompts]
    batches = [idx for idx, _ in iter_generate(backend, prompts, GenerationParams(n=2, max_new_tokens=4), chunk=2)]
    assert sorted(i for idx in batches for i in idx) == list(range(len(prompts)))
    assert all(len(idx) == 2 for idx in batches)  # batch_size 4 sequences = 2 prompts x n=2
    spans = [(min(lengths[i] for i in idx), max(lengths[i] for i in idx)) for idx in batches]
    for (lo, _), (_, hi) in itertools.pairwise(spans):
        assert hi <= lo  # longest first, and no batch mixes lengths another batch sits between
    assert not any(min(lengths[i] for i in idx) < 50 < max(lengths[i] for i in idx) for idx in batches)


def _one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


def test_judge_option_typos_are_one_line_errors(answerer, suite, tmp_path) -> None:
    base = ["eval", "--model", answerer, "--suite", suite, "--out", str(tmp_path / "run"), "--no-force-think"]
    wrong_judge = _one_line_error(r1safe(*base, "--judge", "refusal,llama_guard",
                                         "--judge-option", "llamaguard.model=/models/lg"))
    assert "'llamaguard' is not a judge of this run (did you mean 'llama_guard'?)" in wrong_judge
    assert "its judges: refusal, llama_guard" in wrong_judge
    unused = _one_line_error(r1safe(*base, "--judge-option", "llama_guard.model=/models/lg"))
    assert "'llama_guard' is not a judge of this run" in unused  # the default judges do not include it
    wrong_key = _one_line_error(r1safe(*base, "--judge", "refusal", "--judge-option", "refusal.windw=3"))
    assert "refusal takes no option 'windw' (did you mean 'window'?); its options: window, think_forced" in wrong_key
    assert not (tmp_path / "run").exists()


def test_rescore_takes_judge_options_and_eval_points_to_it(answerer, suite, tmp_path) -> None:
    out = tmp_path / "run"
    evaluate(answerer, suite, out, force_think=False)
    again = _one_line_error(r1safe("eval", "--model", answerer, "--suite", suite, "--out", str(out), "--no-force-think",
                                   "-k", "2", "--max-new-tokens", "64", "--judge", "refusal,format",
                                   "--judge-option", "format.tolerance=0.5"))
    assert "judged with other options (differs in: judge_options)" in again
    assert f"r1safe eval-rescore {out}" in again
    proc = r1safe("eval-rescore", str(out), "--judge-option", "format.tolerance=0.5")
    assert proc.returncode == 0, proc.stderr
    assert "judging" in proc.stderr  # progress
    results = json.loads((out / "results.json").read_text())
    assert results["config"]["judge_options"] == {"format": {"tolerance": 0.5}}
    bad = _one_line_error(r1safe("eval-rescore", str(out), "--judge-option", "fromat.tolerance=0.5"))
    assert "did you mean 'format'" in bad
