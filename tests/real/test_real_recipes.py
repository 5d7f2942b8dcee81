"""The real model itself through the product's front doors: `r1safe eval` on a sum, one training step of a
shipped real recipe, and the same recipe under `accelerate launch --num_processes 2` on the CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from r1safe.cli.main import app

ROW = {"prompt": [{"role": "user", "content": "What is 2 + 3?"}],
       "completion": [{"role": "assistant", "content": "<think>\n2 + 3 = 5.\n</think>\n\nThe answer is 5."}],
       "kind": "benign", "reference": {"answer": "5"}}


def _track(root: Path, base: Path) -> Path:
    (root / "corpora").mkdir(parents=True)
    for name in ("safety_sft", "cold_start"):
        (root / "corpora" / f"{name}.jsonl").write_text((json.dumps(ROW) + "\n") * 4)
    (root / "base").symlink_to(base)
    return root


@pytest.mark.slow
def test_eval_generates_and_judges_the_real_model_by_name(smollm2_dir, tmp_path):
    out = tmp_path / "eval"
    result = CliRunner().invoke(app, [
        "eval", "--model", "smollm2-135m", "--suite", "arithmetic", "--limit", "2", "--samples", "1",
        "--max-new-tokens", "24", "--no-force-think", "--judges", "correctness,degenerate,refusal", "--out", str(out),
        "--quiet"])
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert results["status"] == "complete" and results["counts"]["completions"] == 2
    assert results["model"]["source"] == str(smollm2_dir)
    assert "capability" in results["metrics"]


@pytest.mark.slow
def test_one_training_step_of_a_shipped_real_recipe_on_the_real_model(smollm2_dir, tmp_path):
    from r1safe.train.runner import run_recipe

    track = _track(tmp_path / "track", Path(smollm2_dir))
    result = run_recipe("smollm2-135m/sft", tmp_path / "run", overrides=[
        f"track={track}", "stages.0.max_steps=1", "stages.0.batch_size=2", "stages.0.max_length=64",
            "stages.0.train_top_layers=1"])
    assert (result.final_model / "model.safetensors").is_file()
    manifest = json.loads((tmp_path / "run" / "stages" / "00_safety_sft" / "manifest.json").read_text())
    assert manifest["status"] == "done" and manifest["steps"] == 1
    assert manifest["data"]["source"] == "track:safety_sft" and manifest["data"]["mix"][0]["ratio"] == 0.5

    # others test the trained folder on sets this project does not have, in their published layouts
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "datasets"
    suite = ",".join(f"{name}={fixtures / file}" for name, file in (
        ("harmbench", "harmbench.csv"), ("strongreject", "strongreject.csv"), ("xstest", "xstest.csv")))
    out = tmp_path / "eval"
    ran = CliRunner().invoke(app, ["eval", "--model", str(result.final_model), "--suite", suite, "--limit", "1",
                                   "--samples", "1", "--max-new-tokens", "16", "--judge", "refusal_clf",
                                   "--out", str(out), "--quiet"])
    assert ran.exit_code == 0, ran.output
    evaluated = json.loads((out / "results.json").read_text())
    assert {"harmbench", "strongreject", "xstest"} <= set(evaluated["datasets"])
    assert evaluated["judges"] == ["refusal_clf"]


def _files(run: Path) -> set[str]:
    return {str(p.relative_to(run)) for p in run.rglob("*") if p.is_file() and "plots" not in p.parts}


@pytest.mark.slow
def test_accelerate_launch_with_two_cpu_processes_writes_the_same_run_folder(smollm2_dir, tmp_path):
    """accelerate's multi-process launcher (``--multi_gpu``: with ``--cpu`` it starts one process, its CPU
    multi-process path is MPI) on a machine without CUDA: the recipe trains on the CPU (``use_cpu``), so
    accelerate joins the two processes with gloo; the main one writes, and the folder matches a one-process
    run's."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tok = AutoTokenizer.from_pretrained(smollm2_dir)
    tiny = tmp_path / "tiny"
    LlamaForCausalLM(LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                 num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True)
                     ).save_pretrained(tiny)
    tok.save_pretrained(tiny)
    track = _track(tmp_path / "track", tiny)
    sets = [f"track={track}", "stages.0.max_steps=2", "stages.0.batch_size=2", "stages.0.max_length=64",
            "stages.0.train_top_layers=1"]
    args = ["-m", "r1safe.cli.main", "train", "smollm2-135m/sft", *(x for s in sets for x in ("--set", s))]
    env = {**os.environ, "R1SAFE_NUM_THREADS": "1"}
    one = subprocess.run([sys.executable, *args, "--out", str(tmp_path / "one")], env=env, capture_output=True,
                         text=True, timeout=600)
    assert one.returncode == 0, one.stderr[-2000:]
    two = subprocess.run([sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
                          "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", *args,
                          "--out", str(tmp_path / "two")], env=env, capture_output=True, text=True, timeout=900)
    assert two.returncode == 0, two.stderr[-2000:]
    assert _files(tmp_path / "one") == _files(tmp_path / "two")
    for run in ("one", "two"):
        manifest = json.loads((tmp_path / run / "stages" / "00_safety_sft" / "manifest.json").read_text())
        assert manifest["status"] == "done" and manifest["steps"] == 2
    runs = {run: json.loads((tmp_path / run / "run.json").read_text()) for run in ("one", "two")}
    assert runs["one"]["processes"] == 1 and runs["two"]["processes"] == 2 and runs["two"]["status"] == "done"
