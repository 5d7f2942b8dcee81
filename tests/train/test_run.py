"""End to end on the micro gym: the micro recipe trains, resumes, and its checkpoints evaluate."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from r1safe.errors import ConfigError
from r1safe.train.monitors import goodhart_curve, hacking_curve, read_metrics
from r1safe.train.runner import apply_threads, run_recipe

RECIPES = Path(__file__).resolve().parents[2] / "src" / "r1safe" / "recipes"
MICRO = RECIPES / "gym" / "micro.yaml"


@pytest.fixture(scope="module")
def micro_run(micro_gym, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    t0 = time.perf_counter()
    messages: list[str] = []
    result = run_recipe(MICRO, out, gym=micro_gym, progress=messages.append)
    return result, time.perf_counter() - t0, messages


@pytest.mark.slow
def test_micro_recipe_runs_end_to_end(micro_run):
    result, seconds, messages = micro_run
    assert seconds < 90, f"the micro recipe took {seconds:.0f} s"
    assert [s.kind for s in result.stages] == ["sft", "grpo", "rejection_sampling", "grpo"]
    assert all(s.status == "done" for s in result.stages)
    assert result.final_model == result.stages[-1].model_dir
    for s in result.stages:
        manifest = json.loads((s.dir / "manifest.json").read_text())
        assert manifest["status"] == "done" and manifest["data"]["sha256"] and manifest["wall_s"] > 0
        assert (s.model_dir / "config.json").is_file() and (s.model_dir / "tokenizer.json").is_file()
        assert not (s.dir / "trainer").exists()  # checkpoints are dropped once the stage is done
    lineage = [json.loads((s.dir / "manifest.json").read_text())["parent"]["model"] for s in result.stages]
    assert lineage[1:] == [str(s.model_dir) for s in result.stages[:-1]]
    run = json.loads((result.out_dir / "run.json").read_text())
    assert run["status"] == "done" and run["final_model"] == str(result.final_model)
    assert any("[01_reasoning_rl] step 4/4" in m for m in messages)


@pytest.mark.slow
def test_compute_is_recorded_per_stage(micro_run):
    result, _, _ = micro_run
    sft, grpo, rs, _ = (s.compute for s in result.stages)
    assert sft.tokens_trained > 0 and sft.flops_training == 6 * sft.params * sft.tokens_trained
    assert sft.tokens_generated == 0 and sft.flops_generation == 0
    assert grpo.tokens_generated > 0 and grpo.flops_generation == 2 * grpo.params * (
        grpo.tokens_generated + grpo.tokens_prompt
    )
    assert grpo.flops_reference > 0  # beta > 0: the reference model's forward passes
    assert rs.tokens_generated > 0 and rs.flops_generation > 0
    assert result.compute.flops_total == pytest.approx(sum(s.compute.flops_total for s in result.stages))


@pytest.mark.slow
def test_monitors_log_to_metrics_and_plots(micro_run):
    result, _, _ = micro_run
    rows = read_metrics(result.metrics_path)
    keys = {k for r in rows for k in r}
    for key in (
        "monitor/reward_hacking/proxy_safe",
        "monitor/reward_hacking/judge_safe",
        "monitor/reward_hacking/gap",
        "monitor/reward_hacking/alarm",
        "monitor/reward_hacking/length",
        "monitor/reward_hacking/reward_length_corr",
        "monitor/reward_hacking/helpful_gap",
        "monitor/language_mixing/probe_mixed_rate",
        "monitor/language_mixing/rollout_mixed_rate",
        "monitor/divergence/kl_init",
        "monitor/divergence/d_init",
        "monitor/divergence/kl_base",
        "monitor/divergence/d_base",
        "monitor/drift/kl",
        "monitor/drift/entropy",
        "monitor/compute/flops_total",
        "rewards/harmlessness/mean",
        "kl",
    ):
        assert key in keys, key
    steps = [r["global_step"] for r in rows]
    assert steps == sorted(steps) and max(steps) == sum(s.steps for s in result.stages)
    assert {p.name for p in result.plots} >= {"reward_hacking.png", "rewards.png", "drift.png", "compute.png"}
    curve = hacking_curve(result.metrics_path)
    assert curve[0]["global_step"] == 0 and {"proxy_safe", "judge_safe", "gap"} <= set(curve[0])
    assert {c["stage"] for c in curve} == {s.name for s in result.stages if s.steps}
    goodhart = goodhart_curve(result.metrics_path)
    assert {c["stage"] for c in goodhart} == {s.name for s in result.stages if s.kind == "grpo"}
    first = next(c for c in goodhart if c["stage"] == "01_reasoning_rl")
    assert first["step"] == 0 and first["kl_init"] == pytest.approx(0.0, abs=1e-5) and "proxy_safe" in first
    final = [c for c in goodhart if c["stage"] == "03_final_rl"]
    assert final[0]["kl_init"] == pytest.approx(0.0, abs=1e-5) and final[0]["kl_base"] > final[0]["kl_init"]


@pytest.mark.slow
def test_checkpoints_are_read_by_the_eval_backend(micro_run, micro_gym):
    from r1safe.backends.base import BACKENDS, GenerationParams

    result, _, _ = micro_run
    backend = BACKENDS.create("transformers", model=str(result.final_model))
    sample = micro_gym.world.split("id")[0]
    out = backend.generate([sample.prompt], GenerationParams(n=2, max_new_tokens=16))
    assert len(out[0]) == 2 and all(c.text.startswith("<think>") for c in out[0])


@pytest.mark.slow
def test_rerun_skips_finished_stages_and_reruns_changed_ones(micro_run, micro_gym):
    result, _, _ = micro_run
    again = run_recipe(MICRO, result.out_dir, gym=micro_gym)
    assert [s.status for s in again.stages] == ["skipped"] * 4
    assert again.compute.flops_total == pytest.approx(result.compute.flops_total)
    with pytest.raises(ConfigError, match=r"stage 03_final_rl with other settings .*--retrain-changed"):
        run_recipe(MICRO, result.out_dir, gym=micro_gym, overrides=["stages.3.max_steps=3"])
    changed = run_recipe(MICRO, result.out_dir, gym=micro_gym, overrides=["stages.3.max_steps=3"],
                         retrain_changed=True)
    assert [s.status for s in changed.stages] == ["skipped"] * 3 + ["done"]
    assert changed.stages[3].steps == 3
    final_rows = [r for r in read_metrics(result.metrics_path) if r["stage"] == "03_final_rl" and "loss" in r]
    assert [r["step"] for r in final_rows] == [1, 2, 3]


@pytest.mark.slow
def test_an_interrupted_stage_resumes_from_its_last_checkpoint(micro_gym, tmp_path):
    overrides = [
        "stages="
        + json.dumps(
            [
                {"kind": "sft", "max_steps": 2, "batch_size": 8, "max_length": 160},
                {
                    "kind": "grpo",
                    "max_steps": 4,
                    "save_steps": 2,
                    "batch_size": 4,
                    "num_generations": 2,
                    "max_completion_length": 16,
                    "rewards": [{"name": "format"}],
                },
            ]
        ),
        "monitors.probe.enabled=false",
        "report_to=[tensorboard]",
    ]

    def interrupt(message: str) -> None:
        if message.startswith("[01_grpo] step 3/4"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_recipe(MICRO, tmp_path, gym=micro_gym, overrides=overrides, progress=interrupt)
    manifest = json.loads((tmp_path / "stages" / "01_grpo" / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    assert (tmp_path / "stages" / "01_grpo" / "trainer" / "checkpoint-2").is_dir()

    messages: list[str] = []
    result = run_recipe(MICRO, tmp_path, gym=micro_gym, overrides=overrides, progress=messages.append)
    assert [s.status for s in result.stages] == ["skipped", "done"]
    assert "[01_grpo] resuming from step 2 (grpo)" in messages
    assert result.stages[1].steps == 4
    manifest = json.loads((tmp_path / "stages" / "01_grpo" / "manifest.json").read_text())
    assert manifest["status"] == "done" and manifest["resumed_from_step"] == 2
    assert any((tmp_path / "tensorboard" / "01_grpo").iterdir())  # report_to: [tensorboard]
    steps = [r["step"] for r in read_metrics(result.metrics_path) if r["stage"] == "01_grpo" and "loss" in r]
    assert steps == [1, 2, 3, 4]


def test_threads_follow_the_recipe_then_the_environment(monkeypatch):
    import torch

    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("R1SAFE_NUM_THREADS", "2")
        assert apply_threads(None) == 2 and torch.get_num_threads() == 2
        assert apply_threads(1) == 1 and torch.get_num_threads() == 1
        monkeypatch.delenv("R1SAFE_NUM_THREADS")
        assert apply_threads(None) == 1
    finally:
        torch.set_num_threads(before)
