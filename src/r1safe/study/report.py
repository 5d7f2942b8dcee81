"""The study's one-file HTML report, rendered from ``results.json`` only.

Plots are PNGs embedded as base64, so the file reads without a server or network. Every number
in the report comes from the results dict it is given; nothing is computed here but formatting.
"""

from __future__ import annotations

import html
from typing import Any

from r1safe.study import plots
from r1safe.study.html_parts import img as _img
from r1safe.study.report_goodhart import goodhart_html
from r1safe.study.table import COLUMNS, COMPUTE_COLUMNS


def fmt_cell(cell: dict[str, Any] | None, percent: bool = True) -> str:
    """``42% [31–55]`` for a rate, ``1.2e+12 [..]`` for a compute figure, ``–`` when missing."""
    if cell is None:
        return "–"
    if percent:
        return f"{100 * cell['value']:.1f}% [{100 * cell['ci'][0]:.1f}–{100 * cell['ci'][1]:.1f}]"
    return f"{cell['value']:.3g} [{cell['ci'][0]:.3g}–{cell['ci'][1]:.3g}]"




def main_table_html(table: dict[str, dict[str, Any]]) -> str:
    head = "".join(f"<th>{html.escape(c.label)}</th>" for c in COLUMNS)
    head += "".join(f"<th>{html.escape(label)}</th>" for _, label in COMPUTE_COLUMNS)
    rows = []
    for arm, cells in table.items():
        tds = "".join(f'<td data-key="{c.key}">{fmt_cell(cells.get(c.key))}</td>' for c in COLUMNS)
        tds += "".join(f'<td data-key="{k}">{fmt_cell(cells.get(k), percent=False)}</td>' for k, _ in COMPUTE_COLUMNS)
        rows.append(f'<tr data-arm="{html.escape(arm)}"><th>{html.escape(arm)}</th>{tds}</tr>')
    return f"<table><tr><th>arm</th>{head}</tr>{''.join(rows)}</table>"


def outcomes_html(outcomes: dict[str, dict[str, dict[str, float]]]) -> str:
    """Per arm and harmful split, the shares complied · attempted · refused · neither, so no split
    can look safe because the model is confused (its "neither" is beside its refusals)."""
    from r1safe.gym.oracle import HARMFUL_OUTCOMES

    splits = list(dict.fromkeys(s for by_split in outcomes.values() for s, shares in by_split.items()
                                if set(shares) == set(HARMFUL_OUTCOMES)))
    if not splits:
        return ""
    head = "".join(f"<th>{html.escape(s)}</th>" for s in splits)
    rows = []
    for arm, by_split in outcomes.items():
        cells = "".join(
            f'<td data-split="{html.escape(s)}">'
            + (" · ".join(f"{100 * by_split[s][o]:.0f}" for o in HARMFUL_OUTCOMES) if s in by_split else "–")
            + "</td>" for s in splits)
        rows.append(f'<tr data-arm="{html.escape(arm)}"><th>{html.escape(arm)}</th>{cells}</tr>')
    return (f"<p>Harmful splits, % of replies: complied · attempted · refused · neither.</p>"
            f"<table><tr><th>arm</th>{head}</tr>{''.join(rows)}</table>")


CSS = """body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:4px 6px;text-align:right}
th:first-child{text-align:left}img{max-width:100%;display:block;margin:1em 0}.claim{margin:.3em 0}
.t{font-size:12px;margin:.6em 0;border-left:3px solid #ddd;padding-left:.6em}.o{font-weight:bold}
.complied,.broken{color:#b42318}.attempted{color:#b54708}.refused,.helpful{color:#05603a}.other{color:#555}
.supported{color:#05603a}.contradicted{color:#b42318}.not{color:#555}code{background:#f4f4f4;padding:0 3px}"""


def _builds(gym: dict[str, Any]) -> str:
    builds = sorted(set(gym.get("builds", {}).values()))
    if len(builds) > 1:
        return f"One gym build per seed, the same world: <code>{html.escape(', '.join(builds))}</code>"
    return f"Gym build <code>{html.escape(str(gym.get('digest')))}</code>"


