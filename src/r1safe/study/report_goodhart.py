"""The report's Goodhart section, rendered from ``results["goodhart"]`` only: one figure per arm
(oracle and proxy gain against d = √KL, best-of-n from the same start, fitted forms), the table of
fitted coefficients, peaks and alarm positions, the per-run facts, and what the long runs' final
models say."""

from __future__ import annotations

import html
from typing import Any

from r1safe.study import plots
from r1safe.study.goodhart import SIGNALS, GoodhartFit
from r1safe.study.html_parts import img as _img

BON_START = {"rl": "base", "hybrid": "hybrid cold start"}


def _num(x: float | None, fmt: str = "{:.3g}") -> str:
    return "–" if x is None else fmt.format(x)


def _ci(ci: list[float] | tuple[float, float] | None) -> str:
    return "" if not ci else f" [{_num(ci[0])}–{_num(ci[1])}]"


def _mean_rows(by_seed: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Best-of-n rows averaged over seeds, per n (each seed's rows share the same n)."""
    seeds = list(by_seed.values())
    if not seeds:
        return []
    out = []
    for i, row in enumerate(seeds[0]):
        merged = {"n": row["n"], "kl": row["kl"], "d": row["d"]}
        for key in (k for sig in SIGNALS.values() for k in (sig.bon_proxy, sig.bon_oracle)):
            vals = [s[i][key] for s in seeds if i < len(s) and s[i].get(key) is not None]
            merged[key] = sum(vals) / len(vals) if vals else None
        out.append(merged)
    return out


def _figure(goodhart: dict[str, Any], arm: str) -> bytes | None:
    runs = [{"label": key, "group": r["group"].removeprefix(f"{arm} · "), "curve": goodhart["curves"][key]}
            for key, r in goodhart["runs"].items() if r["arm"] == arm]
    start = BON_START[arm]
    bon = {f"best-of-n from {start}": _mean_rows(goodhart["bon"][start])} if start in goodhart.get("bon", {}) else {}
    fits: dict[str, dict[str, Any]] = {}
    for group, by_signal in goodhart.get("fits", {}).get("rl", {}).items():
        if group.startswith(f"{arm} · "):
            for signal, f in by_signal.items():
                fits.setdefault(signal, {})[group.removeprefix(f"{arm} · ")] = GoodhartFit(**f["fit"])
    for name, by_signal in goodhart.get("fits", {}).get("bon", {}).items():
        if name == start:
            for signal, f in by_signal.items():
                fits.setdefault(signal, {})[f"best-of-n from {start}"] = GoodhartFit(**f["fit"])
    return plots.goodhart(runs, bon, fits)


def _table(rows: list[dict[str, Any]]) -> str:
    body = "".join(
        f"<tr><th>{html.escape(r['optimizer'])} · {html.escape(r['group'])}</th><td>{html.escape(r['signal'])}</td>"
        f"<td>{_num(r['alpha'])}{_ci(r['alpha_ci'])}</td><td>{_num(r['beta'])}{_ci(r['beta_ci'])}</td>"
        f"<td>{_num(r['r2'], '{:.2f}')}</td><td>{_num(r['fitted_peak_d'])}{_ci(r['peak_d_ci'])}</td>"
        f"<td>{_num(r['final_d'])}</td><td>{_num(r.get('gap_opened'), '{:+.2f}')}</td>"
        f"<td>{'–' if r['runs'] is None else r['runs']}</td>"
        f"<td>{'–' if r['passed_peak'] is None else r['passed_peak']}</td>"
        f"<td>{'–' if r['alarm_before_peak'] is None else r['alarm_before_peak']}</td></tr>"
        for r in rows)
    return ("<table><tr><th>optimizer · group</th><th>reward model</th><th>α [95%]</th><th>β [95%]</th><th>R²</th>"
            "<th>fitted peak d [95%]</th><th>final d (mean)</th><th>gap opened (mean)</th><th>runs</th>"
            "<th>passed the peak</th>"
            f"<th>alarm before the peak</th></tr>{body}</table>")


def _runs(runs: dict[str, dict[str, Any]]) -> str:
    body = []
    for key, r in runs.items():
        cells = [f"<th>{html.escape(key)}</th><td>{_num(r.get('final_d'))}</td><td>{_num(r.get('final_d_base'))}</td>"]
        for signal in ("safe", "helpful"):
            s = r.get(signal)
            if not s:
                cells.append("<td>–</td>" * 5)
                continue
            before = {True: "before", False: "after", None: "–"}[s["fired_before_peak"]]
            cells.append(f"<td>{_num(s['oracle_gain'], '{:+.2f}')}</td><td>{_num(s['proxy_gain'], '{:+.2f}')}</td>"
                         f"<td>{_num(s['peak_d'])} ({_num(s['peak_gain'], '{:+.2f}')})</td>"
                         f"<td>{'yes' if s['gamed'] else 'no'}</td>"
                         f"<td>{_num(s['alarm_d'])} · {before}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    heads = ("oracle gain", "proxy gain", "oracle peak d (gain)", "passed the peak", "alarm d · vs peak")
    head = "".join(f"<th>{signal}: {h}</th>" for signal in ("safe", "helpful") for h in heads)
    return f"<table><tr><th>run · stage</th><th>final d</th><th>final d to base</th>{head}</tr>{''.join(body)}</table>"


def _transcripts(goodhart: dict[str, Any]) -> str:
    items = []
    for label, shown in goodhart.get("transcripts", {}).items():
        for t in shown:
            items.append(f'<div class="t"><b>{html.escape(label)}</b> · {html.escape(t["split"])} · '
                         f'<span class="o {html.escape(str(t["outcome"]))}">{html.escape(str(t["outcome"]))}</span>'
                         f"<br><i>user:</i> {html.escape(t['prompt'])}<br><i>reply:</i> "
                         f"<code>{html.escape(t['reply'])}</code></div>")
    return f"<details><summary>final models of the long runs (first seed)</summary>{''.join(items)}</details>" \
        if items else ""


def goodhart_html(goodhart: dict[str, Any] | None) -> str:
    """The Goodhart section of the study report ('' when the study did not run it)."""
    if not goodhart:
        return ""
    cfg = goodhart["config"]
    figures = "".join(f"<h3>{html.escape(arm)}</h3>{_img(_figure(goodhart, arm), f'Goodhart curves {arm}')}"
                      for arm in cfg["arms"])
    return f"""<h2 id="goodhart">Goodhart curves: the oracle against d = √KL
(after Gao, Schulman &amp; Hilton 2022)</h2>
<p>Each GRPO stage ran {cfg['steps_factor']:g}× its recipe's steps at KL coefficients
{html.escape(', '.join(f'{b:g}' for b in cfg['betas']))}, probing every {cfg['probe_every']} steps
({cfg['probe_per_split']} prompts per probe split, one reply each, at the training temperature). d = √KL(π‖π_start)
is estimated per sequence on the probe replies against the stage's starting model. Solid: the oracle's gain
over the start (safe share on harmful prompts; helpful share on the others); thin: the proxy reward model's;
dashed: best-of-n against the proxy from the same start (n = 1 … {cfg['bon_n']}, KL = log n − (n−1)/n);
dotted: the fitted forms, RL d(α − β log d) and best-of-n d(α − β d), over seeds (intervals: resampled seeds).
A run "passed the peak" when its oracle fell 0.1 or more below its highest point while the proxy still gained.
Time: {goodhart.get('wall_s', 0):.0f} s.</p>
{figures}{_table(goodhart.get('table', []))}
<h3>Per run</h3>{_runs(goodhart.get('runs', {}))}{_transcripts(goodhart)}"""
