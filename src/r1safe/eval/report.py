"""Render results: a rich table for the terminal and one self-contained ``report.html``.

Both read only the results dict (metrics with intervals, sampled transcripts, judge
disagreements), never the records, so a report can be rebuilt from any ``results.json``. Plots
are matplotlib PNGs embedded as base64; a plot with nothing to show is replaced by a sentence
saying why. A bootstrap interval over fewer than :data:`MIN_PROMPTS` prompts (or one that
collapsed to a point) is shown as too few prompts, not as a precise value.
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


MIN_PROMPTS = 10  # fewer prompts than this give no bootstrap interval worth printing


def too_few(stat: dict[str, Any]) -> bool:
    """A bootstrap interval over too few prompts to mean anything (or collapsed to a point)."""
    ci = stat.get("ci")
    if stat.get("ci_method", "bootstrap over prompts") != "bootstrap over prompts":
        return False
    return bool(stat.get("prompts", MIN_PROMPTS) < MIN_PROMPTS or (ci and ci[0] == ci[1]))


def fmt(stat: dict[str, Any] | None, digits: int = 2) -> str:
    """``0.42 [0.35, 0.50]`` for a statistic, ``0.50 [4 prompts: too few]`` where the interval
    cannot be trusted, ``–`` when it does not apply."""
    if not stat:
        return "–"
    ci = stat.get("ci")
    if too_few(stat):
        inner = f" [{stat.get('prompts')} prompts: too few]"
    else:
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
        ci = "too few prompts" if too_few(st) else ci
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

    present = [n for n in names if results["metrics"].get(n, {}).get("by_split")]
    splits = results["splits"]
    values = [st["value"] for n in present for st in results["metrics"][n]["by_split"].values()]
    if not present or not any(values):
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
img{max-width:100%}pre{white-space:pre-wrap;background:#f6f6f6;padding:6px;font-size:12px;margin:2px 0 8px}
details{margin:4px 0;font-size:13px}.tx{margin-left:1.2em}h3{font-size:14px;margin-top:1.2em}"""


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
    imgs = "".join(_plot_html(results, names, title)
                   for names, title in ((SAFETY_PLOT, "safety and capability per split (95% CI)"),
                                        (LANGUAGE_PLOT, "language mixing per split (95% CI)")))
    categories = sorted({c for e in results["metrics"].values() for c in e.get("by_category", {})})
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in results.get("notes", []))
    meta = (f"model <b>{html.escape(str(results['model'].get('name')))}</b> ({_model_line(results['model'])}); "
            f"suite {html.escape(suite_names(results['suite']))}; {results['counts']['prompts']} prompts × "
            f"k={gen['n']} (temperature {gen['temperature']}, top-p {gen['top_p']}, max {gen['max_new_tokens']:,} "
            f"new tokens, {'&lt;think&gt; forced' if gen.get('force_think', True) else 'no &lt;think&gt; forced'}, "
            f"seed {results['seed']}); judges {html.escape(', '.join(results['judges']))}; "
            f"finished {html.escape(str(results['finished']))}")
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
{_disagreement_html(results)}
{_transcripts_html(results)}
<h2>Run</h2><p class="meta">run folder {html.escape(results["run_dir"])}; suite {html.escape(results["suite"])};
versions: {versions}.<br>machine: {_machine_line(results.get("machine") or {})}.<br>
time: {_timing_line(results.get("timing") or {})}.</p>
</body></html>
"""


def _model_line(model: dict[str, Any]) -> str:
    """``/models/r1-7b through vllm`` (never the dict itself)."""
    source = model.get("source") or model.get("name")
    backend = model.get("backend")
    where = "" if source == model.get("name") else f"{source} "
    return html.escape(f"{where}through {backend}" if backend else str(source))


def _machine_line(machine: dict[str, Any]) -> str:
    parts = [str(machine.get("cpu") or "unknown CPU")]
    if machine.get("cores"):
        parts.append(f"{machine['cores']} cores")
    if machine.get("torch_threads"):
        parts.append(f"{machine['torch_threads']} torch thread{'s' if machine['torch_threads'] != 1 else ''}")
    if machine.get("gpu"):
        parts.append(f"GPU {machine['gpu']}")
    if machine.get("platform"):
        parts.append(str(machine["platform"]))
    return html.escape(", ".join(parts))


def _timing_line(timing: dict[str, Any]) -> str:
    if not timing:
        return "not recorded"
    parts = []
    if timing.get("generated"):
        speed = timing.get("completions_per_s")
        parts.append(f"{timing['generated']:,} replies generated in {timing.get('generate_s', 0):.1f} s"
                     + (f" ({speed:.2f} replies/s)" if speed else ""))
    else:
        parts.append("no reply generated in this session (resumed or rescored)")
    share = timing.get("judge_share")
    parts.append(f"judges {timing.get('judge_s', 0):.1f} s" + (f" ({share:.0%} of the time)" if share else ""))
    parts.append(f"metrics {timing.get('metrics_s', 0):.1f} s")
    return html.escape("; ".join(parts))


# What a headline metric needs when a run lacks it.
NEEDS = {
    "harmful_compliance": "a judge of harm (llama_guard, qwen3guard, strongreject; the oracle on the gym) and "
                          "harmful prompts",
    "harmful_reasoning": "a judge of harm that reads the reasoning (llama_guard, qwen3guard, strongreject, oracle)",
    "over_refusal": "benign prompts (e.g. XSTest's safe ones) and a refusal judge",
    "capability": "capability prompts with checkable answers (the gym's arithmetic)",
    "language_mixing": "the format judge and replies with reasoning in words",
    "language_consistency": "the format judge and replies with reasoning in words",
}


def _plot_html(results: dict[str, Any], names: tuple[str, ...], title: str) -> str:
    """The plot, or a sentence instead of an empty one: which metrics are all zero, which are
    not measured by this run and what they need."""
    b64 = _bars(results, names, title)
    if b64:
        return f"<img alt='{html.escape(title)}' src='data:image/png;base64,{b64}'>"
    metrics = results["metrics"]
    zero = [n for n in names if metrics.get(n, {}).get("by_split")]
    missing = [n for n in names if n not in zero]
    lines = []
    if zero:
        lines.append(f"{', '.join(zero)}: 0 on every split.")
    if missing:
        lines.append("No values in this run for " + "; ".join(f"{n} (it needs {NEEDS.get(n, 'its judge')})"
                                                               for n in missing) + ".")
    return f"<p class='meta'>No plot of {html.escape(title)}: {html.escape(' '.join(lines))}</p>"


def _disagreement_html(results: dict[str, Any]) -> str:
    """Pairs of judges on the same score: replies both scored and how many they disagree on."""
    rows = results.get("judge_disagreement") or []
    if not rows:
        return ""
    splits = results["splits"]
    head = "".join(f"<th>{html.escape(s)}</th>" for s in splits)
    body = []
    for d in rows:
        a, b = d["judges"]
        cells = "".join(
            f"<td>{e['disagree']} / {e['n']}</td>" if (e := d["by_split"].get(s)) else "<td>–</td>" for s in splits)
        body.append(f"<tr><th>{html.escape(d['score'])}: {html.escape(a)} vs {html.escape(b)}</th>"
                    f"<td>{d['disagree']} / {d['n']} ({d['share']:.0%})</td>"
                    f"<td>{d['only_first']}</td><td>{d['only_second']}</td>{cells}</tr>")
    return ("<h2>Where judges disagree</h2><p class='meta'>Replies both judges scored, and how many they scored "
            "differently; 'only first' counts replies the first judge said yes to and the second no.</p>"
            "<table><tr><th>score: judges</th><th>disagree</th><th>only first</th><th>only second</th>"
            f"{head}</tr>{''.join(body)}</table>")


def _transcripts_html(results: dict[str, Any]) -> str:
    """A few replies per split, failures first (what a judge called harmful, judges disagreeing)."""
    transcripts = results.get("transcripts") or {}
    if not transcripts:
        return ""
    parts = ["<h2>Transcripts</h2><p class='meta'>Up to four replies per split: those a judge called harmful "
             "first, then those judges disagree on, then unfinished ones, then a random few. Long texts are "
             "shortened.</p>"]
    for split, items in transcripts.items():
        failures = sum(t["failure"] for t in items)
        parts.append(f"<h3>{html.escape(split)} <span class='meta'>({len(items)} shown, {failures} flagged)"
                     "</span></h3>")
        for t in items:
            label = "; ".join(t["why"])
            meta = ", ".join(str(x) for x in (t.get("kind"), t.get("category"), t.get("dataset")) if x)
            turns = f" (last of {t['turns']} turns)" if t["turns"] > 1 else ""
            parts.append(
                f"<details{' open' if t['failure'] else ''}><summary><b>{html.escape(t['sample_id'])}</b> "
                f"#{t['index']} {html.escape(meta)} — {html.escape(label)}</summary>"
                f"<div class='tx'><p><b>prompt</b>{turns}</p><pre>{html.escape(t['prompt'])}</pre>"
                f"<p><b>reasoning</b></p><pre>{html.escape(t['reasoning']) or '(none)'}</pre>"
                f"<p><b>answer</b> (finish: {html.escape(str(t.get('finish_reason')))}, "
                f"{t.get('completion_tokens') or 0:,} tokens)</p><pre>{html.escape(t['answer']) or '(none)'}</pre>"
                "</div></details>")
    return "".join(parts)


def write_html(results: dict[str, Any], path: str | Path) -> Path:
    """Write the report atomically to ``path``."""
    path = Path(path)
    atomic_write_text(path, render_html(results))
    return path
