"""``run_real_study``: the whole real track on one real model, resumable phase by phase.

1. **convert** the named model from its wheel (once, into r1safe's cache);
2. **track**: the prompt pools, the RL prompt pool, the probe and the test splits, written as JSONL
   corpora of ``<out>/track`` (:mod:`r1safe.study.real.pools`), with the data card;
3. **cold start**: the instruct model's own replies become the format cold-start corpus, and the shipped
   ``cold_start`` recipe trains the reasoning base (``<out>/track/base``, the ``base`` arm);
4. **safety corpus**: the base's safety SFT rows (:mod:`r1safe.study.real.corpora`);
5. **arms**: the shipped ``sft``, ``rl`` and ``hybrid`` recipes from the base, through the same runner,
   monitors and compute accounting as the gym (the hybrid reuses the SFT arm's identical first stage);
6. **evaluation**: every arm (the untouched ``instruct`` model too) on the test splits, k samples each,
   by the real-text judges; then ``results.json`` and ``report.html``.

With ``jobs`` > 1 independent work runs side by side in spawned processes: the cold start's two halves
(sums, requests); the base's training beside the instruct model's evaluation; then two lanes, SFT ->
hybrid -> the hybrid's evaluation beside RL alone -> the base's, RL's and SFT's evaluations.
Every phase leaves a marker, so a rerun resumes where it stopped; ``results.json`` and ``report.html``
are written whole at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from r1safe.errors import ConfigError
from r1safe.files import atomic_write_json, atomic_write_jsonl, atomic_write_text, fresh_partial_dir, publish_dir
from r1safe.records import Sample
from r1safe.study.real.config import RealStudyConfig

if TYPE_CHECKING:
    from r1safe.study.real.corpora import Built
    from r1safe.study.real.pools import Pools

Progress = Callable[[str], None]
TEST_CORPUS = "test"


def track_dir(cfg: RealStudyConfig) -> Path:
    return Path(cfg.out) / "track"


def arm_dir(cfg: RealStudyConfig, arm: str) -> Path:
    return Path(cfg.out) / "arms" / arm


def _write_samples(path: Path, samples: list[Sample]) -> None:
    atomic_write_jsonl(path, (s.model_dump(mode="json") for s in samples))


def _first(samples: list[Sample], n: int | None) -> list[Sample]:
    return samples if n is None else samples[:n]


def prepare_track(cfg: RealStudyConfig, say: Progress) -> dict[str, Any]:
    """Pools, the RL prompt pool, the probe and the test splits as corpora; the data card (cheap, rebuilt
    on every run from the same files, so it always matches them)."""
    from r1safe.paths import data_dir
    from r1safe.study.real.pools import build_pools

    root = data_dir(cfg.data_dir)
    if root is None or not root.is_dir():
        raise ConfigError(f"data: no data folder (got {root}); pass --data-dir or set R1SAFE_DATA_DIR to a folder "
                          "in the shared/data layout (advbench/, oasst-model-eval/, wildguardtest/, ...)")
    c = cfg.corpora
    train = build_pools(root, max_chars=c.max_chars)
    test = build_pools(root, max_chars=c.test_max_chars).test
    corpora = track_dir(cfg) / "corpora"
    rl = (_first(train.train_harmful, c.rl_harmful) + _first(train.train_benign, c.rl_benign)
          + _first(train.train_borderline, c.rl_borderline) + _first(train.train_arithmetic, c.rl_arithmetic))
    _write_samples(corpora / "rl_prompts.jsonl", rl)
    by_split: dict[str, list[Sample]] = {}
    for s in train.dev:
        by_split.setdefault(s.split, []).append(s)
    _write_samples(corpora / "probe.jsonl", [s for group in by_split.values() for s in group[: c.probe_per_split]])
    _write_samples(corpora / "dev.jsonl", train.dev)
    _write_samples(corpora / f"{TEST_CORPUS}.jsonl", [s for rows in test.values() for s in rows])
    card = {"data_dir": str(root), "sources": train.card()[:-1], "counts": train.card()[-1]["counts"],
            "test_counts": {k: len(v) for k, v in test.items()}, "rl_prompts": len(rl)}
    atomic_write_json(track_dir(cfg) / "data_card.json", card)
    say(f"track: {len(rl)} RL prompts, {sum(len(v) for v in test.values())} test prompts in {len(test)} splits "
        f"from {root}")
    return {"pools": train, "card": card}


def instruct_model(cfg: RealStudyConfig, say: Progress | None = None) -> str:
    """The folder of the model the track starts from: a named model converted on first use, or a folder."""
    from r1safe.backends.named_models import is_named_model, named_model_dir

    if is_named_model(cfg.model):
        return str(named_model_dir(cfg.model, progress=say))
    from r1safe.backends.loading import resolve_model

    path, local = resolve_model(cfg.model)
    if not local:
        raise ConfigError(f"model: {cfg.model} is not a local folder or a named model; the real track runs offline")
    return path


def _backend(model: str) -> Any:
    from r1safe.backends.transformers import TransformersBackend

    return TransformersBackend(model, batch_size=64)


COLD_START_PARTS = ("arithmetic", "benign")


def _corpus(cfg: RealStudyConfig, name: str, label: str, say: Progress,
            write: Callable[[Pools], Built]) -> dict[str, Any]:
    """The track corpus ``name``: its stats when written before, else ``write(pools)``'s rows written with
    their counts and wall time."""
    from r1safe.paths import data_dir
    from r1safe.study.real.pools import build_pools

    path = track_dir(cfg) / "corpora" / f"{name}.jsonl"
    stats_path = path.with_suffix(".stats.json")
    if path.is_file() and stats_path.is_file():
        return json.loads(stats_path.read_text())
    pools = build_pools(data_dir(cfg.data_dir) or Path("."), max_chars=cfg.corpora.max_chars)
    t0 = time.perf_counter()
    built = write(pools)
    atomic_write_jsonl(path, built.rows)
    stats = {"rows": len(built.rows), "counts": dict(built.counts), "wall_s": time.perf_counter() - t0}
    atomic_write_json(stats_path, stats)
    say(f"{label}: kept {len(built.rows)} rows ({', '.join(f'{k} {v}' for k, v in built.counts.items())})")
    return stats


def build_cold_start_part(cfg: RealStudyConfig, part: str, say: Progress) -> dict[str, Any]:
    """One half of the format cold-start corpus (``arithmetic`` or ``benign``) from the instruct model's own
    replies; the halves are independent, so they are sampled side by side (skipped when written before)."""
    from r1safe.study.real.corpora import cold_start_arithmetic_rows, cold_start_benign_rows

    def write(pools: Pools) -> Built:
        backend = _backend(instruct_model(cfg))
        if part == "arithmetic":
            sums = _first(pools.train_arithmetic, cfg.corpora.cold_start_arithmetic)
            say(f"cold start: sampling the instruct model on {len(sums)} sums")
            return cold_start_arithmetic_rows(backend, sums, seed=cfg.seed)
        benign = _first(pools.train_benign, cfg.corpora.cold_start_benign)
        say(f"cold start: sampling the instruct model on {len(benign)} requests")
        return cold_start_benign_rows(backend, benign, seed=cfg.seed)

    return _corpus(cfg, f"cold_start.{part}", f"cold start ({part})", say, write)


def build_cold_start_corpus(cfg: RealStudyConfig, say: Progress) -> dict[str, Any]:
    """The format cold-start corpus: its two halves (sampled here when missing) joined into one file."""
    path = track_dir(cfg) / "corpora" / "cold_start.jsonl"
    stats_path = path.with_suffix(".stats.json")
    if path.is_file() and stats_path.is_file():
        return json.loads(stats_path.read_text())
    parts = {part: build_cold_start_part(cfg, part, say) for part in COLD_START_PARTS}
    rows = [line for part in COLD_START_PARTS
            for line in (track_dir(cfg) / "corpora" / f"cold_start.{part}.jsonl").read_text().splitlines() if line]
    atomic_write_text(path, "".join(f"{line}\n" for line in rows))
    counts = {k: v for p in parts.values() for k, v in p["counts"].items()}
    stats = {"rows": len(rows), "counts": counts, "wall_s": sum(p["wall_s"] for p in parts.values())}
    atomic_write_json(stats_path, stats)
    return stats


def _recipe(cfg: RealStudyConfig, name: str) -> str:
    return f"{cfg.recipes}/{name}"


def train_recipe(cfg: RealStudyConfig, recipe: str, out: Path, say: Progress, label: str,
                 extra: list[str] | None = None) -> dict[str, Any]:
    """Train the shipped ``recipe`` of the study's family on its track into ``out`` (resumable)."""
    from r1safe.train.runner import run_recipe

    overrides = [f"track={track_dir(cfg).resolve()}"]
    if recipe == "cold_start":
        overrides.append(f"base_model={instruct_model(cfg)}")
    overrides += [*cfg.train_overrides.get(recipe, []), *(extra or [])]
    result = run_recipe(_recipe(cfg, recipe), out, overrides=overrides, seed=cfg.seed,
                        progress=lambda m: say(f"[{label}] {m}"), retrain_changed=True)
    return {"model_dir": str(result.final_model), "compute": result.compute.as_dict(),
            "stages": [{"name": s.name, "kind": s.kind, "steps": s.steps, "wall_s": s.wall_s,
                        "compute": s.compute.as_dict(), "summary": s.summary} for s in result.stages],
            "metrics": str(result.metrics_path)}


