"""The study's main table: one row per arm, one column per axis, each with a 95% interval.

Rows of every seed are pooled and clustered by (seed, prompt), so an interval covers both the
sampling noise of the k replies and the variation between prompts and seeds; the per-seed
values are kept beside it so a reader can see the seed spread too.

The first eight splits keep the columns they always had ("all held-out" pools the same four
splits; incoherence, mixing and format are read on the same eight). The harder shifts
(:mod:`r1safe.gym.shifts`) get columns of their own, one per split and one pooled, so adding them
moved no old number; their outcome shares, "neither" included, come per split from
:func:`outcome_shares`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from r1safe.eval.metrics import METRICS, Row, statistic
from r1safe.eval.reply_records import ReplyRecord, read_reply_records, reply_rows
from r1safe.gym.shifts import SHIFT_SPLITS


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    metric: str
    splits: tuple[str, ...] | None
    lower_is_better: bool


HELD_OUT = ("ood_category", "ood_wrapper", "ood_language", "multi_turn")
HARMFUL = ("id", *HELD_OUT)
HELPFUL = ("benign", "borderline")
FIRST_EIGHT = (*HARMFUL, *HELPFUL, "capability")
SHIFTS = SHIFT_SPLITS
COLUMNS: tuple[Column, ...] = (
    Column("harm_id", "harmful compliance · id", "harmful_compliance", ("id",), True),
    Column("harm_ood_category", "· ood_category", "harmful_compliance", ("ood_category",), True),
    Column("harm_ood_wrapper", "· ood_wrapper", "harmful_compliance", ("ood_wrapper",), True),
    Column("harm_ood_language", "· ood_language", "harmful_compliance", ("ood_language",), True),
    Column("harm_multi_turn", "· multi_turn", "harmful_compliance", ("multi_turn",), True),
    Column("harm_held_out", "harmful compliance · all held-out", "harmful_compliance", HELD_OUT, True),
    *(Column(f"harm_{s}", f"· {s}", "harmful_compliance", (s,), True) for s in SHIFTS),
    Column("harm_shifts", "harmful compliance · all harder shifts", "harmful_compliance", SHIFTS, True),
    Column("refusal_id", "refused · id", "refusal", ("id",), False),
    Column("refusal_held_out", "refused · all held-out", "refusal", HELD_OUT, False),
    Column("refusal_shifts", "refused · all harder shifts", "refusal", SHIFTS, False),
    Column("attempted", "attempted compliance · harmful", "attempted", HARMFUL, True),
    Column("other_harmful", "neither (garbled, off-topic) · harmful", "other_outcome", HARMFUL, True),
    Column("other_shifts", "neither · harder shifts", "other_outcome", SHIFTS, True),
    Column("harm_reasoning", "harmful reasoning", "harmful_reasoning", HARMFUL, True),
    Column("helpful", "helpful · benign + borderline", "helpful", HELPFUL, False),
    Column("over_refusal", "over-refusal (borderline)", "over_refusal", ("borderline",), True),
    Column("arithmetic", "arithmetic accuracy", "capability", ("capability",), False),
    Column("harm_benign", "harmful content · non-harmful prompts", "harmful_content_benign", None, True),
    Column("incoherent", "incoherent", "incoherent", FIRST_EIGHT, True),
    Column("mixing", "language mixing", "language_mixing", FIRST_EIGHT, True),
    Column("format", "format ok", "format_ok", FIRST_EIGHT, False),
)
COMPUTE_COLUMNS = (("flops", "FLOPs"), ("wall_s", "wall time (s)"))


def eval_records(eval_dir: str | Path) -> list[ReplyRecord]:
    """The per-reply records of a finished eval run folder."""
    return read_reply_records(eval_dir)


def rows_from_records(records: list[ReplyRecord], seed: int) -> list[Row]:
    """An eval run's records → metric rows clustered by (seed, prompt)."""
    return reply_rows(records, cluster=f"s{seed}:")


def cell(column: Column, rows_by_seed: dict[int, list[Row]], resamples: int = 1000) -> dict[str, Any] | None:
    """``{value, ci, per_seed, n, prompts}`` for one arm and column, or None if no row applies."""
    metric = METRICS.create(column.metric)

    def keep(rows: list[Row]) -> list[Row]:
        return rows if column.splits is None else [r for r in rows if r.split in column.splits]

    pooled = [r for rows in rows_by_seed.values() for r in keep(rows)]
    stat = statistic(metric, pooled, seed=0, resamples=resamples, group=column.key)
    if stat is None:
        return None
    per_seed = {}
    for seed, rows in rows_by_seed.items():
        s = statistic(metric, keep(rows), seed=seed, resamples=0, group=column.key)
        per_seed[str(seed)] = None if s is None else s["value"]
    return {"value": stat["value"], "ci": stat["ci"], "n": stat["n"], "prompts": stat["prompts"],
            "per_seed": per_seed}


def compute_cell(per_seed: dict[int, float]) -> dict[str, Any]:
    """Mean and (min, max) over seeds for a compute figure (no sampling noise to bootstrap)."""
    values = list(per_seed.values())
    return {"value": sum(values) / len(values), "ci": [min(values), max(values)],
            "per_seed": {str(k): v for k, v in per_seed.items()}}


def build_table(rows: dict[str, dict[int, list[Row]]], compute: dict[str, dict[int, dict[str, float]]],
                resamples: int = 1000) -> dict[str, dict[str, Any]]:
    """``{arm: {column key: cell}}`` from each arm's rows per seed and compute per seed."""
    table: dict[str, dict[str, Any]] = {}
    for arm, by_seed in rows.items():
        table[arm] = {c.key: cell(c, by_seed, resamples) for c in COLUMNS}
        for key, _ in COMPUTE_COLUMNS:
            figures = {s: c[key] for s, c in compute.get(arm, {}).items() if key in c}
            table[arm][key] = compute_cell(figures) if figures else None
    return table


def outcome_shares(rows_by_seed: dict[int, list[Row]]) -> dict[str, dict[str, float]]:
    """``{split: {outcome: share}}`` pooled over seeds: complied / attempted / refused / other on the
    harmful splits (the harder shifts included), helpful / refused / other on the others (the
    oracle's classes). "other" is the split's share of replies that neither comply nor refuse."""
    from r1safe.gym.oracle import HARMFUL_OUTCOMES, HELP_OUTCOMES

    by_split: dict[str, list[Row]] = {}
    for rows in rows_by_seed.values():
        for r in rows:
            by_split.setdefault(r.split, []).append(r)
    out: dict[str, dict[str, float]] = {}
    for split, rows in by_split.items():
        classes = HARMFUL_OUTCOMES if split in (*HARMFUL, *SHIFTS) else HELP_OUTCOMES
        judged = [r for r in rows if r.get(f"oracle/{classes[0]}") is not None]
        if judged:
            out[split] = {c: sum(bool(r.get(f"oracle/{c}")) for r in judged) / len(judged) for c in classes}
    return out
