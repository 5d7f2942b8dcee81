"""``run_study``: build the gym (one per seed with ``base_per_seed``), train every arm for every seed,
evaluate, aggregate, report.

Resumable at three depths: a finished (arm, seed) is skipped (its ``arm.json`` is the marker),
an interrupted training resumes through the recipe runner, and an interrupted evaluation resumes
through the eval run folder. ``results.json`` and ``report.html`` are written atomically at the
end; until then ``study.json`` says ``running``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from r1safe.errors import ConfigError
from r1safe.files import atomic_write_text
from r1safe.gym.build import GymArtifacts, build_gym
from r1safe.study.arm_record import ArmRecord, Evaluation, finished_arm, record_arm
from r1safe.study.config import BUILTIN_ARMS, RECIPE_ARMS, StudyConfig, recipe_path
from r1safe.study.dose import (
    DOSE_SPLITS,
    DoseOps,
    dose_settings,
    run_dose,
    size_arm,
    size_arm_dir,
    snapshot_overrides,
)
from r1safe.study.goodhart_runs import run_goodhart, run_label, run_tasks, train_run_piece
from r1safe.train.overrides import StageSet

Progress = Callable[[str], None]
#: the finished arms, by (arm label, seed)
Done = dict[tuple[str, int], ArmRecord]
RESULTS_VERSION = 1
RL_ARMS = ("rl", "hybrid")


def _train(label: str, recipe: Path, seed: int, gym: GymArtifacts, cfg: StudyConfig, out: Path,
           say: Progress, overrides: tuple[str | StageSet, ...] = ()) -> ArmRecord:
    from r1safe.train.runner import run_recipe

    result = run_recipe(recipe, out / "train", overrides=[*overrides, *cfg.train_overrides], seed=seed, gym=gym,
                        progress=lambda m: say(f"[{label} s{seed}] {m}"), retrain_changed=True)
    return ArmRecord(model_dir=str(result.final_model), compute=result.compute.as_dict(),
                     metrics=str(result.metrics_path))


def gym_progress(say: Progress, seed: int) -> Progress:
    """``say``, each line prefixed with the seed's gym build."""
    return lambda m: say(f"[gym s{seed}] {m}")


def arm_label(arm: str) -> str:
    """An arm's name in folders, tables and progress lines: a built-in arm's name, a recipe file's stem."""
    return arm if arm in BUILTIN_ARMS else Path(arm).stem


def train_arm(arm: str, seed: int, gym: GymArtifacts, cfg: StudyConfig, out: Path, done: Done,
              say: Progress, extra: tuple[str | StageSet, ...] = (), label: str | None = None) -> ArmRecord:
    """Train one arm for one seed into ``out`` (the base arm is the gym's model; distill needs
    ``done[("hybrid", seed)]``, its teacher); ``extra``: more recipe overrides; ``label``: what its
    progress lines are prefixed with (default: the arm's name)."""
    if arm == "base":
        return ArmRecord(model_dir=str(gym.model_dir), compute={"flops_total": 0.0, "wall_s": 0.0}, metrics=None)
    if arm == "distill":
        teacher = Path(done[("hybrid", seed)].model_dir)
        say(f"[distill s{seed}] teacher: hybrid s{seed} ({teacher})")
        extra = (StageSet("rejection_sampling", "teacher", str(teacher)), *extra)
    recipe, fixed = (recipe_path(RECIPE_ARMS[arm][0]), RECIPE_ARMS[arm][1]) if arm in RECIPE_ARMS else (Path(arm), ())
    return _train(label or arm_label(arm), recipe, seed, gym, cfg, out, say, (*fixed, *extra))


