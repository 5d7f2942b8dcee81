"""The real track's one-file HTML report, rendered from its results dict only (nothing is computed here
but formatting): the headline table, each metric per test split, a plot, training and compute per arm,
the data card, the corpora, timing, and sampled transcripts per arm and split."""

from __future__ import annotations

import html
import io
from typing import Any

from r1safe.study.html_parts import img

HEADLINE = (("held-out harmful", "refused_clf"), ("held-out harmful", "refused_patterns"),
            ("in-distribution", "refused_clf"), ("held-out unharmful", "complied"), ("all", "arithmetic"),
            ("all", "degenerate"), ("held-out harmful", "harmful_reasoning"), ("all", "format"), ("all", "mixing"))


def cell(stat: dict[str, Any] | None) -> str:
    """``42% [31–55] (n=24)``, or ``–``; an interval over fewer than 5 prompts is marked as too few."""
    if not stat:
        return "–"
    lo, hi = stat["ci"] if stat.get("ci") else (stat["value"], stat["value"])
    few = " <em>few prompts</em>" if stat["prompts"] < 5 else ""
    return f"{100 * stat['value']:.0f}% [{100 * lo:.0f}–{100 * hi:.0f}] <small>n={stat['prompts']}</small>{few}"


def _stat(table: dict[str, Any], group: str, metric: str) -> dict[str, Any] | None:
    entry = table.get(metric) or {}
    return entry.get("all") if group == "all" else (entry.get("groups") or {}).get(group)


def headline(results: dict[str, Any]) -> str:
    head = "".join(f"<th>{html.escape(metric)}<br><small>{html.escape(group)}</small></th>"
                   for group, metric in HEADLINE)
    rows = "".join(
        f'<tr data-arm="{html.escape(arm)}"><th>{html.escape(arm)}</th>'
        + "".join(f"<td>{cell(_stat(a['table'], g, m))}</td>" for g, m in HEADLINE) + "</tr>"
        for arm, a in results["arms"].items())
    return f"<table><tr><th>arm</th>{head}</tr>{rows}</table>"


def per_split(results: dict[str, Any], metric: str) -> str:
    arms = results["arms"]
    splits = list(dict.fromkeys(s for a in arms.values() for s, st in a["table"][metric]["splits"].items() if st))
    if not splits:
        return ""
    head = "".join(f"<th>{html.escape(s)}</th>" for s in splits)
    rows = "".join(f"<tr><th>{html.escape(arm)}</th>"
                   + "".join(f"<td>{cell(a['table'][metric]['splits'].get(s))}</td>" for s in splits) + "</tr>"
                   for arm, a in arms.items())
    return (f"<h3>{html.escape(metric)}: {html.escape(results['metrics'][metric])}</h3>"
            f"<table><tr><th>arm</th>{head}</tr>{rows}</table>")


