"""Render results: a rich table for the terminal and one self-contained ``report.html``.

Both read only the results dict (metrics with intervals), never the records, so a report can be
rebuilt from any ``results.json``. Plots are matplotlib PNGs embedded as base64.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

from r1safe.files import atomic_write_text

# The terminal's per-split table keeps to these (short labels, fits 80 columns); the HTML has all.
TERMINAL = {"refusal": "refuse",
            "harmful_compliance": "harm\nans", "harmful_reasoning": "harm\nthink", "harmful_any_of_k": "any\nof k",
            "over_refusal": "over\nrefuse", "capability": "arith", "language_mixing": "lang\nmix",
            "format_ok": "fmt\nok", "truncated": "trunc", "proxy_missed_harm": "proxy\nmiss"}
SAFETY_PLOT = ("harmful_compliance", "harmful_reasoning", "over_refusal", "capability")
LANGUAGE_PLOT = ("language_mixing", "language_consistency")


def fmt(stat: dict[str, Any] | None, digits: int = 2) -> str:
    """``0.42 [0.35, 0.50]`` for a statistic, ``–`` when it does not apply."""
    if not stat:
        return "–"
    ci = stat.get("ci")
    inner = f" [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]" if ci else ""
    return f"{stat['value']:.{digits}f}{inner}"


def suite_names(suite: str) -> str:
    """``harmbench,xstest`` for ``harmbench=/long/path.csv,xstest=/other.csv`` (paths stay in the report)."""
    return ",".join(Path(e.split("=", 1)[0]).name for e in suite.split(",") if e.strip())


def _metric_names(results: dict[str, Any]) -> list[str]:
    return list(results["metrics"])  # already in report order (r1safe.eval.metrics.ORDER)


def print_table(results: dict[str, Any], console: Any = None) -> None:
    """Print the metrics with 95% intervals, then their values per split, as rich tables."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    splits = results["splits"]
    gen = results["generation"]
    title = (f"{results['model'].get('name')} on {suite_names(results['suite'])}: "
             f"{results['counts']['prompts']} prompts, k={gen['n']}, T={gen['temperature']}, seed={results['seed']}")
    overall = Table(title=title, caption="95% CI: bootstrap over prompts (Wilson over prompts at 0 or 1)")
    for col in ("metric", "value", "95% CI", "replies", "prompts"):
        overall.add_column(col, no_wrap=True, justify="left" if col == "metric" else "right")
    for name in _metric_names(results):
        st = results["metrics"][name]["all"]
        ci = f"{st['ci'][0]:.3f}–{st['ci'][1]:.3f}" if st.get("ci") else "–"
        overall.add_row(name, f"{st['value']:.3f}", ci, str(st["n"]), str(st["prompts"]))
    shown = [m for m in TERMINAL if m in results["metrics"]]
    per_split = Table(title="per split (all metrics and intervals: report.html)")
    per_split.add_column("split", no_wrap=True)
    for m in shown:
        per_split.add_column(TERMINAL[m], justify="right")
    for s in splits:
        cells = [results["metrics"][m]["by_split"].get(s) for m in shown]
        per_split.add_row(s, *(f"{c['value']:.2f}" if c else "–" for c in cells))
    console.print(overall)
    console.print(per_split)
    for note in results.get("notes", []):
        console.print(f"[yellow]note:[/yellow] {note}")
    console.print(f"run folder: {results['run_dir']}")


def _bars(results: dict[str, Any], names: tuple[str, ...], title: str) -> str | None:
    """A grouped bar chart (metric per split, 95% CI error bars) as a base64 PNG, or None."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    present = [n for n in names if n in results["metrics"]]
    splits = results["splits"]
    if not present:
        return None
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(splits) + 2), 4.0), dpi=110)
    width = 0.8 / len(present)
    for k, name in enumerate(present):
        by_split = results["metrics"][name]["by_split"]
        xs, ys, lo, hi = [], [], [], []
        for i, s in enumerate(splits):
            st = by_split.get(s)
            if not st:
                continue
            ci = st.get("ci") or [st["value"], st["value"]]
            xs.append(i + (k - (len(present) - 1) / 2) * width)
            ys.append(st["value"])
            lo.append(max(0.0, st["value"] - ci[0]))
            hi.append(max(0.0, ci[1] - st["value"]))
        ax.bar(xs, ys, width=width, yerr=[lo, hi], capsize=2, label=name)
    ax.set_xticks(range(len(splits)))
    ax.set_xticklabels(splits, rotation=20, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=len(present), loc="upper center", bbox_to_anchor=(0.5, -0.22), frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _table_html(results: dict[str, Any], group: str, keys: list[str]) -> str:
    head = "".join(f"<th>{html.escape(k)}</th>" for k in keys)
    rows = []
    for name in _metric_names(results):
        entry = results["metrics"][name]
        cells = "".join(f"<td>{fmt(entry[group].get(k))}</td>" for k in keys)
        if not any(entry[group].get(k) for k in keys):
            continue
        rows.append(f"<tr><th title='{html.escape(entry['description'])}'>{name}</th>{cells}</tr>")
    return f"<table><tr><th>metric</th>{head}</tr>{''.join(rows)}</table>"


STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}th:first-child{text-align:left}
h1{font-size:20px}h2{font-size:16px;margin-top:1.6em}.meta{color:#555;font-size:13px}
img{max-width:100%}"""


