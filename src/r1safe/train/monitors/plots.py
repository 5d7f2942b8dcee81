"""PNG plots of a run's ``metrics.jsonl`` over the whole recipe (stages marked), with matplotlib.

One figure per question: ``reward_hacking.png`` (proxy vs judge on the probe, their gap, alarms),
``rewards.png`` (each GRPO reward's mean), ``language_mixing.png``, ``drift.png`` (KL, entropy)
and ``compute.png`` (cumulative FLOPs). Figures with nothing to show are not written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from r1safe.train import metric_names as names
from r1safe.train.monitors.sink import read_metrics


def _series(rows: list[dict[str, Any]], key: str) -> tuple[list[int], list[float]]:
    pts = [(r["global_step"], r[key]) for r in rows if key in r]
    return [p[0] for p in pts], [p[1] for p in pts]


def _stage_marks(ax: Any, rows: list[dict[str, Any]]) -> None:
    seen: dict[str, int] = {}
    for r in rows:
        seen.setdefault(r["stage"], r["global_step"])
    for name, start in seen.items():
        ax.axvline(start, color="0.8", lw=0.8, zorder=0)
        ax.annotate(
            name,
            (start, 1.0),
            xycoords=("data", "axes fraction"),
            fontsize=7,
            color="0.4",
            rotation=90,
            va="top",
            ha="right",
        )


def _figure(
    rows: list[dict[str, Any]], lines: list[tuple[str, str]], title: str, path: Path, ylabel: str = ""
) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    drawn = [(k, label, *_series(rows, k)) for k, label in lines]
    drawn = [d for d in drawn if d[2]]
    if not drawn:
        return None
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=110)
    for _key, label, xs, ys in drawn:
        ax.plot(xs, ys, marker="o" if len(xs) < 40 else None, ms=3, lw=1.4, label=label)
    _stage_marks(ax, rows)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("step (whole recipe)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_run(metrics_path: str | Path, out_dir: str | Path) -> list[Path]:
    """Write the run's plots into ``out_dir``; returns the files written."""
    rows = read_metrics(metrics_path)
    if not rows:
        return []
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rh = names.REWARD_HACKING
    reward_keys = sorted({k for r in rows for k in r if k.startswith("rewards/") and k.endswith("/mean")})
    cumulative = _cumulative_flops(rows)
    made = [
        _figure(
            rows,
            [
                (rh + names.PROXY_SAFE, "proxy P(safe)"),
                (rh + names.JUDGE_SAFE, "judge: safe"),
                (rh + names.GAP, "gap (proxy - judge)"),
                (rh + names.ALARM, "alarm"),
            ],
            "Reward hacking on the held-out probe (harmful prompts)",
            out / "reward_hacking.png",
        ),
        _figure(
            rows,
            [("reward", "total reward")] + [(k, k.split("/")[1]) for k in reward_keys],
            "GRPO rewards (training rollouts)",
            out / "rewards.png",
        ),
        _figure(
            rows,
            [
                ("monitor/language_mixing/probe_mixed_rate", "probe"),
                ("monitor/language_mixing/rollout_mixed_rate", "rollouts"),
            ],
            "Share of replies whose reasoning mixes languages",
            out / "language_mixing.png",
        ),
        _figure(
            rows,
            [("monitor/drift/kl", "KL to reference"), ("monitor/drift/entropy", "entropy")],
            "Drift",
            out / "drift.png",
        ),
        _figure(cumulative, [("flops_cumulative", "FLOPs (cumulative)")], "Compute", out / "compute.png", "FLOPs"),
        _figure(
            rows,
            [(rh + "length", "probe reply tokens"), ("completions/mean_length", "rollout tokens")],
            "Completion length",
            out / "length.png",
            "tokens",
        ),
    ]
    return [p for p in made if p is not None]


def _cumulative_flops(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with ``flops_cumulative``: each stage's running total plus every earlier stage's last."""
    key = "monitor/compute/flops_total"
    done = 0.0
    current, last = None, 0.0
    out = []
    for r in rows:
        if key not in r:
            continue
        if r["stage"] != current:
            done += last
            current, last = r["stage"], 0.0
        last = r[key]
        out.append({"stage": r["stage"], "global_step": r["global_step"], "flops_cumulative": done + last})
    return out
