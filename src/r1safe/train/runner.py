"""Run a recipe: stages in order, each from the previous one's model, with lineage and resume.

Run folder layout::

    OUT/recipe.yaml            the recipe as run (overrides, seed and scale applied)
    OUT/run.json               status, final model, per-stage compute and the run's totals
    OUT/metrics.jsonl          every logged step of every stage (TRL logs + monitor/<name>/<stat>)
    OUT/plots/*.png            reward hacking, rewards, language mixing, drift, compute, length
    OUT/stages/NN_<name>/      model/ (weights + tokenizer), manifest.json, trainer/ while running
    OUT/tensorboard/<stage>/   when report_to has tensorboard

A stage's ``manifest.json`` records its parent, config, data hash, compute, wall time and status,
and a fingerprint of all of these. Re-running a recipe skips every stage whose manifest is
``done`` with the same fingerprint; a stage that was interrupted resumes from its last TRL
checkpoint when it saved one (``save_steps``), else starts again. Changing a stage re-runs it and
every stage after it.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from r1safe.files import versions
from r1safe.train.dist import barrier, is_main
from r1safe.train.monitors.compute import Compute
from r1safe.train.recipe import Recipe, load_recipe, parse_recipe, scaled
from r1safe.train.rundir import RunLock, fingerprint, quiet_progress_bars, read_json, write_json

Progress = Callable[[str], None]
MANIFEST_VERSION = 1


@dataclass
class StageResult:
    index: int
    name: str
    kind: str
    dir: Path
    status: str  # "done" (ran now) or "skipped" (done before)
    steps: int
    compute: Compute
    wall_s: float
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def model_dir(self) -> Path:
        return self.dir / "model"


@dataclass
class TrainResult:
    """What :func:`run_recipe` hands back to the study."""

    recipe: Recipe
    out_dir: Path
    final_model: Path
    stages: list[StageResult]
    metrics_path: Path
    plots: list[Path]

    @property
    def compute(self) -> Compute:
        total = Compute()
        for s in self.stages:
            total = total + s.compute
        return total

    def as_dict(self) -> dict[str, Any]:
        return {
            "recipe": self.recipe.name,
            "out_dir": str(self.out_dir),
            "final_model": str(self.final_model),
            "metrics": str(self.metrics_path),
            "plots": [str(p) for p in self.plots],
            "compute": self.compute.as_dict(),
            "stages": [
                {
                    "index": s.index,
                    "name": s.name,
                    "kind": s.kind,
                    "status": s.status,
                    "steps": s.steps,
                    "model_dir": str(s.model_dir),
                    "wall_s": s.wall_s,
                    "compute": s.compute.as_dict(),
                    "summary": s.summary,
                }
                for s in self.stages
            ],
        }


def apply_threads(threads: int | None) -> int:
    """Set torch's thread count: the recipe's, else ``$R1SAFE_NUM_THREADS``, else 1 (see
    :mod:`r1safe.runtime`)."""
    from r1safe.runtime import configure_threads

    return configure_threads(threads)


def _resolve_recipe(recipe: Recipe | str | Path, overrides: Sequence[str], seed: int | None) -> Recipe:
    if isinstance(recipe, Recipe):
        if overrides:
            data = recipe.model_dump(mode="json", exclude_unset=True)
            recipe = parse_recipe(data, recipe.name, list(overrides))
    else:
        recipe = load_recipe(recipe, list(overrides))
    return recipe.model_copy(update={"seed": seed}) if seed is not None else recipe


def _resolve_gym_arg(recipe: Recipe, gym: Any, progress: Progress) -> Any:
    from r1safe.train.data import gym_from_dir, resolve_gym

    if gym is None:
        return resolve_gym(recipe.gym_spec(), progress)
    if isinstance(gym, str | Path):
        return resolve_gym(str(gym), progress) if str(gym) in ("default", "micro") else gym_from_dir(gym)
    return gym


def _data_digest(recipe: Recipe, stage: Any, gym: Any, index: int) -> str | None:
    from r1safe.train.data import file_digest, resolve_source

    source = stage.data or (recipe.data.sft if stage.kind == "sft" else recipe.data.prompts)
    return file_digest(resolve_source(source, gym, f"stages.{index}.data"))


def run_recipe(
    recipe: Recipe | str | Path,
    out_dir: str | Path,
    overrides: Sequence[str] = (),
    seed: int | None = None,
    progress: Progress | None = None,
    gym: Any = None,
) -> TrainResult:
    """Run (or resume) ``recipe`` into ``out_dir``; see the module doc.

    ``gym`` overrides the recipe's gym: a :class:`~r1safe.gym.build.GymArtifacts`, a build folder,
    ``default`` or ``micro``. ``progress`` receives one-line messages.
    """
    import torch

    say = progress or (lambda _m: None)
    recipe = _resolve_recipe(recipe, overrides, seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    threads_before = torch.get_num_threads()
    threads = apply_threads(recipe.threads)
    try:
        with RunLock(out), quiet_progress_bars():
            return _run(recipe, out, say, _resolve_gym_arg(recipe, gym, say), threads)
    finally:
        torch.set_num_threads(threads_before)


def _run(recipe: Recipe, out: Path, say: Progress, gym: Any, threads: int) -> TrainResult:
    from r1safe.train.data import resolve_base_model
    from r1safe.train.monitors import plot_run

    if is_main():
        (out / "recipe.yaml").write_text(
            yaml.safe_dump(recipe.model_dump(mode="json"), sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
    metrics = out / "metrics.jsonl"
    parent = resolve_base_model(recipe.base_model, gym)
    parent_fp = fingerprint({"base": parent, "gym": None if gym is None else gym.config.digest()})
    run_info: dict[str, Any] = {
        "recipe": recipe.name,
        "status": "running",
        "base_model": parent,
        "gym": None if gym is None else str(gym.root),
        "threads": threads,
        "seed": recipe.seed,
        "scale": recipe.scale,
        "versions": versions(),
    }
    write_json(out / "run.json", run_info)
    results: list[StageResult] = []
    offset = 0
    for i, (name, raw_stage) in enumerate(zip(recipe.stage_names(), recipe.stages, strict=True)):
        stage = scaled(raw_stage, recipe.scale)
        sdir = out / "stages" / name
        config = stage.model_dump(mode="json")
        fp = fingerprint(
            {
                "stage": config,
                "parent": parent_fp,
                "seed": recipe.seed,
                "precision": recipe.precision,
                "data": _data_digest(recipe, stage, gym, i),
                "version": MANIFEST_VERSION,
            }
        )
        manifest = read_json(sdir / "manifest.json")
        if (
            manifest
            and manifest.get("status") == "done"
            and manifest.get("fingerprint") == fp
            and (sdir / "model" / "config.json").is_file()
        ):
            say(f"[{name}] already done, skipping")
            res = StageResult(
                i,
                name,
                stage.kind,
                sdir,
                "skipped",
                manifest["steps"],
                Compute.from_dict(manifest["compute"]),
                manifest["wall_s"],
                manifest.get("summary", {}),
            )
        else:
            res = _run_stage(recipe, i, name, stage, sdir, (parent, parent_fp), fp, manifest, gym, metrics, offset, say)
        results.append(res)
        parent, parent_fp = str(sdir / "model"), fp
        offset += res.steps
    plots = plot_run(metrics, out / "plots") if recipe.monitors.plots and is_main() else []
    result = TrainResult(recipe, out, Path(parent), results, metrics, plots)
    write_json(out / "run.json", {**run_info, **result.as_dict(), "status": "done"})
    say(
        f"done: final model {parent}; {result.compute.flops_total:.3g} FLOPs, "
        f"{sum(s.wall_s for s in results):.0f} s of training"
    )
    return result


def _run_stage(
    recipe: Recipe,
    i: int,
    name: str,
    stage: Any,
    sdir: Path,
    parents: tuple[str, str],
    fp: str,
    manifest: dict[str, Any] | None,
    gym: Any,
    metrics: Path,
    offset: int,
    say: Progress,
) -> StageResult:
    """Run one stage (resuming from its last checkpoint when it has one) and write its manifest."""
    from transformers.trainer_utils import get_last_checkpoint

    from r1safe.train.monitors import MetricsSink
    from r1safe.train.stages import run_stage
    from r1safe.train.stages.common import StageContext

    parent, parent_fp = parents
    resume_from = None
    if manifest and manifest.get("fingerprint") == fp and (sdir / "trainer").is_dir():
        resume_from = get_last_checkpoint(str(sdir / "trainer"))
    if resume_from is None and is_main():
        shutil.rmtree(sdir, ignore_errors=True)
    barrier()
    sdir.mkdir(parents=True, exist_ok=True)
    resumed_step = int(Path(resume_from).name.split("-")[-1]) if resume_from else 0
    sink = MetricsSink(metrics, name, stage.kind, offset)
    sink.restart(resumed_step)
    base = {
        "version": MANIFEST_VERSION,
        "recipe": recipe.name,
        "index": i,
        "name": name,
        "kind": stage.kind,
        "fingerprint": fp,
        "parent": {"model": parent, "fingerprint": parent_fp},
        "config": stage.model_dump(mode="json"),
        "seed": recipe.seed,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "resumed_from_step": resumed_step or None,
        "versions": versions(),
    }
    write_json(sdir / "manifest.json", {**base, "status": "running"})
    say(f"[{name}] {'resuming from step ' + str(resumed_step) if resume_from else 'starting'} ({stage.kind})")
    ctx = StageContext(
        recipe=recipe,
        index=i,
        name=name,
        stage=stage,
        dir=sdir,
        parent=parent,
        gym=gym,
        seed=recipe.seed,
        sink=sink,
        progress=say,
        resume_from=resume_from,
    )
    t0 = time.perf_counter()
    previous_tb = os.environ.get("TENSORBOARD_LOGGING_DIR")  # read when the trainer is built
    os.environ["TENSORBOARD_LOGGING_DIR"] = str(metrics.parent / "tensorboard" / name)
    try:
        outcome = run_stage(ctx)
    except BaseException as err:
        status = "interrupted" if isinstance(err, KeyboardInterrupt) else "failed"
        write_json(
            sdir / "manifest.json",
            {**base, "status": status, "wall_s": time.perf_counter() - t0, "error": f"{type(err).__name__}: {err}"},
        )
        raise
    finally:
        if previous_tb is None:
            os.environ.pop("TENSORBOARD_LOGGING_DIR", None)
        else:
            os.environ["TENSORBOARD_LOGGING_DIR"] = previous_tb
    wall = time.perf_counter() - t0
    outcome.compute.wall_s = wall
    done = {
        **base,
        "status": "done",
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "wall_s": wall,
        "steps": outcome.steps,
        "data": outcome.data,
        "compute": outcome.compute.as_dict(),
        "summary": outcome.summary,
    }
    write_json(sdir / "manifest.json", done)
    if is_main():
        shutil.rmtree(sdir / "trainer", ignore_errors=True)
    say(f"[{name}] done in {wall:.0f} s: {outcome.steps} steps, {outcome.compute.flops_total:.3g} FLOPs")
    return StageResult(i, name, stage.kind, sdir, "done", outcome.steps, outcome.compute, wall, outcome.summary)
