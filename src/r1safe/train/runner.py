"""Run a recipe: stages in order, each from the previous one's model, with lineage and resume.

Run folder layout::

    OUT/recipe.yaml            the recipe as run (overrides, seed and scale applied)
    OUT/run.json               status, final model, per-stage compute and the run's totals
    OUT/metrics.jsonl          every logged step of every stage (TRL logs + monitor/<name>/<stat>)
    OUT/plots/*.png            reward hacking, rewards, language mixing, drift, compute, length
    OUT/stages/NN_<name>/      model/ (weights + tokenizer), manifest.json, trainer/ while running
    OUT/tensorboard/<stage>/   when report_to has tensorboard
    OUT/snapshots/<step>/      with ``snapshots.every_fraction``: models along training (train/snapshots.py)

A stage's ``manifest.json`` records its parent, config, data hash, compute, wall time and status,
and a fingerprint of all of these (:mod:`r1safe.train.stage_record` keeps it). Re-running a recipe
skips every stage whose manifest is ``done`` with the same fingerprint; a stage that was
interrupted resumes from its last TRL checkpoint when it saved one (``save_steps``), else starts
again. Changing a stage re-runs it and every stage after it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from r1safe.files import versions
from r1safe.train.dist import is_main, world_size
from r1safe.train.monitors.compute import Compute
from r1safe.train.overrides import StageSet, override_lines
from r1safe.train.recipe import Recipe, StageConfig, load_recipe, parse_recipe, scaled
from r1safe.train.rundir import RunLock, fingerprint, quiet_progress_bars, write_json
from r1safe.train.stage_record import StageRecord, StageResult

if TYPE_CHECKING:
    from r1safe.gym.build import GymArtifacts

Progress = Callable[[str], None]


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


def _resolve_recipe(recipe: Recipe | str | Path, overrides: Sequence[str | StageSet], seed: int | None) -> Recipe:
    if any(isinstance(o, StageSet) for o in overrides):
        overrides = override_lines(recipe if isinstance(recipe, Recipe) else load_recipe(recipe), overrides)
    lines = [o for o in overrides if isinstance(o, str)]
    if isinstance(recipe, Recipe):
        if lines:
            data = recipe.model_dump(mode="json", exclude_unset=True)
            recipe = parse_recipe(data, recipe.name, lines)
    else:
        recipe = load_recipe(recipe, lines)
    return recipe.model_copy(update={"seed": seed}) if seed is not None else recipe


def _resolve_gym_arg(recipe: Recipe, gym: GymArtifacts | str | Path | None, progress: Progress) -> GymArtifacts | None:
    from r1safe.train.data import gym_from_dir, resolve_gym

    if gym is None:
        return resolve_gym(recipe.gym_spec(), progress)
    if isinstance(gym, str | Path):
        return resolve_gym(str(gym), progress) if str(gym) in ("default", "micro") else gym_from_dir(gym)
    return gym


def _data_digest(recipe: Recipe, stage: StageConfig, gym: GymArtifacts | None, index: int) -> str | None:
    from r1safe.train.data import file_digest, stage_sources

    digests = [file_digest(path) for _, path, _ in stage_sources(recipe, stage, gym, index)]
    return digests[0] if len(digests) == 1 else fingerprint(digests)


def run_recipe(
    recipe: Recipe | str | Path,
    out_dir: str | Path,
    overrides: Sequence[str | StageSet] = (),
    seed: int | None = None,
    progress: Progress | None = None,
    gym: GymArtifacts | str | Path | None = None,
    retrain_changed: bool = False,
) -> TrainResult:
    """Run (or resume) ``recipe`` into ``out_dir``; see the module doc.

    ``overrides`` are ``--set`` lines or :class:`~r1safe.train.overrides.StageSet` changes of a stage
    found by name or kind, applied in order.
    ``gym`` overrides the recipe's gym: a :class:`~r1safe.gym.build.GymArtifacts`, a build folder,
    ``default`` or ``micro``. ``progress`` receives one-line messages. A finished stage that the
    recipe now configures otherwise is an error unless ``retrain_changed`` (then it and every later
    stage train again). A run that fails or is interrupted says so in ``run.json``.
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
            return _run(recipe, out, say, _resolve_gym_arg(recipe, gym, say), threads, retrain_changed)
    except BaseException as err:
        _mark_stopped(out, err)
        raise
    finally:
        torch.set_num_threads(threads_before)


