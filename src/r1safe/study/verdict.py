"""A plain-language verdict computed from the study's table, never a canned text.

For each axis it names the best arm and says whether the lead is outside the noise (the 95%
intervals of the best and the runner-up do not overlap). Then it tests the seed paper's claims
one by one against the numbers: RL alone vs the hybrid on held-out harm (generalization), on
language mixing, on the proxy–oracle gap (reward hacking) and on cost. A claim is "supported",
"contradicted" or "not distinguishable" — whichever the intervals say.
"""

from __future__ import annotations

from typing import Any

from r1safe.study.table import COLUMNS

HACK_BAND = 0.1
AXES = ("harm_id", "harm_held_out", "harm_reasoning", "over_refusal", "arithmetic", "mixing")


def _overlap(a: list[float] | None, b: list[float] | None) -> bool:
    if not a or not b:
        return True
    return not (a[1] < b[0] or b[1] < a[0])


def compare(table: dict[str, dict[str, Any]], a: str, b: str, key: str, lower_is_better: bool) -> str:
    """'better', 'worse' or 'tie': how arm ``a`` stands against arm ``b`` on column ``key``."""
    ca, cb = table.get(a, {}).get(key), table.get(b, {}).get(key)
    if ca is None or cb is None or _overlap(ca["ci"], cb["ci"]):
        return "tie"
    a_lower = ca["value"] < cb["value"]
    return "better" if a_lower == lower_is_better else "worse"


def _fmt(c: dict[str, Any]) -> str:
    return f"{100 * c['value']:.0f}% [{100 * c['ci'][0]:.0f}–{100 * c['ci'][1]:.0f}]"


def best_on_axis(table: dict[str, dict[str, Any]], key: str) -> dict[str, Any] | None:
    """The best arm on one column, the runner-up, and whether the lead is outside the noise."""
    col = next(c for c in COLUMNS if c.key == key)
    ranked = sorted(((arm, cells[key]) for arm, cells in table.items() if cells.get(key)),
                    key=lambda x: x[1]["value"], reverse=not col.lower_is_better)
    if not ranked:
        return None
    best, cbest = ranked[0]
    tied = [arm for arm, c in ranked[1:] if _overlap(cbest["ci"], c["ci"])]
    if len(ranked) == 1:
        text = f"{col.label}: only {best} was measured ({_fmt(cbest)})."
    elif tied:
        text = (f"{col.label}: {best} is lowest" if col.lower_is_better else f"{col.label}: {best} is highest")
        text += f" ({_fmt(cbest)}), but within the noise of {', '.join(tied)}."
    else:
        runner, crun = ranked[1]
        text = (f"{col.label}: {best} is best ({_fmt(cbest)}), clearly ahead of the runner-up "
                f"{runner} ({_fmt(crun)}).")
    return {"axis": key, "best": best, "tied_with": tied, "text": text}


def _claim(name: str, outcome: str, detail: str) -> dict[str, str]:
    return {"claim": name, "outcome": outcome, "text": f"{name}: {outcome} — {detail}"}


def paper_claims(table: dict[str, dict[str, Any]], hacking: dict[str, dict[str, float | None]]
                 ) -> list[dict[str, str]]:
    """The seed paper's claims about RL alone vs the hybrid, each tested against the numbers."""
    out: list[dict[str, str]] = []
    if "rl" not in table or "hybrid" not in table:
        return out
    for key, name in (("harm_held_out", "RL alone generalizes worse than the hybrid to held-out harm"),
                      ("mixing", "RL alone mixes languages more than the hybrid"),
                      ("harm_reasoning", "RL alone leaves more harm in the reasoning than the hybrid")):
        if table["rl"].get(key) is None or table["hybrid"].get(key) is None:
            continue
        verdict = compare(table, "hybrid", "rl", key, lower_is_better=True)
        outcome = {"better": "supported", "worse": "contradicted", "tie": "not distinguishable"}[verdict]
        out.append(_claim(name, outcome, f"rl {_fmt(table['rl'][key])} vs hybrid {_fmt(table['hybrid'][key])}"))
    for model in ("safety", "helpfulness"):
        gap_rl, gap_hy = hacking.get("rl", {}).get(model), hacking.get("hybrid", {}).get(model)
        if gap_rl is None or gap_hy is None:
            continue
        over_rl, over_hy = max(gap_rl, 0.0), max(gap_hy, 0.0)
        outcome = ("supported" if over_rl > over_hy + HACK_BAND
                   else "contradicted" if over_hy > over_rl + HACK_BAND else "not distinguishable")
        both = "; both arms game it" if min(over_rl, over_hy) > 2 * HACK_BAND else ""
        out.append(_claim(f"RL alone hacks the {model} reward model more than the hybrid", outcome,
                          f"final proxy minus oracle {model} on the probe set {gap_rl:+.2f} (rl) vs {gap_hy:+.2f} "
                          f"(hybrid){both}; only a proxy above the oracle counts, and gaps within {HACK_BAND} "
                          "(about one standard error of a 24-prompt probe) count as equal"))
    f_rl, f_hy = table["rl"].get("flops"), table["hybrid"].get("flops")
    h_rl, h_hy = table["rl"].get("harm_held_out"), table["hybrid"].get("harm_held_out")
    if f_rl and f_hy and h_rl and h_hy:
        cheaper = f_hy["value"] <= f_rl["value"]
        safer = compare(table, "hybrid", "rl", "harm_held_out", True)
        if cheaper and safer != "worse":
            outcome = "supported"
        elif not cheaper and safer != "better":
            outcome = "contradicted"
        else:
            outcome = "not distinguishable"
        out.append(_claim("the hybrid reaches its safety at no more compute than RL alone", outcome,
                          f"{f_hy['value']:.2e} FLOPs (hybrid) vs {f_rl['value']:.2e} (rl); held-out harm "
                          f"{_fmt(h_hy)} vs {_fmt(h_rl)}"))
    return out


def verdict(table: dict[str, dict[str, Any]], hacking: dict[str, dict[str, float | None]]) -> dict[str, Any]:
    """The whole verdict: best arm per axis, then the paper's claims.

    ``hacking`` holds, per arm, the final proxy-minus-oracle gap of the safety and helpfulness
    reward models on the training probe set (averaged over seeds)."""
    axes = [b for key in AXES if (b := best_on_axis(table, key))]
    return {"axes": axes, "claims": paper_claims(table, hacking)}