def evaluate_arm(model_dir: str, seed: int, gym: GymArtifacts, cfg: StudyConfig, out: Path,
                 splits: list[str] | None = None) -> Evaluation:
    """Evaluate ``model_dir`` on the gym's test splits (or ``splits``) at the study's settings."""
    from r1safe.backends.base import GenerationParams
    from r1safe.eval.config import EvalConfig
    from r1safe.eval.pipeline import run

    ecfg = EvalConfig(model=model_dir, suite="gym", gym=str(gym.root), splits=splits, limit=cfg.limit,
                      out=str(out / "eval"),
                      generation=GenerationParams(n=cfg.samples, seed=seed), bootstrap=cfg.bootstrap,
                      report=False)
    results = run(ecfg)
    return Evaluation(eval_dir=str(out / "eval"), eval_seconds=results.get("timing", {}))


def missing_splits(eval_dir: str) -> list[str]:
    """The world's test splits an arm's finished evaluation has no record of (splits added to the gym
    after it ran: the eval folder resumes and generates only for those)."""
    from r1safe.gym.world import TEST_SPLITS
    from r1safe.study.table import eval_records

    have = {r.split for r in eval_records(eval_dir)}
    return [s for s in TEST_SPLITS if s not in have]


def arm_names(cfg: StudyConfig) -> list[str]:
    """Built-in arms in a dependency-safe order (distill after hybrid), then the user's recipes."""
    order = [a for a in BUILTIN_ARMS if a in cfg.arms]
    return order + list(cfg.recipes)


def _dose_ops(cfg: StudyConfig, gyms: dict[int, GymArtifacts], done: Done, say: Progress) -> DoseOps:
    """Training, evaluation at the dose settings and arm records, for :func:`r1safe.study.dose.run_dose`."""
    settings = dose_settings(cfg)

    def train(arm: str, seed: int, overrides: tuple[str | StageSet, ...], arm_dir: Path) -> ArmRecord:
        return train_arm(arm, seed, gyms[seed], cfg, arm_dir, done, say, overrides, label=arm_dir.parent.name)

    def evaluate(model_dir: str, seed: int, out: Path) -> Evaluation:
        return evaluate_arm(model_dir, seed, gyms[seed], settings, out, splits=list(DOSE_SPLITS))

    def finished(seed: int, arm_dir: Path, make: Callable[[], ArmRecord]) -> ArmRecord:
        digest = gyms[seed].config.digest()
        info = finished_arm(arm_dir / "arm.json", digest, f"this study's seed {seed}")
        if info is None:
            arm_dir.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            made = make()
            info = record_arm(arm_dir / "arm.json", made.model_copy(update={"wall_s": time.perf_counter() - t0}),
                              digest)
        return info

    return DoseOps(train, evaluate, finished)


def _one_seed(cfg: StudyConfig, seed: int, out: Path,
              say: Progress) -> tuple[GymArtifacts, Done]:
    """Build (or reuse) seed ``seed``'s gym, then train and evaluate every arm on it, resuming what is done."""
    return _arms_of_seed(cfg, seed, arm_names(cfg), out, say)


def _arms_of_seed(cfg: StudyConfig, seed: int, arms: list[str], out: Path,
                  say: Progress) -> tuple[GymArtifacts, Done]:
    """Seed ``seed``'s gym (built, or waited for and reused) and ``arms`` trained and evaluated on it in
    order, each skipped when finished before (a finished arm is read, so a later one can use it: distill
    reads its teacher, the hybrid)."""
    done: Done = {}
    gym = build_gym(cfg.gym_for(seed), progress=gym_progress(say, seed))
    digest = gym.config.digest()
    needed = [a for a in arm_names(cfg) if a in arms or (a == "hybrid" and "distill" in arms)]
    for arm in needed:
        label = arm_label(arm)
        arm_dir = out / "arms" / label / f"seed{seed}"
        marker = arm_dir / "arm.json"
        if (info := finished_arm(marker, digest, f"this study's seed {seed}")) is not None:
            if arm not in arms:  # read only, as the teacher of an arm of this piece
                done[(label, seed)] = info
                continue
            if missing := missing_splits(info.evaluation_dir()):
                say(f"[{label} s{seed}] done before; evaluating the splits added since: {', '.join(missing)}")
                info = record_arm(marker, info.evaluated(evaluate_arm(info.model_dir, seed, gym, cfg, arm_dir)),
                                  digest)
            else:
                say(f"[{label} s{seed}] done before, skipped")
            done[(label, seed)] = info
            continue
        if arm not in arms:
            raise ConfigError(f"{marker}: arm {label} of seed {seed} is not finished, and {', '.join(arms)} needs it")
        arm_dir.mkdir(parents=True, exist_ok=True)
        t_arm = time.perf_counter()
        trained = train_arm(arm, seed, gym, cfg, arm_dir, done, say, snapshot_overrides(cfg, arm))
        say(f"[{label} s{seed}] evaluating {trained.model_dir}")
        info = trained.evaluated(evaluate_arm(trained.model_dir, seed, gym, cfg, arm_dir))
        info = record_arm(marker, info.model_copy(update={"wall_s": time.perf_counter() - t_arm}), digest)
        done[(label, seed)] = info
    return gym, {key: info for key, info in done.items() if key[0] in {arm_label(a) for a in arms}}


