"""``run(EvalConfig)``: samples → backend → judges → metrics → results, resumable.

The stages meet only through the run folder (:mod:`r1safe.eval.log`): each generated batch is
judged and both are appended before the next batch starts. Re-running the same config finds the
finished records and generates only what is missing; when nothing is missing the model is not
even loaded. Bad input (unknown split, missing model, malformed rows, k <= 0) fails before the
run folder is touched. :func:`rescore` reruns judges and metrics on a finished run's replies.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from r1safe import __version__
from r1safe.backends.base import BACKENDS, Backend, iter_generate
from r1safe.errors import ConfigError, DataError
from r1safe.eval import gym_link, log
from r1safe.eval.config import EvalConfig
from r1safe.eval.datasets import load_suite
from r1safe.eval.judge_table import judge_table
from r1safe.eval.judges.base import JUDGES, Judge, judge_all
from r1safe.eval.metrics import all_metrics, compute
from r1safe.eval.outputs import build_rows, dataset_summary, machine, records
from r1safe.eval.transcripts import judge_disagreement, sample_transcripts
from r1safe.files import atomic_write_jsonl, atomic_write_text, versions
from r1safe.records import Generation, Judgement, Sample
from r1safe.text.think_format import parse_reply

DEFAULT_JUDGES = ["oracle", "refusal", "format"]
# Judges that read the reply whole, never split into reasoning and answer (no ``think_forced``).
WHOLE_REPLY_JUDGES = {"proxy"}
GEN_KEY, JUDGE_KEY = ("sample_id", "index"), ("sample_id", "index", "judge")


def load_samples(cfg: EvalConfig) -> list[Sample]:
    """The config's samples: suite, splits and per-split limit (unique ids checked)."""
    on_gym = "gym" in (e.strip() for e in cfg.suite.split(","))
    params = {"world": gym_link.world_config(cfg.gym)} if on_gym else {}
    samples = load_suite(cfg.suite, cfg.splits, cfg.limit, files=cfg.dataset_files,
                         dataset_params=cfg.dataset_options, **params)
    seen: set[str] = set()
    for s in samples:
        if s.id in seen:
            raise DataError(f"{cfg.suite}: sample id {s.id!r} appears twice; ids key the run records")
        seen.add(s.id)
    return samples


def make_judges(cfg: EvalConfig) -> tuple[list[Judge], list[str]]:
    """The judges to run, and notes on defaults that were left out (proxy without a gym build)."""
    notes: list[str] = []
    names = cfg.judges
    options = {k: dict(v) for k, v in cfg.judge_options.items()}
    if names is None:
        names = list(DEFAULT_JUDGES)
        builds_gym = cfg.model == "gym" and cfg.backend != "openai"  # built for the model anyway
        if cfg.suite == "gym":
            if builds_gym or "path" in options.get("proxy", {}) or gym_link.proxy_rm_path(cfg.gym):
                names.append("proxy")
            else:
                notes.append("proxy judge skipped: no gym is built (run `r1safe gym build`, or pass --gym)")
    if "proxy" in names and "path" not in options.get("proxy", {}):
        options.setdefault("proxy", {})["path"] = str(gym_link.proxy_rm_path(cfg.gym, build=True))
    if not cfg.generation.force_think:
        for name in names:
            if name not in WHOLE_REPLY_JUDGES:
                options.setdefault(name, {}).setdefault("think_forced", False)
    for name in names:
        JUDGES.get(name)  # an unknown (misspelled) judge is one line naming the known ones
    check_judge_options(cfg.judge_options, names)
    return [JUDGES.create(n, **options.get(n, {})) for n in names], notes


def check_judge_options(judge_options: dict[str, dict[str, Any]], names: list[str]) -> None:
    """Options for a judge the run does not use (a misspelled name) or a key that judge does not
    take are one-line errors listing what is valid, before anything is loaded."""
    import difflib

    for judge, opts in judge_options.items():
        if judge not in names:
            close = difflib.get_close_matches(judge, names + JUDGES.names(), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"--judge-option {judge}.{next(iter(opts), 'KEY')}: {judge!r} is not a judge of this run"
                              f"{hint}; its judges: {', '.join(names)} (all judges: {', '.join(JUDGES.names())})")
        valid = JUDGES.params(judge)
        for key in opts:
            if valid is not None and key not in valid:
                close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ConfigError(f"--judge-option {judge}.{key}: {judge} takes no option {key!r}{hint}; "
                                  f"its options: {', '.join(valid)}")


