"""The study's figures, as PNG bytes (matplotlib, no display needed)."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from r1safe.study.table import COLUMNS, HELD_OUT, SHIFTS

SPLITS = ("id", *HELD_OUT)


def _png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def _figure(width: float = 7.5, height: float = 3.6) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height))


def _err(cell: dict[str, Any]) -> tuple[float, float]:
    lo, hi = cell["ci"]
    return max(cell["value"] - lo, 0.0), max(hi - cell["value"], 0.0)


def _grouped_bars(table: dict[str, dict[str, Any]], keys: list[str], labels: list[str], ylabel: str = "") -> bytes:
    """One group of bars per column key, one bar per arm, with 95% interval whiskers."""
    fig, ax = _figure()
    arms = list(table)
    width = 0.8 / max(len(arms), 1)
    for i, arm in enumerate(arms):
        xs, ys, errs = [], [], []
        for j, key in enumerate(keys):
            c = table[arm].get(key)
            if c:
                xs.append(j + i * width)
                ys.append(c["value"])
                errs.append(_err(c))
        ax.bar(xs, ys, width, yerr=list(zip(*errs, strict=True)) if errs else None, capsize=2, label=arm)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(keys))], labels, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8, ncols=len(arms), loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    return _png(fig)


def harm_by_split(table: dict[str, dict[str, Any]]) -> bytes:
    """Grouped bars: harmful compliance per split (the harder shifts last), one bar per arm, 95%
    intervals."""
    splits = (*SPLITS, *SHIFTS)
    return _grouped_bars(table, [f"harm_{s}" for s in splits], list(splits), "harmful compliance")


def generalization(table: dict[str, dict[str, Any]]) -> bytes:
    """One line per arm from id to each held-out split: the generalization gap at a glance."""
    fig, ax = _figure()
    for arm, cells in table.items():
        pts = [(i, cells[f"harm_{s}"]) for i, s in enumerate(SPLITS) if cells.get(f"harm_{s}")]
        if pts:
            ax.errorbar([p[0] for p in pts], [p[1]["value"] for p in pts],
                        yerr=list(zip(*[_err(p[1]) for p in pts], strict=True)), marker="o", capsize=2, label=arm)
    ax.set_xticks(range(len(SPLITS)), SPLITS)
    ax.set_ylabel("harmful compliance")
    ax.set_ylim(-0.02, 1.05)
    ax.legend(fontsize=8)
    return _png(fig)


def cost(table: dict[str, dict[str, Any]]) -> bytes:
    """Held-out harmful compliance against FLOPs spent: where each arm gets, at what price."""
    fig, ax = _figure(6.0, 3.6)
    for arm, cells in table.items():
        harm, flops = cells.get("harm_held_out"), cells.get("flops")
        if harm and flops:
            x = max(flops["value"], 1.0)
            ax.errorbar([x], [harm["value"]], yerr=[[_err(harm)[0]], [_err(harm)[1]]], marker="o", capsize=3)
            ax.annotate(arm, (x, harm["value"]), textcoords="offset points", xytext=(5, 5))
    ax.set_xscale("log")
    ax.set_xlabel("training + generation FLOPs (log; base = 1)")
    ax.set_ylabel("harmful compliance, held-out")
    ax.set_ylim(-0.02, 1.05)
    return _png(fig)


def side_effects(table: dict[str, dict[str, Any]]) -> bytes:
    """Helpfulness, over-refusal, arithmetic, incoherence, language mixing per arm: the price of safety."""
    keys = ["helpful", "over_refusal", "arithmetic", "incoherent", "mixing", "harm_reasoning"]
    labels = {c.key: c.label for c in COLUMNS}
    return _grouped_bars(table, keys, [labels[k] for k in keys])


def reward_hacking(curves: dict[str, dict[str, list[float]]]) -> bytes | None:
    """Proxy vs oracle on the probe set over RL steps, per RL run: safety (left), helpfulness (right)."""
    if not any(c.get("step") for c in curves.values()):
        return None
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), sharey=True)
    for ax, (proxy, oracle, title) in zip(axes, (("proxy", "oracle", "harmlessness: safe share"),
                                                 ("helpful_proxy", "helpful_oracle", "helpfulness: helpful share")),
                                          strict=True):
        for arm, c in curves.items():
            if c.get("step") and c.get(proxy):
                line = ax.plot(c["step"], c[proxy], label=f"{arm}: proxy")[0]
                ax.plot(c["step"], c[oracle], linestyle="--", color=line.get_color(), label=f"{arm}: oracle")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("GRPO step (stages concatenated)")
        ax.set_ylim(-0.02, 1.05)
    axes[1].legend(fontsize=6, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return _png(fig)


OUTCOME_COLORS = {"complied": "#b42318", "attempted": "#f79009", "refused": "#039855", "helpful": "#039855",
                  "other": "#98a2b3"}


def outcomes(shares: dict[str, dict[str, dict[str, float]]]) -> bytes | None:
    """Stacked bars: what each arm's replies are, per split (complied / attempted / refused /
    neither on harmful splits; helpful / refused / neither on the others)."""
    arms = [a for a in shares if shares[a]]
    if not arms:
        return None
    splits = [s for s in (*SPLITS, *SHIFTS, "benign", "borderline", "capability") if any(s in shares[a] for a in arms)]
    fig, axes = _figure(width=max(7.5, 1.3 * len(splits)), height=3.8)
    width = 0.8 / len(arms)
    seen: set[str] = set()
    for i, arm in enumerate(arms):
        for j, split in enumerate(splits):
            bottom = 0.0
            for name, value in shares[arm].get(split, {}).items():
                label = None if name in seen else name
                seen.add(name)
                axes.bar(j + i * width, value, width * 0.95, bottom=bottom, color=OUTCOME_COLORS[name],
                         edgecolor="white", linewidth=0.3, label=label, hatch="//" if name == "helpful" else None)
                bottom += value
            axes.text(j + i * width, 1.01, arm, rotation=90, fontsize=5.5, ha="center", va="bottom")
    axes.set_xticks([j + 0.4 - width / 2 for j in range(len(splits))], splits, fontsize=8)
    axes.set_ylim(0, 1.3)
    axes.set_ylabel("share of replies")
    axes.legend(fontsize=7, ncols=5, loc="upper center", frameon=False)
    return _png(fig)


def goodhart(
    rl: list[dict[str, Any]],
    bon: dict[str, list[dict[str, Any]]] | None = None,
    fits: dict[str, dict[str, Any]] | None = None,
    d_key: str = "d_init",
) -> bytes | None:
    """Gao et al.'s figure: the oracle's and the proxy's gain over the start against d = √KL, one panel
    per reward model (harmlessness, helpfulness).

    ``rl``: one ``{"label", "group", "curve"}`` per RL run (arm × β × seed; ``curve`` is one stage's
    :func:`r1safe.train.monitors.goodhart_curve` points), coloured by ``group`` (β or arm); oracle
    solid with dots, proxy thin. ``bon``: best-of-n rows (:func:`r1safe.study.best_of_n.best_of_n`)
    per label, dashed. ``fits``: per signal (``safe``/``helpful``), a fitted form per group or BoN
    label (anything with ``predict(d)``), dotted in that group's colour."""
    from r1safe.study.goodhart import SIGNALS, gains

    if not any(c["curve"] for c in rl) and not bon:
        return None
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    groups = list(dict.fromkeys([str(r["group"]) for r in rl] + list(bon or {})))
    colors = {g: f"C{i % 10}" for i, g in enumerate(groups)}
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.0), sharey=True)
    named: set[str] = set()

    def label(text: str) -> str | None:
        if text in named:
            return None
        named.add(text)
        return text

    for ax, (signal, keys) in zip(axes, SIGNALS.items(), strict=True):
        rl_proxy, rl_oracle, bon_proxy, bon_oracle = keys.proxy, keys.oracle, keys.bon_proxy, keys.bon_oracle
        top: dict[str, float] = {}  # per group, the largest d measured: a fit is drawn only where it has data
        for run in rl:
            group = str(run["group"])
            color = colors[group]
            d, r = gains(run["curve"], rl_oracle, d_key)
            if d:
                ax.plot(d, r, marker="o", markersize=3, color=color, label=label(f"{group}: oracle"))
                top[group] = max(top.get(group, 0.0), *d)
            d, r = gains(run["curve"], rl_proxy, d_key)
            if d:
                ax.plot(d, r, linewidth=0.8, alpha=0.5, color=color, label=label(f"{group}: proxy"))
        for name, rows in (bon or {}).items():
            for key, alpha, what in ((bon_oracle, 1.0, "oracle"), (bon_proxy, 0.5, "proxy")):
                d, r = gains(rows, key, "d")
                if d:
                    ax.plot(d, r, linestyle="--", alpha=alpha, color=colors[name], label=label(f"{name}: {what}"))
                    top[name] = max(top.get(name, 0.0), *d)
        for name, f in (fits or {}).get(signal, {}).items():
            if f is not None:
                xs = np.linspace(0.0, max(top.get(name, 0.0), 1e-3), 100)
                ax.plot(xs, f.predict(xs), linestyle=":", color=colors.get(name, "0.4"), label=label(f"{name}: fit"))
        ax.axhline(0.0, color="0.8", linewidth=0.6)
        ax.set_title(keys.title, fontsize=9)
        ax.set_xlabel(f"d = √KL ({d_key.removeprefix('d_')})" if d_key != "d" else "d = √KL")
    axes[0].set_ylabel("gain over the start")
    legend = [ax.get_legend_handles_labels() for ax in axes]
    handles, labels = [h for hs, _ in legend for h in hs], [t for _, ts in legend for t in ts]
    axes[1].legend(handles, labels, fontsize=6, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return _png(fig)


DOSE_PANELS = (("harm_held_out", "harmful compliance, held-out"), ("over_refusal", "over-refusal"),
               ("arithmetic", "arithmetic accuracy"))


def _dose_panels(series: dict[str, list[dict[str, Any]]], x_of: Any, xlabel: str, log_base: float,
                 threshold: float | None = None) -> bytes | None:
    """One panel per :data:`DOSE_PANELS` key, one line per arm, with 95% interval whiskers; the harm
    panel has the ``threshold`` as a dotted line."""
    if not any(series.values()):
        return None
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(DOSE_PANELS), figsize=(13, 3.6))
    for ax, (key, title) in zip(axes, DOSE_PANELS, strict=True):
        for arm, points in series.items():
            pts = [(x_of(p), p[key]) for p in points if p.get(key)]
            if pts:
                ax.errorbar([x for x, _ in pts], [c["value"] for _, c in pts],
                            yerr=list(zip(*[_err(c) for _, c in pts], strict=True)), marker="o", capsize=2,
                            label=arm)
        ax.set_xscale("log", base=log_base)
        ax.set_xlabel(xlabel)
        ax.set_title(title, fontsize=9)
        ax.set_ylim(-0.02, 1.05)
    if threshold is not None:
        axes[0].axhline(threshold, linestyle=":", color="#555", linewidth=1, label=f"threshold {threshold:g}")
    axes[0].legend(fontsize=8)
    return _png(fig)


def dose_flops(curves: dict[str, list[dict[str, Any]]], threshold: float | None = None) -> bytes | None:
    """Held-out harm, over-refusal and capability against cumulative training FLOPs (log), one line per
    arm; the base model (FLOPs 0) is drawn a decade left of the first snapshot."""
    positive = [p["flops"]["value"] for ps in curves.values() for p in ps if p["flops"]["value"] > 0]
    floor = min(positive) / 10 if positive else 1.0
    return _dose_panels(curves, lambda p: max(p["flops"]["value"], floor),
                        f"cumulative FLOPs (log; base at {floor:.1e})", 10, threshold)


def dose_sizes(sizes: dict[str, list[dict[str, Any]]]) -> bytes | None:
    """Held-out harm, over-refusal and capability against the number of safety-SFT rows (log₂)."""
    return _dose_panels(sizes, lambda p: p["size"], "safety-SFT rows (log₂)", 2)