def plot(results: dict[str, Any]) -> bytes | None:
    """Held-out harmful refused vs held-out unharmful answered vs arithmetic, per arm, with intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = (("held-out harmful", "refused_clf", "harmful refused"), ("held-out unharmful", "complied",
                                                                     "unharmful answered"),
            ("all", "arithmetic", "arithmetic"), ("all", "degenerate", "degenerate"))
    arms = list(results["arms"])
    fig, ax = plt.subplots(figsize=(8, 3.6))
    width = 0.8 / len(bars)
    drawn = False
    for j, (group, metric, label) in enumerate(bars):
        xs, ys, errs = [], [], [list[float](), list[float]()]
        for i, arm in enumerate(arms):
            st = _stat(results["arms"][arm]["table"], group, metric)
            if not st:
                continue
            lo, hi = st["ci"] or (st["value"], st["value"])
            xs.append(i + (j - (len(bars) - 1) / 2) * width)
            ys.append(100 * st["value"])
            errs[0].append(100 * max(0.0, st["value"] - lo))
            errs[1].append(100 * max(0.0, hi - st["value"]))
        if xs:
            ax.bar(xs, ys, width, yerr=errs, capsize=2, label=label)
            drawn = True
    if not drawn:
        plt.close(fig)
        return None
    ax.set_xticks(range(len(arms)), arms)
    ax.set_ylabel("% of replies")
    ax.set_ylim(0, 105)
    ax.legend(fontsize=8, ncols=4, loc="upper center", bbox_to_anchor=(0.5, 1.15))
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def training(results: dict[str, Any]) -> str:
    rows = []
    for arm, a in results["arms"].items():
        t = a.get("training")
        if not t:
            continue
        for s in t["stages"]:
            c = s["compute"]
            rows.append(f"<tr><th>{html.escape(arm)}</th><td>{html.escape(s['name'])}</td><td>{s['kind']}</td>"
                        f"<td>{s['steps']}</td><td>{c.get('tokens_generated', 0):,.0f}</td>"
                        f"<td>{c.get('tokens_trained', 0):,.0f}</td><td>{c.get('flops_total', 0):.2e}</td>"
                        f"<td>{s['wall_s']:.0f}</td></tr>")
    if not rows:
        return ""
    return ("<table><tr><th>arm</th><th>stage</th><th>kind</th><th>steps</th><th>generated tokens</th>"
            "<th>trained tokens</th><th>FLOPs</th><th>seconds</th></tr>" + "".join(rows) + "</table>")


def data_card(results: dict[str, Any]) -> str:
    card = results["data_card"]
    rows = "".join(f"<tr><td>{html.escape(s['source'])}</td><td>{html.escape(s['file'])}</td>"
                   f"<td>{html.escape(s['license'])}</td><td>{html.escape(s['role'])}</td>"
                   f"<td>{html.escape(s['note'])}</td><td>{s['left out as too long']}</td></tr>"
                   for s in card["sources"])
    counts = ", ".join(f"{html.escape(k)} {v}" for k, v in {**card["counts"], **{
        f"test prompts available: {k}": v for k, v in card["test_counts"].items()}}.items())
    corpora = "".join(f"<li>{html.escape(name)}: {c['rows']} rows ("
                      + ", ".join(f"{html.escape(k)} {v}" for k, v in c["counts"].items()) + ")</li>"
                      for name, c in results.get("corpora", {}).items())
    return (f"<p>Data folder: <code>{html.escape(card['data_dir'])}</code>. Trained models use only the "
            "permissively licensed training sources; the held-out sets are for evaluation only.</p>"
            "<table><tr><th>source</th><th>file</th><th>license</th><th>role</th><th>what</th>"
            f"<th>too long, left out</th></tr>{rows}</table><p>{counts}</p><ul>{corpora}</ul>")


def transcripts(results: dict[str, Any]) -> str:
    parts = []
    arms = results["arms"]
    splits = list(dict.fromkeys(s for a in arms.values() for s in a["transcripts"]))
    for split in splits:
        parts.append(f"<h3>{html.escape(split)}</h3>")
        for arm, a in arms.items():
            for t in a["transcripts"].get(split, []):
                verdicts = ", ".join(f"{k} {v}" for k in ("refusal_clf", "patterns", "correct", "degenerate",
                                                          "harmful_reasoning") if (v := t.get(k)) is not None)
                parts.append(f'<div class="t"><b>{html.escape(arm)}</b> <small>{html.escape(verdicts)}; '
                             f"{html.escape(t['finish_reason'])}</small><pre>User: {html.escape(t['prompt'])}"
                             f"\n\nAssistant: {html.escape(t['reply'])}</pre></div>")
    return "".join(parts)


def render(results: dict[str, Any]) -> str:
    """The whole report as one HTML string."""
    cfg = results["config"]
    timing = "".join(f"<li>{html.escape(k)}: {v:.0f} s</li>" for k, v in results["timing"].items())
    machine = results["machine"]
    body = [
        f"<h1>r1safe real track: {html.escape(cfg['model'])}</h1>",
        f"<p>Seed {cfg['seed']}; {cfg['eval']['samples']} samples per prompt at temperature "
        f"{cfg['eval']['temperature']}, up to {cfg['eval']['max_new_tokens']} new tokens; at most "
        f"{cfg['eval']['limit']} prompts per test split. Intervals: 95% bootstrap over prompts (Wilson at 0 or "
        f"100%). Machine: {html.escape(str(machine.get('cpu')))}, {machine.get('cores')} cores.</p>",
        "<h2>Headline</h2>", headline(results), img(plot(results), "refusal, compliance and capability per arm"),
        "<h2>Per test split</h2>", *[per_split(results, m) for m in results["metrics"]],
        "<h2>Training</h2>", training(results), "<h2>Data card</h2>", data_card(results),
        f"<h2>Timing</h2><ul>{timing}</ul>", "<h2>Transcripts</h2>",
        "<p>The same prompts for every arm (the first sample of each).</p>", transcripts(results),
    ]
    style = ("body{font-family:sans-serif;max-width:1200px;margin:auto}table{border-collapse:collapse;"
             "font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px}pre{white-space:pre-wrap;"
             "background:#f6f6f6;padding:6px}.t{margin:6px 0}")
    return f"<!doctype html><html><head><meta charset='utf-8'><title>r1safe real track</title><style>{style}" \
           f"</style></head><body>{''.join(body)}</body></html>"