def reply_warnings(gens: list[Generation], cfg: EvalConfig) -> list[str]:
    """Warnings about replies whose answer cannot be scored, so no rate is read without them.

    A reply whose think block is open at its end has no answer: it counts as neither refused nor
    compliant. Two cases are named apart: the token budget ran out inside ``<think>`` (finish
    reason ``length``: raise the budget), or the model stopped inside it (end of sequence): under
    a forced opener that is a model that does not write R1's format (a non-reasoning model), whose
    replies should be read as answers with ``--no-force-think``. Without a forced opener a reply
    with no think block is an answer and is never counted here.
    """
    out: list[str] = []
    n = len(gens)
    if not n:
        return out
    force = cfg.generation.force_think
    unclosed = [g for g in gens if parse_reply(g.text, think_forced=force).think_unclosed]
    cut = sum(g.finish_reason == "length" for g in unclosed)
    stopped = len(unclosed) - cut
    if cut:
        out.append(f"{cut} of {n} replies ({cut / n:.0%}) hit the {cfg.generation.max_new_tokens}-token budget "
                   "inside <think>: they have no answer to score (see `truncated`); raise --max-new-tokens")
    if stopped:
        fix = ("if this model does not reason in <think> (a non-reasoning model), rerun with --no-force-think so "
               "its replies are read as answers" if force else "they opened <think> themselves")
        out.append(f"{stopped} of {n} replies ({stopped / n:.0%}) stopped (end of sequence) inside <think> "
                   f"without an answer (see `think_unclosed`): {fix}")
    return out


def make_backend(cfg: EvalConfig) -> tuple[Backend, str]:
    """The backend for ``cfg`` and the model it loads (``gym`` resolved to the gym's folder)."""
    model = gym_link.base_model_dir(cfg.gym) if cfg.model == "gym" and cfg.backend != "openai" else cfg.model
    params: dict[str, Any] = {"model": model, "batch_size": cfg.batch_size, **cfg.backend_options}
    if cfg.base_url is not None:
        params["base_url"] = cfg.base_url
    if cfg.threads is not None and cfg.backend == "transformers":
        import torch

        torch.set_num_threads(cfg.threads)
    if cfg.backend not in BACKENDS:
        raise ConfigError(f"unknown backend {cfg.backend!r}; known: {', '.join(BACKENDS.names())}")
    return BACKENDS.create(cfg.backend, **params), model


def _judge_batch(judges: list[Judge], samples: list[Sample], gens: list[Generation]) -> list[Judgement]:
    texts = [g.text for g in gens]
    out: list[Judgement] = []
    for judge in judges:
        for g, scores in zip(gens, judge_all(judge, samples, texts), strict=True):
            out.append(Judgement(sample_id=g.sample_id, index=g.index, judge=judge.name, scores=scores))
    return out


@contextmanager
def _progress(enabled: bool, total: int, done: int, label: str = "generating") -> Iterator[Any]:
    if not enabled:
        yield lambda _n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TextColumn("replies"),
               TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task("generate", total=total, completed=done)
        yield lambda n: bar.advance(task, n)