def _mark_stopped(out: Path, err: BaseException) -> None:
    """``run.json`` says ``interrupted`` (Ctrl-C) or ``failed`` with the error, never ``running``
    after the process has stopped."""
    from r1safe.train.rundir import read_json

    info = read_json(out / "run.json")
    if not is_main() or not info or info.get("status") != "running":
        return
    status = "interrupted" if isinstance(err, KeyboardInterrupt) else "failed"
    error = f"{type(err).__name__}: {err}".strip().splitlines()[0][:500]
    write_json(out / "run.json", {**info, "status": status, "error": error,
                                  "stopped_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")})


def _run(recipe: Recipe, out: Path, say: Progress, gym: GymArtifacts | None, threads: int,
         retrain_changed: bool) -> TrainResult:
    from r1safe.train.data import resolve_base_model
    from r1safe.train.monitors import plot_run
    from r1safe.train.preflight import require

    require(recipe, gym)  # every missing file, model, unreachable source or unusable device at once
    parent = resolve_base_model(recipe.base_model, gym, track=recipe.track)
    _check_teachers(recipe, gym)
    if is_main():
        (out / "recipe.yaml").write_text(
            yaml.safe_dump(recipe.model_dump(mode="json"), sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
    metrics = out / "metrics.jsonl"
    base_fp: dict[str, Any] = {"base": parent, "gym": None if gym is None else gym.config.digest()}
    if recipe.student is not None:
        from r1safe.train.student import fresh_student

        say(f"a fresh student ({recipe.student.num_hidden_layers} layers, hidden {recipe.student.hidden_size}) "
            f"with {parent}'s tokenizer")
        base_fp["student"] = {**recipe.student.model_dump(mode="json"), "seed": recipe.seed}
        parent = fresh_student(recipe.student, parent, recipe.seed, out)
    parent_fp = fingerprint(base_fp)
    run_info: dict[str, Any] = {
        "recipe": recipe.name,
        "status": "running",
        "base_model": parent,
        "gym": None if gym is None else str(gym.root),
        "threads": threads,
        "processes": world_size(),
        "seed": recipe.seed,
        "scale": recipe.scale,
        "versions": versions(),
    }
    write_json(out / "run.json", run_info)
    records = _stage_records(recipe, out, gym, (parent, parent_fp))
    if not retrain_changed:
        _refuse_changed(out, records)
    results: list[StageResult] = []
    offset = 0
    for record in records:
        name = record.name
        res = record.done_before()
        if res is not None and not _snapshots_kept(recipe, out, record, offset, res.steps):
            say(f"[{name}] done before without its snapshots: running it again to take them")
            res = None
        if res is not None:
            say(f"[{name}] already done, skipping")
        else:
            res = _run_stage(record, gym, metrics, offset, say, sum(r.compute.flops_total for r in results))
        results.append(res)
        parent = str(res.model_dir)
        offset += res.steps
    plots = plot_run(metrics, out / "plots") if recipe.monitors.plots and is_main() else []
    result = TrainResult(recipe, out, Path(parent), results, metrics, plots)
    write_json(out / "run.json", {**run_info, **result.as_dict(), "status": "done"})
    say(
        f"done: final model {parent}; {result.compute.flops_total:.3g} FLOPs, "
        f"{sum(s.wall_s for s in results):.0f} s of training"
    )
    return result


def _stage_records(recipe: Recipe, out: Path, gym: GymArtifacts | None, start: tuple[str, str]) -> list[StageRecord]:
    """Every stage's record, each started from the model the stage before it saves."""
    records: list[StageRecord] = []
    parent = start
    for i, (name, raw_stage) in enumerate(zip(recipe.stage_names(), recipe.stages, strict=True)):
        stage = scaled(raw_stage, recipe.scale)
        record = StageRecord(recipe, i, name, stage, out / "stages" / name, parent, _data_digest(recipe, stage, gym, i))
        records.append(record)
        parent = (str(record.model_dir), record.fingerprint)
    return records


def _refuse_changed(out: Path, records: list[StageRecord]) -> None:
    """A finished stage that this recipe would train again with other settings (and so replace its
    model and every later stage's) is a one-line error, as ``r1safe eval`` refuses a folder that
    holds another evaluation; ``retrain_changed`` (``--retrain-changed``) allows it."""
    from r1safe.errors import ConfigError

    for i, record in enumerate(records):
        diff = record.changed()
        if diff is None:
            continue
        done = [r.name for r in records[i:] if r.status == "done"]
        if done:
            raise ConfigError(
                f"{out} holds a finished run of stage {record.name} with other settings ({'; '.join(diff)}); "
                f"training it again would replace the model of {', '.join(done)}: pass --retrain-changed to do "
                "that, or another --out")
        return


def _check_teachers(recipe: Recipe, gym: GymArtifacts | None) -> None:
    """A teacher that cannot be found is a one-line error before any stage runs, not after hours."""
    from r1safe.train.data import resolve_base_model

    for i, stage in enumerate(recipe.stages):
        teacher = getattr(stage, "teacher", None)
        if teacher is not None:
            resolve_base_model(teacher, gym, field=f"stages.{i}.teacher", track=recipe.track)


def _snapshots_kept(recipe: Recipe, out: Path, record: StageRecord, offset: int, steps: int) -> bool:
    """True unless the recipe takes snapshots and this done stage lacks some of them."""
    from r1safe.train.snapshots import snapshots_complete

    every = recipe.snapshots.every_fraction
    return every is None or snapshots_complete(out, every, record.fingerprint, offset, steps)


def _run_stage(record: StageRecord, gym: GymArtifacts | None, metrics: Path, offset: int, say: Progress,
               flops_before: float = 0.0) -> StageResult:
    """Run one stage, resuming from its last checkpoint when it has one; ``record`` keeps its manifest."""
    from r1safe.train.monitors import MetricsSink
    from r1safe.train.stages import run_stage
    from r1safe.train.stages.common import StageContext

    name, stage = record.name, record.stage
    resume_from = record.prepare()
    resumed_step = int(Path(resume_from).name.split("-")[-1]) if resume_from else 0
    sink = MetricsSink(metrics, name, stage.kind, offset)
    sink.restart(resumed_step)
    record.start(resumed_step)
    say(f"[{name}] {'resuming from step ' + str(resumed_step) if resume_from else 'starting'} ({stage.kind})")
    ctx = StageContext(
        recipe=record.recipe,
        index=record.index,
        name=name,
        stage=stage,
        dir=record.dir,
        parent=record.parent,
        gym=gym,
        seed=record.recipe.seed,
        sink=sink,
        progress=say,
        resume_from=resume_from,
        fingerprint=record.fingerprint,
        offset=offset,
        flops_before=flops_before,
    )
    t0 = time.perf_counter()
    with _tensorboard_dir(metrics.parent / "tensorboard" / name):
        try:
            outcome = run_stage(ctx)
        except BaseException as err:
            record.stopped(err, time.perf_counter() - t0)
            raise
    result = record.finish(outcome, time.perf_counter() - t0)
    say(f"[{name}] done in {result.wall_s:.0f} s: {result.steps} steps, {result.compute.flops_total:.3g} FLOPs")
    return result


@contextmanager
def _tensorboard_dir(path: Path) -> Iterator[None]:
    """Point TensorBoard at the stage's folder while it trains (the trainer reads the variable when built)."""
    previous = os.environ.get("TENSORBOARD_LOGGING_DIR")
    os.environ["TENSORBOARD_LOGGING_DIR"] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("TENSORBOARD_LOGGING_DIR", None)
        else:
            os.environ["TENSORBOARD_LOGGING_DIR"] = previous
