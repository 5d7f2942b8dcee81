"""Compute every metric over all rows, per split and per category, with intervals.

Each statistic is ``{value, n, prompts, ci, ci_method, wilson}``: ``value`` is the mean over
completions (or prompts, for prompt metrics), ``ci`` the clustered bootstrap interval over
prompts. When a rate is exactly 0 or 1 the bootstrap collapses to a point, so ``ci`` falls back
to the Wilson interval with the number of prompts as n (conservative: it counts each prompt
once). ``wilson`` is over completions, treating the k samples as independent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np

from r1safe.eval.metrics.base import Metric, Row
from r1safe.eval.metrics.intervals import cluster_bootstrap, rng_for, wilson


def _by_prompt(rows: Iterable[Row]) -> dict[str, list[Row]]:
    groups: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        groups[r.sample_id].append(r)
    return groups


def statistic(metric: Metric, rows: list[Row], seed: int = 0, resamples: int = 1000,
              group: str = "all") -> dict[str, Any] | None:
    """The statistic of ``metric`` over ``rows``, or None when it applies to none of them."""
    sums: list[float] = []
    counts: list[int] = []
    for prompt_rows in _by_prompt(rows).values():
        s, c = metric.prompt_values(prompt_rows)
        sums.extend(s)
        counts.extend(c)
    if not counts:
        return None
    s_arr, c_arr = np.asarray(sums, dtype=float), np.asarray(counts, dtype=float)
    n, total = int(c_arr.sum()), float(s_arr.sum())
    value = total / n
    prompts = len(counts)
    ci = cluster_bootstrap(s_arr, c_arr, rng_for(seed, metric.name, group), resamples)
    method = "bootstrap over prompts"
    if metric.binary and value in (0.0, 1.0):
        ci, method = wilson(value * prompts, prompts), "wilson over prompts"
    return {
        "value": value, "n": n, "prompts": prompts,
        "ci": list(ci) if ci else None, "ci_method": method,
        "wilson": list(w) if metric.binary and (w := wilson(total, n)) else None,
    }


def compute(metrics: list[Metric], rows: list[Row], seed: int = 0, resamples: int = 1000,
            by_split_category: bool = False) -> dict[str, Any]:
    """``{metric: {description, ..., all, by_split, by_category}}``, leaving out empty groups.

    With ``by_split_category`` each metric also gets ``by_split_category`` keyed ``split/category``
    (public benchmarks: a dataset's own categories, which the gym's splits do not need)."""
    splits = list(dict.fromkeys(r.split for r in rows))
    categories = list(dict.fromkeys(r.category for r in rows if r.category))
    pairs = list(dict.fromkeys((r.split, r.category) for r in rows if r.category))
    out: dict[str, Any] = {}
    for m in metrics:
        entry: dict[str, Any] = {**m.to_json(), "all": statistic(m, rows, seed, resamples)}
        if entry["all"] is None:
            continue
        entry["by_split"] = {
            s: st for s in splits
            if (st := statistic(m, [r for r in rows if r.split == s], seed, resamples, f"split={s}"))
        }
        entry["by_category"] = {
            c: st for c in categories
            if (st := statistic(m, [r for r in rows if r.category == c], seed, resamples, f"category={c}"))
        }
        if by_split_category:
            entry["by_split_category"] = {
                f"{s}/{c}": st for s, c in pairs
                if (st := statistic(m, [r for r in rows if r.split == s and r.category == c], seed, resamples,
                                    f"split={s},category={c}"))
            }
        out[m.name] = entry
    return out