def train_base(cfg: RealStudyConfig, say: Progress) -> dict[str, Any]:
    """The cold-start recipe's model, linked as the track's reasoning base (``track/base``)."""
    marker = arm_dir(cfg, "base") / "arm.json"
    if marker.is_file():
        return json.loads(marker.read_text())
    info = train_recipe(cfg, "cold_start", arm_dir(cfg, "base") / "train", say, "base")
    link = track_dir(cfg) / "base"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(os.path.relpath(info["model_dir"], link.parent))
    atomic_write_json(marker, info)
    return info


def build_safety_corpus(cfg: RealStudyConfig, say: Progress) -> dict[str, Any]:
    """The safety SFT corpus, written with the reasoning base (skipped when written before)."""
    from r1safe.study.real.corpora import safety_rows

    def write(pools: Pools) -> Built:
        harmful = _first(pools.train_harmful, cfg.corpora.safety_harmful)
        borderline = _first(pools.train_borderline, cfg.corpora.safety_borderline)
        say(f"safety corpus: {len(harmful)} harmful and {len(borderline)} borderline prompts, written with the "
            "base")
        return safety_rows(_backend(str(track_dir(cfg) / "base")), harmful, borderline, seed=cfg.seed)

    return _corpus(cfg, "safety_sft", "safety corpus", say, write)