def arm_groups(cfg: StudyConfig) -> list[list[str]]:
    """A seed's arms in groups that can train side by side, each group in dependency order (distill
    after its teacher, the hybrid), longest first: the RL arms, then SFT, the user's recipes, base."""
    arms = arm_names(cfg)
    groups = [["hybrid", "distill"] if a == "hybrid" and "distill" in arms else [a] for a in arms if a != "distill"]
    weight = {"hybrid": 0, "hybrid_oracle": 1, "rl": 2, "sft": 3, "base": 5}
    return sorted(groups, key=lambda g: weight.get(g[0], 4))


def _size_piece(cfg: StudyConfig, arm: str, size: int, seed: int, out: Path, say: Progress) -> None:
    """One data-size arm as a piece of work on its own (in a worker process beside the seeds): it builds,
    or waits for and reuses, its seed's gym; :func:`run_dose` later finds it finished."""
    gym = build_gym(cfg.gym_for(seed))
    size_arm(arm, size, seed, gym, out, _dose_ops(cfg, {seed: gym}, {}, say), say)


def side_by_side_pieces(cfg: StudyConfig, out: Path) -> dict[str, tuple[Callable[..., Any], tuple[Any, ...]]]:
    """Everything that trains from a seed's gym alone, for one pool of ``jobs`` processes: each seed (its
    gym build and arms; with fewer seeds than jobs, each group of its arms that can train apart, see
    :func:`arm_groups`), then the Goodhart section's unfinished long runs, then its unfinished data-size
    arms. Longest first, so no process idles while another still has hours to go; every piece is
    resumable on its own."""
    calls: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]] = {}
    if len(cfg.seeds) < cfg.jobs:
        for seed in cfg.seeds:
            for group in arm_groups(cfg):
                calls[f"{'+'.join(arm_label(a) for a in group)} s{seed}"] = (_arms_of_seed, (cfg, seed, group, out))
    else:
        calls.update({f"seed {seed}": (_one_seed, (cfg, seed, out)) for seed in cfg.seeds})
    if cfg.goodhart.enabled:
        for arm, beta, seed, run_dir in run_tasks(cfg, out / "goodhart"):
            if not (run_dir / "run.json").is_file():  # a finished one is read by its section
                calls[f"goodhart {run_label(arm, beta, seed)}"] = (train_run_piece, (arm, beta, seed, cfg, run_dir))
    if cfg.dose.enabled:
        for seed in cfg.seeds:
            for arm in [a for a in cfg.dose.size_arms if a in cfg.arms]:
                whole = cfg.gym_for(seed).corpus.safety_size  # that size is the arm itself
                for size in sorted((n for n in cfg.dose.sizes if n < whole), reverse=True):
                    if not (size_arm_dir(out, arm, size, seed) / "arm.json").is_file():
                        calls[f"{arm}@{size} s{seed}"] = (_size_piece, (cfg, arm, size, seed, out))
    return calls