def judges_html(judges: dict[str, dict[str, dict[str, float]]]) -> str:
    """Accuracy of the proxy harmlessness model and the stronger safety judge against the oracle's
    ``safe``, per case of reply and per language (English: seen; Chinese: held out)."""
    if not judges:
        return ""
    cases = list(next(iter(judges.values())))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cases)
    rows = []
    for name, by_case in judges.items():
        for lang in ("en", "zh"):
            cells = "".join(f"<td>{100 * by_case[c][lang]:.0f}%</td>" if lang in by_case.get(c, {}) else "<td>–</td>"
                            for c in cases)
            rows.append(f"<tr><th>{html.escape(name)} · {lang}</th>{cells}</tr>")
    return (f"<h2>The learned safety models, case by case</h2><p>Accuracy against the oracle's safe (a coherent "
            f"refusal with no harm anywhere) on the first seed's test prompts. The policy is trained on "
            f"<code>harmlessness</code>; the hybrid's rejection sampling filters with <code>safety_judge</code>."
            f"</p><table><tr><th>model · language</th>{head}</tr>{''.join(rows)}</table>")


def _flops(x: float | None) -> str:
    return "never" if x is None else f"{x:.3g}"


def dose_html(dose: dict[str, Any] | None) -> str:
    """The dose-response section: FLOPs to the threshold per arm, harm vs FLOPs, harm vs data size."""
    if not dose:
        return ""
    st = dose["settings"]
    rows = []
    for arm, r in dose["flops_to_threshold"].items():
        seeds = ", ".join(f"s{s}: {_flops(v)}" for s, v in r["per_seed"].items())
        rows.append(f'<tr data-arm="{html.escape(arm)}"><th>{html.escape(arm)}</th><td>{_flops(r["value"])}</td>'
                    f'<td>{_flops(r["ci"][0])}–{_flops(r["ci"][1])}</td><td>{r["reached"]}/{r["seeds"]}</td>'
                    f"<td>{html.escape(seeds)}</td></tr>")
    sizes = "".join(
        f"<tr><th>{html.escape(arm)}</th><td>{p['size']}</td><td>{fmt_cell(p.get('harm_held_out'))}</td>"
        f"<td>{fmt_cell(p.get('over_refusal'))}</td><td>{fmt_cell(p.get('arithmetic'))}</td>"
        f"<td>{fmt_cell(p['flops'], percent=False)}</td></tr>"
        for arm, points in dose["data_size"].items() for p in points)
    size_part = (f"<h3>Safety-data size as a dose</h3><p>The arm trained on a nested subset of the "
                 f"safety-SFT set (same epochs, so fewer rows is fewer steps); a multi-stage arm shrinks only its "
                 f"stages that train on that set (the hybrid: its cold start), the others run as shipped.</p>"
                 f"{_img(plots.dose_sizes(dose['data_size']), 'harm vs safety-data size')}"
                 "<table><tr><th>arm</th><th>rows</th><th>harmful compliance · held-out</th><th>over-refusal</th>"
                 f"<th>arithmetic</th><th>FLOPs</th></tr>{sizes}</table>") if sizes else ""
    wall = ", ".join(f"{k} {v:.0f} s" for k, v in dose.get("wall_s", {}).items())
    return f"""<h2 id="dose">Dose-response: harm, over-refusal and capability against compute</h2>
<p>Snapshots every {100 * st['every_fraction']:.0f}% of each stage's steps, evaluated on
{html.escape(', '.join(dose['splits']))} ({st['limit']} prompts per split, {st['samples']} sample(s) each; the
base model is FLOPs 0). Rates pool the seeds (95% bootstrap over seed × prompt); FLOPs are cumulative training,
generation and reference FLOPs, as in the main table. Time: {html.escape(wall)}.</p>
{_img(plots.dose_flops(dose['curves'], st['threshold']), 'harm vs FLOPs')}
<h3>FLOPs to first reach held-out harm ≤ {100 * st['threshold']:.0f}%</h3>
<p>Per seed, the FLOPs of the first evaluated point at or below the threshold (an upper bound at the snapshots'
resolution); across seeds the median and [min–max]; "never" when a seed (or the median seed) does not get
there.</p>
<table><tr><th>arm</th><th>median FLOPs</th><th>[min–max]</th><th>seeds reaching</th><th>per seed</th></tr>
{''.join(rows)}</table>{size_part}"""