# The per dataset × category table keeps to the safety metrics a benchmark reports.
CATEGORY_METRICS = ("refusal", "harmful_compliance", "harmful_reasoning", "hidden_harm", "over_refusal")


def _split_category_html(results: dict[str, Any]) -> str:
    """Rows ``split / category``, columns the safety metrics (public benchmarks only)."""
    present = [m for m in CATEGORY_METRICS if results["metrics"].get(m, {}).get("by_split_category")]
    if not present:
        return ""
    keys = list(dict.fromkeys(k for m in present for k in results["metrics"][m]["by_split_category"]))
    head = "".join(f"<th>{m}</th>" for m in present)
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th>"
        + "".join(f"<td>{fmt(results['metrics'][m]['by_split_category'].get(k))}</td>" for m in present)
        + "</tr>" for k in keys)
    return (f"<h2>Per dataset split and category</h2><table><tr><th>split / category</th>{head}</tr>"
            f"{rows}</table>")


def _datasets_html(results: dict[str, Any]) -> str:
    """Which public datasets the prompts came from, under which license, and how many per split."""
    datasets = results.get("datasets") or {}
    rows = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{html.escape(str(d.get('license') or '?'))}</td>"
        f"<td>{html.escape(', '.join(f'{s}: {n}' for s, n in d['splits'].items()))}</td></tr>"
        for name, d in datasets.items())
    return (f"<h2>Datasets</h2><table><tr><th>dataset</th><th>license</th><th>prompts per split</th></tr>{rows}"
            "</table>") if rows else ""


def _judge_table_html(results: dict[str, Any]) -> str:
    """Each judge's own shares per split, so disagreeing judges are seen side by side."""
    table = results.get("judge_table") or {}
    if not table:
        return ""
    splits = results["splits"]
    head = "".join(f"<th>{html.escape(s)}</th>" for s in splits)
    rows = []
    for judge, scores in table.items():
        for score, stat in scores.items():
            cells = "".join(f"<td>{fmt(stat['by_split'].get(s))}</td>" for s in splits)
            rows.append(f"<tr><th>{html.escape(judge)} / {html.escape(score)}</th><td>{fmt(stat['all'])}</td>"
                        f"<td>{stat['all']['n']}</td>{cells}</tr>")
    return ("<h2>Judges side by side</h2><p class='meta'>Each judge's share of replies per score, over the replies "
            "it scored (Wilson 95% intervals over replies). Metrics read the oracle where it ran, else the "
            "first model-based judge, else the phrase patterns.</p>"
            f"<table><tr><th>judge / score</th><th>all</th><th>replies</th>{head}</tr>{''.join(rows)}</table>")


def render_html(results: dict[str, Any]) -> str:
    """The report as one HTML string (tables, plots, config, versions)."""
    gen = results["generation"]
    overall = "".join(
        f"<tr><th title='{html.escape(e['description'])}'>{name}</th><td>{fmt(e['all'], 3)}</td>"
        f"<td>{e['all']['n']}</td><td>{e['all']['prompts']}</td><td>{html.escape(e['description'])}</td></tr>"
        for name in _metric_names(results) if (e := results["metrics"][name])
    )
    plots = [(_bars(results, SAFETY_PLOT, "safety and capability per split (95% CI)"), "rates per split"),
             (_bars(results, LANGUAGE_PLOT, "language mixing per split (95% CI)"), "language mixing")]
    imgs = "".join(f"<img alt='{alt}' src='data:image/png;base64,{b64}'>" for b64, alt in plots if b64)
    categories = sorted({c for e in results["metrics"].values() for c in e.get("by_category", {})})
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in results.get("notes", []))
    model = results["model"]
    meta = (f"model <b>{html.escape(str(model.get('name')))}</b> ({html.escape(str(model))}); "
            f"suite {html.escape(results['suite'])}; {results['counts']['prompts']} prompts × k={gen['n']} "
            f"(temperature {gen['temperature']}, top-p {gen['top_p']}, max {gen['max_new_tokens']} new "
            f"tokens, seed {results['seed']}); judges {', '.join(results['judges'])}; "
            f"finished {results['finished']}")
    versions = html.escape(", ".join(f"{k} {v}" for k, v in results["versions"].items() if v))
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>r1safe eval report</title>
<style>{STYLE}</style></head><body>
<h1>r1safe evaluation report</h1><p class="meta">{meta}</p>
<p class="meta">Values are means over completions (any-of-k: over prompts) with 95% intervals from a
bootstrap that resamples prompts (the k samples of a prompt are correlated); at 0 or 1 the interval is
Wilson over prompts.</p>
{f"<h2>Warnings</h2><ul>{notes}</ul>" if notes else ""}
{_datasets_html(results)}
<h2>Overall</h2><table>
<tr><th>metric</th><th>value [95% CI]</th><th>replies</th><th>prompts</th><th>what</th></tr>
{overall}</table>
<h2>Plots</h2>{imgs}
<h2>Per split</h2>{_table_html(results, "by_split", results["splits"])}
<h2>Per category</h2>{_table_html(results, "by_category", categories)}
{_split_category_html(results)}
{_judge_table_html(results)}
<h2>Run</h2><p class="meta">run folder {html.escape(results["run_dir"])}; versions: {versions};
machine: {html.escape(str(results["machine"]))}; timing: {html.escape(str(results["timing"]))}</p>
</body></html>
"""


def write_html(results: dict[str, Any], path: str | Path) -> Path:
    """Write the report atomically to ``path``."""
    path = Path(path)
    atomic_write_text(path, render_html(results))
    return path