def _all_seeds(cfg: StudyConfig, out: Path, say: Progress) -> tuple[dict[int, GymArtifacts], Done]:
    """Every seed's gym and finished arms, in seed and arm order. With ``jobs`` > 1 the seeds (or, with
    fewer seeds than jobs, groups of their arms, after their gyms are built) run side by side, and so do
    the Goodhart runs and data-size arms (:func:`side_by_side_pieces`), whose sections then find them
    finished."""
    calls = side_by_side_pieces(cfg, out) if cfg.jobs > 1 else {}
    if len(calls) <= 1:
        per_seed = {seed: _one_seed(cfg, seed, out, say) for seed in cfg.seeds}
        gyms = {seed: gym for seed, (gym, _) in per_seed.items()}
        return gyms, {key: info for _, arms in per_seed.values() for key, info in arms.items()}
    from r1safe.study.workers import run_side_by_side

    by_arms = len(cfg.seeds) < cfg.jobs
    if by_arms:  # every piece needs its seed's gym: build each once, before the pool
        for seed in cfg.seeds:
            build_gym(cfg.gym_for(seed), progress=gym_progress(say, seed))
    arm_pieces = [k for k, (fn, _) in calls.items() if fn in (_one_seed, _arms_of_seed)]
    kinds = {"seed": len(cfg.seeds), "Goodhart run": sum(fn is train_run_piece for fn, _ in calls.values()),
             "size arm": sum(fn is _size_piece for fn, _ in calls.values())}
    listed = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in kinds.items() if n)
    split = f" ({len(arm_pieces)} groups of arms)" if by_arms else ""
    say(f"{listed}{split}: {min(cfg.jobs, len(calls))} side by side")
    ran = run_side_by_side(calls, cfg.jobs, lambda key, k, n: say(f"[{key}] finished ({k}/{n})"))
    found: Done = {}
    for key in arm_pieces:
        found.update(ran[key][1])
    gyms = {seed: build_gym(cfg.gym_for(seed)) for seed in cfg.seeds}  # built by now: each is read back
    order = [(arm_label(a), seed) for seed in cfg.seeds for a in arm_names(cfg)]
    return gyms, {key: found[key] for key in order}


def run_study(cfg: StudyConfig, progress: Progress | None = None) -> dict[str, Any]:
    """Run (or resume) the whole study; returns the results dict written to ``results.json``."""
    from r1safe.runtime import configure_threads

    configure_threads()
    say = progress or (lambda _m: None)
    for recipe in cfg.recipes:
        if not Path(recipe).is_file():
            raise ConfigError(f"--recipe {recipe}: no such file")
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    atomic_write_text(out / "study.json", json.dumps({"status": "running", "config": cfg.model_dump(mode="json")}))
    gyms, done = _all_seeds(cfg, out, say)
    t_seeds = time.perf_counter() - t0
    dose = run_dose(cfg, gyms, done, out, _dose_ops(cfg, gyms, done, say), say) if cfg.dose.enabled else None
    t_dose = time.perf_counter() - t0 - t_seeds
    goodhart = run_goodhart(cfg, gyms, say) if cfg.goodhart.enabled else None
    t_goodhart = time.perf_counter() - t0 - t_seeds - t_dose
    from r1safe.study.aggregate import aggregate
    from r1safe.study.report import render

    results = aggregate(cfg, gyms, done, time.perf_counter() - t0, dose, goodhart)
    results["timing"] = {  # wall seconds of this invocation's phases (a resumed phase is short)
        "seeds (with jobs > 1, the Goodhart runs and size arms beside them)": t_seeds,
        "dose-response": t_dose, "goodhart": t_goodhart}
    atomic_write_text(out / "results.json", json.dumps(results, indent=2, ensure_ascii=False))
    atomic_write_text(out / "report.html", render(results))
    atomic_write_text(out / "study.json", json.dumps({"status": "complete", "config": cfg.model_dump(mode="json")}))
    return results
