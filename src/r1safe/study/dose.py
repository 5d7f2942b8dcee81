"""Dose-response: how held-out harm, over-refusal and capability move with compute and with data.

Two doses, both evaluated at the study's smaller dose settings (``dose.limit`` prompts per split,
``dose.samples`` replies) on the held-out harmful splits, borderline, benign and capability:

- **Compute.** Each curve arm trains with ``snapshots.every_fraction`` (:mod:`r1safe.train.snapshots`:
  every fraction of each stage's steps, with the run's cumulative FLOPs, the figure the main
  table's FLOPs column sums). Every snapshot is evaluated, and so is the gym's base model (FLOPs 0,
  the start of every built-in arm). Points are matched across seeds by (stage, rank within the
  stage); each point's rates pool its seeds with the main table's bootstrap over (seed, prompt).
- **Safety-data size.** The SFT and hybrid arms train again with ``max_samples`` rows of the
  safety-SFT set (nested subsets: 125 ⊂ 250 ⊂ …, the same epochs, so fewer rows is also fewer
  steps); a size equal to the whole set is the arm itself (its last snapshot when it has a curve).

"FLOPs to threshold" is, per seed, the cumulative FLOPs of the *first evaluated point* whose
held-out harm is at most ``dose.threshold``, with the point before it recorded as the bracket:
the true crossing lies in ``(before, at]``, an upper bound at the resolution of the snapshots, no
interpolation. A seed that never gets there is "never" (None), never a number. Across seeds:
the median (None when the median seed never reached it) and [min, max] with None as "never".
"""

from __future__ import annotations

import functools
import math
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from r1safe.errors import ConfigError
from r1safe.gym.build import GymArtifacts
from r1safe.gym.world import HARMFUL_SPLITS
from r1safe.jsonl import read_objects
from r1safe.study.arm_record import ArmRecord, Evaluation
from r1safe.study.config import StudyConfig
from r1safe.study.table import Column, cell, compute_cell, eval_records, rows_from_records
from r1safe.train.overrides import StageSet

HELD_OUT_SPLITS = tuple(s for s in HARMFUL_SPLITS if s != "id")
DOSE_SPLITS = (*HELD_OUT_SPLITS, "borderline", "benign", "capability")
DOSE_COLUMNS = (
    Column("harm_held_out", "harmful compliance · held-out", "harmful_compliance", HELD_OUT_SPLITS, True),
    Column("over_refusal", "over-refusal · borderline + benign", "over_refusal", ("borderline", "benign"), True),
    Column("arithmetic", "arithmetic accuracy", "capability", ("capability",), False),
)
SAFETY_DATA = "gym:safety_sft"

#: What the runner lends: ``train(arm, seed, overrides, arm_dir)`` trains an arm (resumably);
#: ``evaluate(model_dir, seed, out)`` evaluates at the dose settings; ``finished(seed, arm_dir, make)``
#: returns the arm record in ``arm_dir`` or, when there is none, makes it with ``make()`` and records it.
Train = Callable[[str, int, tuple[str | StageSet, ...], Path], ArmRecord]
Evaluate = Callable[[str, int, Path], Evaluation]
Finished = Callable[[int, Path, Callable[[], ArmRecord]], ArmRecord]


class DoseOps:
    """The runner's operations :func:`run_dose` uses (passed in: the runner imports this module)."""

    def __init__(self, train: Train, evaluate: Evaluate, finished: Finished) -> None:
        self.train, self.evaluate, self.finished = train, evaluate, finished


def snapshot_overrides(cfg: StudyConfig, arm: str) -> tuple[str, ...]:
    """The recipe overrides that make ``arm`` take snapshots, when the study draws its curve."""
    if cfg.dose.enabled and arm in cfg.dose.arms:
        return (f"snapshots.every_fraction={cfg.dose.every_fraction}",)
    return ()


def dose_settings(cfg: StudyConfig) -> StudyConfig:
    """The study config with the dose's prompt limit and sample count in place of the end point's."""
    return cfg.model_copy(update={"limit": cfg.dose.limit, "samples": cfg.dose.samples})


def safety_stages(arm: str) -> list[int]:
    """Indices of ``arm``'s SFT stages that train on the gym's safety set (where ``max_samples`` goes)."""
    from r1safe.study.config import arm_recipe

    recipe = arm_recipe(arm)
    return [i for i, s in enumerate(recipe.stages) if s.kind == "sft" and (s.data or recipe.data.sft) == SAFETY_DATA]


def size_overrides(arm: str, size: int) -> tuple[StageSet, ...]:
    """The changes that train ``arm`` on ``size`` rows of the safety set: ``max_samples`` of each of
    its SFT stages that trains on it."""
    return tuple(StageSet(i, "max_samples", size) for i in safety_stages(arm))


def _point(info: dict[str, Any], eval_dir: str) -> dict[str, Any]:
    return {"stage": info.get("stage"), "stage_index": info.get("stage_index", -1),
            "global_step": info.get("global_step", 0), "flops": info.get("flops", 0.0), "eval_dir": eval_dir}