def reuse_first_stage(src_run: Path, dst_run: Path) -> None:
    """Copy the finished first stage of the run in ``src_run`` into the run folder ``dst_run``: the runner
    skips it there only when its fingerprint (config, parent, seed, data) is the very stage the recipe asks
    for, and trains it otherwise."""
    src_stages, dst_stages = src_run / "stages", dst_run / "stages"
    firsts = sorted(src_stages.glob("00_*")) if src_stages.is_dir() else []
    if not firsts or (dst_stages / firsts[0].name).exists():
        return
    tmp = fresh_partial_dir(dst_stages / firsts[0].name)
    shutil.copytree(firsts[0], tmp)
    publish_dir(tmp, dst_stages / firsts[0].name)


def train_arm(cfg: RealStudyConfig, arm: str, say: Progress) -> dict[str, Any]:
    """Train one of sft, rl, hybrid (resumable; ``arm.json`` marks it finished)."""
    marker = arm_dir(cfg, arm) / "arm.json"
    if marker.is_file():
        say(f"[{arm}] done before, skipped")
        return json.loads(marker.read_text())
    if arm == "hybrid":
        reuse_first_stage(arm_dir(cfg, "sft") / "train", arm_dir(cfg, "hybrid") / "train")
    t0 = time.perf_counter()
    info = train_recipe(cfg, arm, arm_dir(cfg, arm) / "train", say, arm)
    info["wall_s"] = time.perf_counter() - t0
    atomic_write_json(marker, info)
    return info


