"""Training a real recipe from local files: one option (``--hub-dir``) for the hub copy, ``--check``
listing every problem at once, override and format errors in one line, ``run.json`` that says how
a run ended, and a changed stage that is not silently retrained over the old model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from r1safe.errors import ConfigError
from r1safe.train.preflight import check, references
from r1safe.train.recipe import load_recipe

ROOT = Path(__file__).resolve().parents[2]
F = ROOT / "tests" / "fixtures" / "train"
D = ROOT / "tests" / "fixtures" / "datasets"
CLI = [sys.executable, "-c", "from r1safe.cli.main import app; app()"]
REAL = ["deepseek-r1-distill-qwen-1.5b/sft", "deepseek-r1-distill-qwen-1.5b/rl", "deepseek-r1-distill-qwen-1.5b/hybrid",
        "deepseek-r1-distill-qwen-7b/hybrid"]
MACHINE_KEYS = ("device", "precision")


def r1safe(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", **(env or {})})


@pytest.fixture(scope="module")
def local_hub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local hub copy in the layout `hf download ID --local-dir DIR/ID` writes: the public files
    (fixtures in their published columns) and a tiny model for every model a shipped recipe names."""
    import pandas as pd

    from r1safe.guard.testing import reasoning_machine

    root = tmp_path_factory.mktemp("hub")
    files = {
        "UCSC-VLAA/STAR-1/star1.json": F / "star1.json",
        "allenai/wildjailbreak/train/train.tsv": D / "wildjailbreak" / "train.tsv",
        "bench-llm/or-bench/or-bench-80k/or-bench-80k.csv": F / "orbench.csv",
        "JailbreakBench/JBB-Behaviors/data/harmful-behaviors.csv": D / "jailbreakbench" / "harmful-behaviors.csv",
        "JailbreakBench/JBB-Behaviors/data/benign-behaviors.csv": D / "jailbreakbench" / "benign-behaviors.csv",
    }
    for target, source in files.items():
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, root / target)
    gsm8k = root / "openai/gsm8k/main/train-00000-of-00001.parquet"
    gsm8k.parent.mkdir(parents=True)
    pd.read_json(F / "gsm8k.jsonl", lines=True).to_parquet(gsm8k)
    (root / "UCSC-VLAA/STAR-1/.cache").mkdir()  # what `hf download` leaves beside the files
    model = reasoning_machine(root / "_model", 3)[0]
    for name in REAL:
        for ref in references(load_recipe(name)):
            if ref.kind != "data" and not (root / ref.value).exists():
                shutil.copytree(model, root / ref.value)
    return root


@pytest.mark.parametrize("name", REAL)
def test_check_lists_every_hub_reference_with_its_key_in_one_go(name: str, tmp_path: Path) -> None:
    recipe = load_recipe(name)
    proc = r1safe("train", name, "--check", "--quiet", "--out", str(tmp_path / "run"))
    assert proc.returncode == 2, proc.stderr
    listing = proc.stderr
    assert listing.startswith(f"error: recipe {recipe.name} cannot run here: ")
    for ref in references(recipe):
        assert f"{', '.join(ref.keys)} ({ref.value}): " in listing, ref
    assert "device (cuda): torch" in listing  # this machine has no CUDA GPU
    assert "Traceback" not in listing
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("name", REAL)
def test_hub_dir_points_every_reference_at_the_hub_copy(name: str, local_hub: Path, monkeypatch) -> None:
    monkeypatch.setenv("R1SAFE_HUB_DIR", str(local_hub))
    problems = check(load_recipe(name))
    assert problems and all(set(p.keys) <= {*MACHINE_KEYS} or p.what == "vLLM" for p in problems), \
        [p.line() for p in problems]
    monkeypatch.setenv("R1SAFE_HUB_DIR", str(local_hub / "elsewhere"))  # the models are looked for there
    missing = {k for p in check(load_recipe(name)) for k in p.keys}  # (data read once stays in the cache)
    assert {"base_model", "monitors.reward_hacking.judge_options.model"} <= missing