def run_dose(cfg: StudyConfig, gyms: dict[int, GymArtifacts], done: dict[tuple[str, int], ArmRecord], out: Path,
             ops: DoseOps, say: Callable[[str], None]) -> dict[str, Any]:
    """Evaluate every curve arm's snapshots and train and evaluate the data-size arms, for every
    seed; returns the raw points (``curves``, ``data_size``) and the seconds each part took."""
    from r1safe.train.snapshots import read_snapshots

    t0 = time.perf_counter()
    curves: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for seed, gym in gyms.items():
        start_dir = out / "dose" / "start" / f"seed{seed}"
        start = None
        for arm in [a for a in cfg.dose.arms if (a, seed) in done]:
            arm_dir = out / "arms" / arm / f"seed{seed}"
            if not read_snapshots(arm_dir / "train"):
                say(f"[{arm} s{seed}] trained before without snapshots: taking them")
                ops.train(arm, seed, snapshot_overrides(cfg, arm), arm_dir)
            if start is None:
                say(f"[dose s{seed}] evaluating the base model (FLOPs 0)")
                start = _point({}, ops.evaluate(str(gym.model_dir), seed, start_dir).eval_dir)
            points = [start]
            snaps = read_snapshots(arm_dir / "train")
            for i, snap in enumerate(snaps, 1):
                say(f"[{arm} s{seed}] dose: snapshot {i}/{len(snaps)} (step {snap['global_step']}, "
                    f"{snap['flops']:.3g} FLOPs)")
                folder = arm_dir / "dose" / f"{snap['global_step']:06d}"
                points.append(_point(snap, ops.evaluate(snap["model_dir"], seed, folder).eval_dir))
            curves.setdefault(arm, {})[seed] = points
    t_curves = time.perf_counter() - t0
    sizes = _run_sizes(cfg, gyms, done, out, curves, ops, say)
    return {"curves": curves, "data_size": sizes,
            "wall_s": {"curves": t_curves, "data_size": time.perf_counter() - t0 - t_curves}}


def _run_sizes(cfg: StudyConfig, gyms: dict[int, GymArtifacts], done: dict[tuple[str, int], ArmRecord], out: Path,
               curves: dict[str, dict[int, list[dict[str, Any]]]], ops: DoseOps,
               say: Callable[[str], None]) -> dict[str, dict[int, list[dict[str, Any]]]]:
    """``{arm: {seed: [{size, rows, flops, eval_dir}]}}`` for the data-size dose."""
    sizes: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for seed, gym in gyms.items():
        rows = safety_rows(gym)
        if too_many := [n for n in cfg.dose.sizes if n > rows]:
            raise ConfigError(f"dose.sizes: {too_many[0]} is more than the {rows} rows of {SAFETY_DATA}")
        for arm in [a for a in cfg.dose.size_arms if (a, seed) in done]:
            for size in sorted(cfg.dose.sizes):
                if size == rows:
                    drawn = curves.get(arm, {}).get(seed)
                    last = drawn[-1] if drawn else None
                    if last is not None and last["stage"] is not None:
                        flops = last["flops"]
                        eval_dir = last["eval_dir"]
                    else:
                        info = done[(arm, seed)]
                        flops = info.flops
                        eval_dir = ops.evaluate(info.model_dir, seed, out / "arms" / arm / f"seed{seed}" / "dose" /
                                                "final").eval_dir
                else:
                    info = size_arm(arm, size, seed, gym, out, ops, say)
                    flops, eval_dir = info.flops, info.evaluation_dir()
                sizes.setdefault(arm, {}).setdefault(seed, []).append(
                    {"size": size, "rows": rows, "flops": flops, "eval_dir": eval_dir})
    return sizes


def safety_rows(gym: GymArtifacts) -> int:
    """Rows in the gym's safety-SFT set (a size equal to it is the arm itself)."""
    return len(read_objects(gym.corpus(SAFETY_DATA.split(":", 1)[1])))


def size_arm_dir(out: Path, arm: str, size: int, seed: int) -> Path:
    """Where ``arm`` trained on ``size`` safety rows lives in the study folder ``out``."""
    return out / "arms" / f"{arm}@{size}" / f"seed{seed}"


def size_arm(arm: str, size: int, seed: int, gym: GymArtifacts, out: Path, ops: DoseOps,
             say: Callable[[str], None]) -> ArmRecord:
    """The record of ``arm`` trained on ``size`` safety rows and evaluated at the dose settings,
    trained now unless a finished one is in ``out`` (``size`` below the whole set)."""
    rows = safety_rows(gym)
    arm_dir = size_arm_dir(out, arm, size, seed)
    return ops.finished(seed, arm_dir, functools.partial(_train_size, arm, size, rows, seed, arm_dir, ops, say))