def model_of(cfg: RealStudyConfig, arm: str) -> str:
    """The model folder an arm is evaluated on."""
    if arm == "instruct":
        return instruct_model(cfg)
    return json.loads((arm_dir(cfg, arm) / "arm.json").read_text())["model_dir"]


def evaluate_model(cfg: RealStudyConfig, model: str, out: Path, corpus: str = TEST_CORPUS,
                   force_think: bool = True) -> dict[str, Any]:
    """Evaluate ``model`` on the track's ``corpus`` at the study's settings into ``out`` (resumable through
    the eval run folder; a complete one is read back)."""
    from r1safe.backends.base import GenerationParams
    from r1safe.eval.config import EvalConfig
    from r1safe.eval.pipeline import run

    e = cfg.eval
    if _complete(out):
        return {"eval_dir": str(out), "timing": json.loads((out / "results.json").read_text()).get("timing", {})}
    judges = list(e.judges)
    options: dict[str, dict[str, Any]] = {"guard_classifier": {"path": "realtext"}} if "guard_classifier" in judges \
        else {}
    ecfg = EvalConfig(model=model, suite=str(track_dir(cfg) / "corpora" / f"{corpus}.jsonl"),
                      limit=e.limit, out=str(out), judges=judges, judge_options=options, batch_size=e.batch_size,
                      bootstrap=e.bootstrap, report=True,
                      generation=GenerationParams(n=e.samples, temperature=e.temperature, top_p=e.top_p,
                                                  max_new_tokens=e.max_new_tokens, seed=cfg.seed,
                                                  force_think=force_think))
    results = run(ecfg)
    return {"eval_dir": str(out), "timing": results.get("timing", {})}


def _complete(eval_dir: Path) -> bool:
    done = eval_dir / "results.json"
    return done.is_file() and json.loads(done.read_text()).get("status") == "complete"


def _evaluated(cfg: RealStudyConfig, arm: str) -> bool:
    return _complete(arm_dir(cfg, arm) / "eval")


def evaluate_arm(cfg: RealStudyConfig, arm: str, say: Progress) -> dict[str, Any]:
    """Evaluate an arm on the test corpus; the instruct model writes no think block, so its replies are
    read as answers (no forced ``<think>``)."""
    out = arm_dir(cfg, arm) / "eval"
    if _evaluated(cfg, arm):
        say(f"[{arm}] evaluated before, read back")
    else:
        say(f"[{arm}] evaluating")
    return evaluate_model(cfg, model_of(cfg, arm), out, force_think=arm != "instruct")


# -- the schedule --------------------------------------------------------------------------------------

def _lane_base(cfg: RealStudyConfig, say: Progress) -> dict[str, Any]:
    build_cold_start_corpus(cfg, say)
    info = train_base(cfg, say)
    build_safety_corpus(cfg, say)
    return info


def _lane_sft_hybrid(cfg: RealStudyConfig, say: Progress) -> dict[str, Any]:
    """SFT, then the hybrid (whose first stage is SFT's), then the hybrid's evaluation."""
    out: dict[str, Any] = {}
    for arm in ("sft", "hybrid"):
        if arm in cfg.arms or (arm == "sft" and "hybrid" in cfg.arms):
            out[arm] = train_arm(cfg, arm, say)
    if "hybrid" in cfg.arms:
        evaluate_arm(cfg, "hybrid", say)
    return out