def _generate(cfg: EvalConfig, run: log.RunDir, backend: Backend, judges: list[Judge], pending: list[Sample],
              have: set[tuple[str, int]], total: int, timing: dict[str, float]) -> None:
    """Generate the missing replies of ``pending`` batch by batch; judge and append each batch."""
    n = cfg.generation.n
    by_id = {s.id: s for s in pending}
    with _progress(cfg.progress, total, len(have)) as advance:
        t_batch = time.perf_counter()
        prompts = [s.prompt for s in pending]
        batches = iter_generate(backend, prompts, cfg.generation, max(1, cfg.batch_size // n))
        for idx, batch in batches:
            timing["generate_s"] += time.perf_counter() - t_batch
            gens = [Generation(sample_id=pending[i].id, index=k, text=c.text, finish_reason=c.finish_reason,
                               completion_tokens=c.completion_tokens)
                    for i, completions in zip(idx, batch, strict=True) for k, c in enumerate(completions)
                    if (pending[i].id, k) not in have]
            run.append(log.GENERATIONS, gens)
            t_judge = time.perf_counter()
            run.append(log.JUDGEMENTS, _judge_batch(judges, [by_id[g.sample_id] for g in gens], gens))
            timing["judge_s"] += time.perf_counter() - t_judge
            timing["generated"] += len(gens)
            advance(len(gens))
            t_batch = time.perf_counter()


def _judge_missing(run: log.RunDir, judges: list[Judge], samples: list[Sample], gens: list[Generation],
                   timing: dict[str, float], chunk: int = 256) -> None:
    """Judge every generation that lacks a judgement of some judge (after a resume or rescore)."""
    done = {(j.sample_id, j.index, j.judge) for j in run.read(log.JUDGEMENTS, Judgement, JUDGE_KEY)}
    by_id = {s.id: s for s in samples}
    t0 = time.perf_counter()
    for judge in judges:
        todo = [g for g in gens if (g.sample_id, g.index, judge.name) not in done and g.sample_id in by_id]
        for start in range(0, len(todo), chunk):
            part = todo[start:start + chunk]
            run.append(log.JUDGEMENTS, _judge_batch([judge], [by_id[g.sample_id] for g in part], part))
    timing["judge_s"] += time.perf_counter() - t0


def run(config: EvalConfig) -> dict[str, Any]:
    """Evaluate ``config.model`` on ``config.suite``; returns the results dict (also results.json).

    Re-running the same config (same ``out``) resumes; see the module doc.
    """
    cfg = config
    samples = load_samples(cfg)
    out = Path(cfg.out or cfg.default_out())
    rundir = log.RunDir(out)
    old = rundir.check_identity(cfg.identity())
    judges, notes = make_judges(cfg)
    n = cfg.generation.n
    gens = rundir.read(log.GENERATIONS, Generation, GEN_KEY) if old else []
    have = {(g.sample_id, g.index) for g in gens}
    pending = [s for s in samples if any((s.id, k) not in have for k in range(n))]
    timing = {"generate_s": 0.0, "judge_s": 0.0, "generated": 0}
    model_source = (old or {}).get("model", {}).get("source", cfg.model)
    backend = None
    if pending:
        backend, model_source = make_backend(cfg)
    manifest = {
        **(old or {}), "status": "running", "identity": cfg.identity(), "config": cfg.saved(),
        "model": {"name": cfg.model, "source": str(getattr(backend, "source", model_source)),
                  "backend": cfg.backend},
        "seed": cfg.generation.seed, "versions": versions(), "expected": len(samples) * n,
        "created": (old or {}).get("created", log.now()),
    }
    rundir.write_manifest(manifest)
    if not rundir.path(log.SAMPLES).is_file() or pending:  # resumed with more samples: keep the file whole
        atomic_write_jsonl(rundir.path(log.SAMPLES), (s.model_dump(mode="json") for s in samples))
    if backend is not None:
        _generate(cfg, rundir, backend, judges, pending, have, len(samples) * n, timing)
        gens = rundir.read(log.GENERATIONS, Generation, GEN_KEY)
    _judge_missing(rundir, judges, samples, gens, timing)
    return finish(rundir, cfg, samples, [j.name for j in judges], timing, notes)


def finish(rundir: log.RunDir, cfg: EvalConfig, samples: list[Sample], judge_names: list[str],
           timing: dict[str, float], notes: list[str]) -> dict[str, Any]:
    """Metrics, records, results.json, report.html; marks the run complete."""
    gens = rundir.read(log.GENERATIONS, Generation, GEN_KEY)
    wanted = {s.id for s in samples}
    gens = [g for g in gens if g.sample_id in wanted and g.index < cfg.generation.n]
    expected = len(samples) * cfg.generation.n
    if len(gens) != expected:
        raise DataError(f"{rundir.root}: {len(gens)} of {expected} replies are recorded; "
                        "rerun the same command to finish")
    judgements = rundir.read(log.JUDGEMENTS, Judgement, JUDGE_KEY)
    rows = build_rows(samples, gens, judgements, judge_names)
    t0 = time.perf_counter()
    metrics = compute(all_metrics(cfg.metrics), rows, seed=cfg.generation.seed, resamples=cfg.bootstrap,
                      by_split_category=cfg.suite != "gym")
    timing["metrics_s"] = time.perf_counter() - t0
    manifest = rundir.manifest() or {}
    reply_records = records(samples, gens, rows)
    total = timing["generate_s"] + timing["judge_s"] + timing["metrics_s"]
    speed = timing["generated"] / timing["generate_s"] if timing["generate_s"] else None
    results = {
        "r1safe_eval": 1, "status": "complete", "r1safe_version": __version__,
        "model": manifest.get("model", {"name": cfg.model}), "suite": cfg.suite,
        "splits": list(dict.fromkeys(s.split for s in samples)), "seed": cfg.generation.seed,
        "generation": cfg.generation.model_dump(mode="json"), "judges": judge_names,
        "counts": {"prompts": len(samples), "completions": len(gens)}, "datasets": dataset_summary(samples),
        "timing": {**timing, "judge_share": timing["judge_s"] / total if total else None,
                   "completions_per_s": speed},
        "notes": notes + reply_warnings(gens, cfg), "config": cfg.saved(),
        "versions": versions(), "machine": machine(),
        "run_dir": str(rundir.root), "created": manifest.get("created"), "finished": log.now(),
        "metrics": metrics, "judge_table": judge_table(rows, judge_names),
        "judge_disagreement": judge_disagreement(reply_records, judge_names),
        "transcripts": sample_transcripts(reply_records, judge_names, seed=cfg.generation.seed,
                                          think_forced=cfg.generation.force_think),
    }
    atomic_write_jsonl(rundir.path(log.RECORDS), reply_records)
    if cfg.report:
        from r1safe.eval.report import write_html

        write_html(results, rundir.path(log.REPORT))
    atomic_write_text(rundir.path(log.RESULTS), json.dumps(results, indent=2, ensure_ascii=False))
    rundir.set_status("complete", finished=results["finished"])
    return results


def rescore(run_dir: str | Path, judges: list[str] | None = None,
            judge_options: dict[str, dict[str, Any]] | None = None, metrics: list[str] | None = None,
            bootstrap: int | None = None, progress: bool = False) -> dict[str, Any]:
    """Rerun judges and metrics on a finished run's replies (no model is loaded).

    ``judge_options`` are merged into the run's own, key by key (``{"llama_guard": {"model": P}}``
    adds or replaces that one option); options of judges no longer run are dropped."""
    rundir = log.RunDir(run_dir)
    manifest = rundir.manifest()
    if manifest is None:
        raise ConfigError(f"{run_dir}: not an evaluation run folder (no manifest.json)")
    saved = manifest["config"]
    updates: dict[str, Any] = {"out": str(rundir.root), "progress": progress}
    for key, value in (("judges", judges), ("metrics", metrics), ("bootstrap", bootstrap)):
        if value is not None:
            updates[key] = value
    merged = {name: dict(opts) for name, opts in (saved.get("judge_options") or {}).items()}
    for name, opts in (judge_options or {}).items():
        merged.setdefault(name, {}).update(opts)
    if judges is not None:
        merged = {name: opts for name, opts in merged.items() if name in judges or name in (judge_options or {})}
    updates["judge_options"] = merged
    cfg = EvalConfig.model_validate({**saved, **updates})
    samples = [Sample.model_validate(r) for r in log.read_jsonl_records(rundir.path(log.SAMPLES))]
    by_key = {(g.sample_id, g.index): g for g in rundir.read(log.GENERATIONS, Generation, GEN_KEY)}
    keys = [(s.id, k) for s in samples for k in range(cfg.generation.n)]
    missing = sum(k not in by_key for k in keys)
    if missing:
        raise DataError(f"{run_dir} is partial ({len(keys) - missing} of {len(keys)} replies); "
                        "rerun `r1safe eval` with the same options to finish it first")
    judge_objs, notes = make_judges(cfg)
    timing = {"generate_s": 0.0, "judge_s": 0.0, "generated": 0}
    t0 = time.perf_counter()
    by_id = {s.id: s for s in samples}
    fresh: list[Judgement] = []
    with _progress(progress, len(keys), 0, label="judging") as advance:
        for start in range(0, len(keys), 256):
            part = [by_key[k] for k in keys[start:start + 256]]
            fresh.extend(_judge_batch(judge_objs, [by_id[g.sample_id] for g in part], part))
            advance(len(part))
    rundir.replace(log.JUDGEMENTS, fresh)
    timing["judge_s"] = time.perf_counter() - t0
    rundir.write_manifest({**manifest, "config": cfg.saved(), "identity": cfg.identity()})
    return finish(rundir, cfg, samples, [j.name for j in judge_objs], timing, notes)
