"""Snapshots along training (the dose-response points) and nested safety-data subsets."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from r1safe.errors import ConfigError
from r1safe.train.data import nested_subset
from r1safe.train.recipe import Recipe, load_recipe
from r1safe.train.runner import run_recipe
from r1safe.train.snapshots import read_snapshots, snapshot_steps

MICRO = Path(__file__).resolve().parents[2] / "src" / "r1safe" / "recipes" / "gym" / "micro.yaml"


def test_snapshot_steps_cover_each_fraction_once_and_end_at_the_last_step():
    assert snapshot_steps(0.2, 10) == [2, 4, 6, 8, 10]
    assert snapshot_steps(0.25, 3) == [1, 2, 3]
    assert snapshot_steps(0.3, 10) == [3, 6, 9, 10]
    assert snapshot_steps(1.0, 7) == [7]
    assert snapshot_steps(0.2, 1) == [1]


def _two_stages(every: float | None = 0.5) -> Recipe:
    """The micro recipe's SFT (3 steps) and GRPO (4 steps) stages, snapshots every half stage."""
    recipe = load_recipe(MICRO, [] if every is None else [f"snapshots.every_fraction={every}"])
    return recipe.model_copy(update={"stages": recipe.stages[:2]})


@pytest.mark.slow
def test_snapshots_are_taken_at_each_stage_fraction_with_growing_flops_and_kept_on_rerun(micro_gym, tmp_path):
    messages: list[str] = []
    result = run_recipe(_two_stages(), tmp_path, gym=micro_gym, progress=messages.append)
    snaps = read_snapshots(tmp_path)
    expected, offset = [], 0
    for stage in result.stages:
        expected += [offset + s for s in snapshot_steps(0.5, stage.steps)]
        offset += stage.steps
    assert [s["global_step"] for s in snaps] == expected
    flops = [s["flops"] for s in snaps]
    assert all(b > a for a, b in itertools.pairwise(flops)) and flops[0] > 0
    assert flops[-1] == pytest.approx(result.compute.flops_total, rel=1e-6)
    assert [s["stage"] for s in snaps][:2] == ["00_cold_start", "00_cold_start"]
    for s in snaps:
        folder = Path(s["model_dir"])
        assert (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()
    assert not list((tmp_path / "snapshots").glob("*.partial"))
    stamps = {s["model_dir"]: (Path(s["model_dir"]) / "model.safetensors").stat().st_mtime_ns for s in snaps}

    again: list[str] = []
    run_recipe(_two_stages(), tmp_path, gym=micro_gym, progress=again.append)
    assert sum("already done" in m for m in again) == len(result.stages)
    assert {s["model_dir"]: (Path(s["model_dir"]) / "model.safetensors").stat().st_mtime_ns
            for s in read_snapshots(tmp_path)} == stamps


@pytest.mark.slow
def test_a_done_stage_without_its_snapshots_runs_again_to_take_them(micro_gym, tmp_path):
    run_recipe(_two_stages(None), tmp_path, gym=micro_gym)
    assert read_snapshots(tmp_path) == []
    messages: list[str] = []
    run_recipe(_two_stages(), tmp_path, gym=micro_gym, progress=messages.append)
    assert sum("without its snapshots" in m for m in messages) == 2
    assert read_snapshots(tmp_path)


def test_max_samples_draws_nested_subsets_and_refuses_more_than_there_is():
    rows = [{"i": i} for i in range(100)]
    small, large = (nested_subset(rows, n, seed=3, field="stages.0.max_samples") for n in (10, 40))
    assert len(small) == 10 and len(large) == 40
    assert {r["i"] for r in small} <= {r["i"] for r in large}
    assert small != rows[:10]  # drawn, not the head of the file
    assert nested_subset(rows, 10, seed=4, field="f") != small
    with pytest.raises(ConfigError, match=r"stages\.0\.max_samples: 101 is more than the 100 rows"):
        nested_subset(rows, 101, seed=0, field="stages.0.max_samples")


@pytest.mark.slow
def test_a_stage_trains_on_its_max_samples_rows(micro_gym, tmp_path):
    recipe = load_recipe(MICRO, ["stages.0.max_samples=16", "stages.0.max_steps=1"])
    result = run_recipe(recipe.model_copy(update={"stages": recipe.stages[:1]}), tmp_path, gym=micro_gym)
    manifest = json.loads((result.stages[0].dir / "manifest.json").read_text())
    assert manifest["data"]["rows"] == 16 and manifest["data"]["max_samples"] == 16