def _lane_rl_and_evaluations(cfg: RealStudyConfig, say: Progress) -> dict[str, Any]:
    """RL alone, then the evaluations that are ready (base, RL, and SFT when its lane has finished it):
    the shorter lane fills its core while the SFT-and-hybrid lane trains."""
    out: dict[str, Any] = {}
    if "rl" in cfg.arms:
        out["rl"] = train_arm(cfg, "rl", say)
    for arm in ("base", "rl", "sft"):
        if arm in cfg.arms and (arm_dir(cfg, arm) / "arm.json").is_file():
            evaluate_arm(cfg, arm, say)
    return out


def _run_pieces(cfg: RealStudyConfig, calls: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]],
                say: Progress) -> dict[str, Any]:
    """The pieces side by side (``jobs`` > 1, spawned processes) or one after the other."""
    if not calls:
        return {}
    if cfg.jobs > 1 and len(calls) > 1:
        from r1safe.study.workers import run_side_by_side

        return run_side_by_side(calls, cfg.jobs, lambda key, k, n: say(f"[{key}] finished ({k}/{n})"))
    return {key: fn(*args, say) for key, (fn, args) in calls.items()}


def run_real_study(cfg: RealStudyConfig, progress: Progress | None = None) -> dict[str, Any]:
    """Run (or resume) the real track; returns the results dict written to ``results.json``."""
    from r1safe.runtime import configure_threads

    configure_threads()
    say = progress or (lambda _m: None)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / "study.json", {"status": "running", "config": cfg.model_dump(mode="json")})
    timing: dict[str, float] = {}
    t0 = time.perf_counter()
    instruct_model(cfg, say)
    timing["convert"] = time.perf_counter() - t0
    t = time.perf_counter()
    track = prepare_track(cfg, say)
    timing["track"] = time.perf_counter() - t

    Calls = dict[str, tuple[Callable[..., Any], tuple[Any, ...]]]
    t = time.perf_counter()
    _run_pieces(cfg, {f"cold start {part}": (build_cold_start_part, (cfg, part)) for part in COLD_START_PARTS}, say)
    timing["cold start corpus (its two halves side by side)"] = time.perf_counter() - t

    t = time.perf_counter()
    second: Calls = {"base and safety corpus": (_lane_base, (cfg,))}
    if "instruct" in cfg.arms:
        second["eval instruct"] = (evaluate_arm, (cfg, "instruct"))
    _run_pieces(cfg, second, say)
    timing["base and safety corpus (beside the instruct model's evaluation)"] = time.perf_counter() - t

    t = time.perf_counter()
    third: Calls = {}
    if "sft" in cfg.arms or "hybrid" in cfg.arms:
        third["sft and hybrid"] = (_lane_sft_hybrid, (cfg,))
    third["rl and evaluations"] = (_lane_rl_and_evaluations, (cfg,))
    _run_pieces(cfg, third, say)
    timing["arms and their evaluations (two lanes)"] = time.perf_counter() - t

    t = time.perf_counter()
    left = {f"eval {arm}": (evaluate_arm, (cfg, arm)) for arm in cfg.arms if not _evaluated(cfg, arm)}
    _run_pieces(cfg, left, say)
    if left:
        timing["evaluations left over"] = time.perf_counter() - t

    from r1safe.study.real.aggregate import aggregate
    from r1safe.study.real.report import render

    results = aggregate(cfg, track["card"], timing, time.perf_counter() - t0)
    atomic_write_text(out / "results.json", json.dumps(results, indent=2, ensure_ascii=False))
    atomic_write_text(out / "report.html", render(results))
    atomic_write_json(out / "study.json", {"status": "complete", "config": cfg.model_dump(mode="json")})
    return results