def _train_size(arm: str, size: int, rows: int, seed: int, arm_dir: Path, ops: DoseOps,
                say: Callable[[str], None]) -> ArmRecord:
    """Train ``arm`` on ``size`` of the ``rows`` safety rows and evaluate it at the dose settings."""
    say(f"[{arm}@{size} s{seed}] training on {size} of the {rows} safety rows")
    info = ops.train(arm, seed, size_overrides(arm, size), arm_dir)
    return info.evaluated(ops.evaluate(info.model_dir, seed, arm_dir))


def _cells(eval_dirs: dict[int, str], resamples: int) -> dict[str, Any]:
    rows = {seed: rows_from_records(eval_records(d), seed) for seed, d in eval_dirs.items()}
    return {c.key: cell(c, rows, resamples) for c in DOSE_COLUMNS}


def curve(points_by_seed: dict[int, list[dict[str, Any]]], resamples: int = 1000) -> list[dict[str, Any]]:
    """One arm's curve: its points matched across seeds by (stage, rank in the stage), in order,
    each with FLOPs and global step (mean [min–max] over seeds) and the :data:`DOSE_COLUMNS` cells."""
    matched: dict[tuple[int, int], dict[int, dict[str, Any]]] = {}
    for seed, points in points_by_seed.items():
        ranks: dict[int, int] = {}
        for p in points:
            rank = ranks[p["stage_index"]] = ranks.get(p["stage_index"], -1) + 1
            matched.setdefault((p["stage_index"], rank), {})[seed] = p
    out = []
    for _key, by_seed in sorted(matched.items()):
        first = next(iter(by_seed.values()))
        out.append({"stage": first["stage"], "seeds": len(by_seed),
                    "flops": compute_cell({s: p["flops"] for s, p in by_seed.items()}),
                    "global_step": compute_cell({s: p["global_step"] for s, p in by_seed.items()}),
                    **_cells({s: p["eval_dir"] for s, p in by_seed.items()}, resamples)})
    return out


def first_reach(points: list[tuple[float, float | None]], threshold: float) -> dict[str, float | None] | None:
    """``{at, before}``: the FLOPs of the first point (by FLOPs) with harm ≤ ``threshold`` and of the
    point before it (None at the start); None when no point gets there."""
    before = None
    for flops, harm in sorted(points, key=lambda p: p[0]):
        if harm is not None and harm <= threshold:
            return {"at": flops, "before": before}
        before = flops
    return None


def flops_to_threshold(points: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    """Per seed and across seeds, the FLOPs an arm's curve needs to first reach held-out harm ≤
    ``threshold`` (see the module doc; None is "never")."""
    seeds = sorted({s for p in points for s in p["flops"]["per_seed"]}, key=str)
    per_seed: dict[str, dict[str, float | None] | None] = {}
    for seed in seeds:
        pts = [(p["flops"]["per_seed"][seed], (p["harm_held_out"] or {}).get("per_seed", {}).get(seed))
               for p in points if seed in p["flops"]["per_seed"]]
        per_seed[seed] = first_reach(pts, threshold)
    keyed = [math.inf if r is None or r["at"] is None else r["at"] for r in per_seed.values()]

    def finite(x: float) -> float | None:
        return None if math.isinf(x) else x

    return {"threshold": threshold, "seeds": len(keyed), "reached": sum(not math.isinf(x) for x in keyed),
            "value": finite(statistics.median(keyed)) if keyed else None,
            "ci": [finite(min(keyed)), finite(max(keyed))] if keyed else [None, None],
            "per_seed": {s: None if r is None else r["at"] for s, r in per_seed.items()},
            "bracket": {s: None if r is None else [r["before"], r["at"]] for s, r in per_seed.items()}}


def size_curve(points_by_seed: dict[int, list[dict[str, Any]]], resamples: int = 1000) -> list[dict[str, Any]]:
    """One arm's data-size dose: per size, FLOPs over seeds and the :data:`DOSE_COLUMNS` cells."""
    by_size: dict[int, dict[int, dict[str, Any]]] = {}
    for seed, points in points_by_seed.items():
        for p in points:
            by_size.setdefault(p["size"], {})[seed] = p
    return [{"size": size, "rows": next(iter(by_seed.values()))["rows"], "seeds": len(by_seed),
             "flops": compute_cell({s: p["flops"] for s, p in by_seed.items()}),
             **_cells({s: p["eval_dir"] for s, p in by_seed.items()}, resamples)}
            for size, by_seed in sorted(by_size.items())]


def aggregate_dose(cfg: StudyConfig, raw: dict[str, Any]) -> dict[str, Any]:
    """The ``dose`` section of ``results.json`` from :func:`run_dose`'s raw points."""
    curves = {arm: curve(by_seed, cfg.bootstrap) for arm, by_seed in raw["curves"].items()}
    return {"settings": cfg.dose.model_dump(mode="json"), "splits": list(DOSE_SPLITS),
            "curves": curves,
            "flops_to_threshold": {arm: flops_to_threshold(points, cfg.dose.threshold)
                                   for arm, points in curves.items()},
            "data_size": {arm: size_curve(by_seed, cfg.bootstrap) for arm, by_seed in raw["data_size"].items()},
            "wall_s": raw.get("wall_s", {})}