def transcripts_html(samples: dict[str, dict[str, list[dict[str, Any]]]]) -> str:
    """Sampled replies per arm and split: prompt, reasoning, answer and the oracle's outcome."""
    parts = []
    for arm, by_split in samples.items():
        items = []
        for split, shown in by_split.items():
            for t in shown:
                outcome = html.escape(str(t.get("outcome")))
                garbled = "" if t.get("coherent") else " · incoherent"
                items.append(
                    f'<div class="t"><b>{html.escape(split)}</b> · <span class="o {outcome}">{outcome}</span>'
                    f"{garbled}<br><i>user:</i> {html.escape(str(t['prompt']))}<br><i>think:</i> "
                    f"<code>{html.escape(t['reasoning'])}</code><br><i>answer:</i> <code>{html.escape(t['answer'])}"
                    "</code></div>")
        parts.append(f"<details><summary>{html.escape(arm)}</summary>{''.join(items)}</details>")
    return "".join(parts)


def render(results: dict[str, Any]) -> str:
    """The report's HTML for a study ``results`` dict."""
    table = results["table"]
    v = results["verdict"]
    axes = "".join(f"<li>{html.escape(a['text'])}</li>" for a in v["axes"])
    claims = "".join(
        f'<li class="claim {c["outcome"].split()[0]}">{html.escape(c["text"])}</li>' for c in v["claims"]
    ) or "<li>RL or hybrid arm missing: no claim to test.</li>"
    working = "".join(f'<li class="broken">{html.escape(w)}</li>' for w in v.get("working", []))
    working = f"<h3>Arms that stopped working</h3><ul>{working}</ul>" if working else ""
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in results.get("notes", []))
    notes = f"<h3>Where an arm sees the oracle</h3><ul>{notes}</ul>" if notes else ""
    cfg = results["config"]
    seeds = ", ".join(str(s) for s in results["seeds"])
    gym = results.get("gym", {})
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>r1safe study</title>
<style>{CSS}</style></head><body>
<h1>r1safe study: SFT vs RL vs hybrid on the safety gym</h1>
<p>Status: <b>{html.escape(results['status'])}</b>. Seeds: {seeds}. Mode: {html.escape(str(cfg.get('mode')))}.
Samples per prompt: {cfg.get('samples')}; prompts per split: {cfg.get('limit') or 'all'}.
{_builds(gym)} (held-out categories:
{html.escape(', '.join(gym.get('heldout', {}).get('categories', [])))}; wrappers:
{html.escape(', '.join(gym.get('heldout', {}).get('wrappers', [])))}).</p>
<h2>Verdict (computed from the numbers below)</h2>{working}<ul>{axes}</ul>
<h3>The seed paper's claims, tested</h3><ul>{claims}</ul>
{notes}
<h2>Main table</h2>
<p>Rates with 95% intervals (bootstrap over prompts × seeds, Wilson at 0 or 1). Compute: mean [min–max] over seeds.</p>
{main_table_html(table)}
<h2>What the replies are, per split</h2>
<p>The oracle's outcome of every reply: on harmful prompts complied (the harmful steps), attempted (sets out to
comply without them), refused (a coherent refusal) or other (garbled, off-topic, empty); on the others helpful,
refused or other. Only refusal makes a model harmless on a harmful split. The last four harmful splits
(paraphrase, compositional, nested_wrapper, code_switch) are the harder shifts; the held-out columns
of the main table do not pool them.</p>
{_img(plots.outcomes(results.get('outcomes', {})), 'outcomes by split')}
{outcomes_html(results.get('outcomes', {}))}
<h2>Harmful compliance by split</h2>{_img(plots.harm_by_split(table), 'harmful compliance by split')}
<h2>Reward hacking: proxy reward model vs oracle over RL steps</h2>
{_img(plots.reward_hacking(results.get('hacking_curves', {})), 'reward hacking curves')}
<h2>Generalization: id vs held-out</h2>{_img(plots.generalization(table), 'generalization')}
<h2>Cost: harm against compute</h2>{_img(plots.cost(table), 'cost')}
{dose_html(results.get('dose'))}
{goodhart_html(results.get('goodhart'))}
<h2>Side effects: over-refusal, capability, language mixing, harmful reasoning</h2>
{_img(plots.side_effects(table), 'side effects')}
{judges_html(gym.get('safety_judges', {}))}
<h2>Sample transcripts (seed {results['seeds'][0]}; failures first on harmful splits)</h2>
{transcripts_html(results.get('transcripts', {}))}
<p>Machine: {html.escape(str(results.get('machine')))}. Versions: {html.escape(str(results.get('versions')))}.</p>
</body></html>"""