def test_check_passes_with_the_hub_dir_and_cpu_settings(local_hub: Path) -> None:
    recipe = load_recipe("deepseek-r1-distill-qwen-1.5b/hybrid")
    cpu = ["--set", "device=auto", *[a for i, s in enumerate(recipe.stages) if s.kind == "grpo"
                                     for a in ("--set", f"stages.{i}.use_vllm=false")]]
    proc = r1safe("train", "deepseek-r1-distill-qwen-1.5b/hybrid", "--check", "--hub-dir", str(local_hub), *cpu)
    assert proc.returncode == 0, proc.stderr
    assert "ok: 9 data sources and models found" in proc.stdout  # 5 data sets, the base model, 3 judges
    assert "checking data star1:hub" in proc.stdout
    missing = r1safe("train", "deepseek-r1-distill-qwen-1.5b/hybrid", "--check", "--hub-dir", str(local_hub / "no"))
    assert missing.returncode == 2 and missing.stderr.strip() == f"error: --hub-dir {local_hub / 'no'}: no such folder"


@pytest.mark.parametrize(("override", "needle"), [
    ("stages.7.max_steps=2", "--set stages.7.max_steps=2: stages has 4 entries, so no stages.7 (indices: 0-3)"),
    ("stages.x.max_steps=2", "--set stages.x.max_steps=2: stages is a list of 4; 'x' is not an index (0-3)"),
    ("seed.x=1", "--set seed.x=1: seed is 0, not a mapping or list, so it has no key 'x'"),
    ("data.sft=starone:/data/star1.json", "data.sft (starone:/data/star1.json): unknown data format 'starone'; "
                                          "formats: star1, safechain, reasoning, gsm8k"),
])
def test_bad_overrides_and_formats_are_one_line_errors(override: str, needle: str, tmp_path: Path) -> None:
    proc = r1safe("train", "deepseek-r1-distill-qwen-1.5b/hybrid", "--check", "--set", override)
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    if "format" not in needle:
        assert len(lines) == 1


# ---- runs that train (a one-layer model, one step) -------------------------------------------------


@pytest.fixture
def tiny_recipe(tmp_path: Path) -> Path:
    from r1safe.guard.testing import reasoning_machine

    model = reasoning_machine(tmp_path / "model", 3)[0]
    rows = tmp_path / "sft.jsonl"
    rows.write_text("".join(json.dumps({"messages": [
        {"role": "user", "content": f"Question {i}?"},
        {"role": "assistant", "content": "<think>\n w0 w1 w2</think>\n\nThe answer is 42."}]}) + "\n"
        for i in range(4)))
    recipe = tmp_path / "tiny.yaml"
    recipe.write_text(yaml.safe_dump({
        "name": "tiny", "base_model": str(model), "data": {"sft": str(rows)}, "threads": 1,
        "monitors": {"probe": {"enabled": False}, "reward_hacking": {"enabled": False}, "plots": False},
        "stages": [{"kind": "sft", "max_steps": 1, "batch_size": 2, "max_length": 64}]}))
    return recipe


@pytest.mark.slow
def test_a_changed_stage_is_not_retrained_over_the_old_model(tiny_recipe: Path, tmp_path: Path) -> None:
    from r1safe.train.runner import run_recipe

    out = tmp_path / "run"
    first = run_recipe(tiny_recipe, out)
    assert json.loads((out / "run.json").read_text())["status"] == "done"
    weights = (first.final_model / "model.safetensors").read_bytes()
    with pytest.raises(ConfigError, match=r"stage 00_sft with other settings \(max_steps 1 → 2\).*--retrain-changed"):
        run_recipe(tiny_recipe, out, overrides=["stages.0.max_steps=2"])
    assert (first.final_model / "model.safetensors").read_bytes() == weights
    again = run_recipe(tiny_recipe, out, overrides=["stages.0.max_steps=2"], retrain_changed=True)
    assert [s.status for s in again.stages] == ["done"] and again.stages[0].steps == 2


@pytest.mark.slow
def test_run_json_says_a_run_failed_or_was_interrupted(tiny_recipe: Path, tmp_path: Path) -> None:
    from r1safe.train.runner import run_recipe

    def stop(message: str) -> None:
        if "starting" in message:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_recipe(tiny_recipe, tmp_path / "stopped", progress=stop)
    info = json.loads((tmp_path / "stopped" / "run.json").read_text())
    assert info["status"] == "interrupted" and info["error"].startswith("KeyboardInterrupt")

    with pytest.raises(Exception, match="no_such_field"):
        run_recipe(tiny_recipe, tmp_path / "failed", overrides=["stages.0.trl={no_such_field: 1}"])
    info = json.loads((tmp_path / "failed" / "run.json").read_text())
    assert info["status"] == "failed" and "no_such_field" in info["error"]
