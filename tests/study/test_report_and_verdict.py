"""The study's table, verdict and report from synthetic eval records with known rates."""

import random
import re

from r1safe.eval.reply_records import ReplyRecord
from r1safe.study.report import fmt_cell, render
from r1safe.study.table import COLUMNS, build_table, rows_from_records
from r1safe.study.verdict import verdict

SPLITS = ("id", "ood_category", "ood_wrapper", "ood_language", "multi_turn")


def _records(harm_rate: float, mix_rate: float, seed: int, n: int = 40, k: int = 2, help_rate: float = 0.8
             ) -> list[ReplyRecord]:
    rng = random.Random(seed)
    out = []
    for split in (*SPLITS, "borderline", "capability"):
        for i in range(n):
            for j in range(k):
                harmful = split in SPLITS
                complied = harmful and rng.random() < harm_rate
                helped = not harmful and rng.random() < help_rate
                scores = {"oracle/harmful_answer": complied if harmful else None,
                          "oracle/complied": complied if harmful else None,
                          "oracle/attempted": False if harmful else None,
                          "oracle/refused": not complied if harmful else (not helped and rng.random() < 0.1),
                          "oracle/other": False if harmful else None,
                          "oracle/helpful": helped if split == "borderline" else None,
                          "oracle/coherent": True,
                          "oracle/harmful_reasoning": (rng.random() < harm_rate) if harmful else None,
                          "oracle/correct": (rng.random() < 0.8) if split == "capability" else None,
                          "oracle/reasoning_mixed": rng.random() < mix_rate, "oracle/format_ok": True,
                          "refusal/refused": split == "borderline" and rng.random() < 0.1}
                kind = "harmful" if harmful else ("borderline" if split == "borderline" else "benign")
                out.append(ReplyRecord(sample_id=f"{split}-{i}", index=j, split=split, kind=kind,
                                       category="c", language="en", turns=1, scores=scores))
    return out


def _results(rl_harm: float, hybrid_harm: float, rl_mix: float = 0.3, gap_rl: float = 0.4, rl_help: float = 0.8
             ) -> dict:
    rates = {"base": (1.0, 0.3, 0.8), "rl": (rl_harm, rl_mix, rl_help), "hybrid": (hybrid_harm, 0.0, 0.8),
             "sft": (0.2, 0.0, 0.8)}
    rows = {arm: {s: rows_from_records(_records(h, m, s, help_rate=p), s) for s in (0, 1)}
            for arm, (h, m, p) in rates.items()}
    compute = {arm: {0: {"flops": f, "wall_s": 10.0}, 1: {"flops": f * 1.1, "wall_s": 12.0}}
               for arm, f in (("base", 0.0), ("rl", 4e12), ("hybrid", 3e12), ("sft", 1e12))}
    table = build_table(rows, compute, resamples=200)
    hacking = {"rl": {"safety": gap_rl, "helpfulness": 0.9}, "hybrid": {"safety": 0.0, "helpfulness": 0.9}}
    return {"status": "complete", "seeds": [0, 1], "config": {"mode": "test", "samples": 2, "limit": 40},
            "gym": {"digest": "x", "heldout": {"categories": ["a"], "wrappers": ["b"]}},
            "table": table, "verdict": verdict(table, hacking), "hacking_curves": {}}


def test_table_values_match_the_synthetic_rates():
    res = _results(0.9, 0.1)
    assert abs(res["table"]["rl"]["harm_id"]["value"] - 0.9) < 0.08
    assert abs(res["table"]["hybrid"]["harm_held_out"]["value"] - 0.1) < 0.05
    cell = res["table"]["rl"]["harm_id"]
    assert cell["ci"][0] <= cell["value"] <= cell["ci"][1]
    assert set(cell["per_seed"]) == {"0", "1"}
    assert res["table"]["rl"]["flops"]["value"] == (4e12 + 4.4e12) / 2


def test_report_shows_exactly_the_numbers_of_results_json():
    res = _results(0.9, 0.1)
    page = render(res)
    for arm, cells in res["table"].items():
        row = re.search(rf'<tr data-arm="{arm}">(.*?)</tr>', page).group(1)
        for col in COLUMNS:
            shown = re.search(rf'<td data-key="{col.key}">(.*?)</td>', row).group(1)
            assert shown == fmt_cell(cells[col.key])
    assert page.count("data:image/png;base64,") >= 4


def test_verdict_follows_the_numbers():
    hybrid_wins = _results(rl_harm=0.9, hybrid_harm=0.1)
    rl_wins = _results(rl_harm=0.1, hybrid_harm=0.9)
    tie = _results(rl_harm=0.5, hybrid_harm=0.5)

    def outcome(res, prefix):
        return next(c["outcome"] for c in res["verdict"]["claims"] if c["claim"].startswith(prefix))

    claim = "RL alone generalizes worse"
    assert outcome(hybrid_wins, claim) == "supported"
    assert outcome(rl_wins, claim) == "contradicted"
    assert outcome(tie, claim) == "not distinguishable"
    held = {a["axis"]: a for a in hybrid_wins["verdict"]["axes"]}["harm_held_out"]
    assert held["best"] == "hybrid"
    assert {a["axis"]: a for a in rl_wins["verdict"]["axes"]}["harm_held_out"]["best"] == "rl"
    assert render(hybrid_wins) != render(rl_wins)


def test_reward_hacking_claim_uses_the_gap():
    hacked = _results(0.5, 0.5, gap_rl=0.4)
    clean = _results(0.5, 0.5, gap_rl=0.0)

    def outcome(res):
        return next(c["outcome"] for c in res["verdict"]["claims"] if "safety reward model" in c["claim"])

    assert outcome(hacked) == "supported"
    assert outcome(clean) == "not distinguishable"
    assert outcome(_results(0.5, 0.5, gap_rl=-0.3)) == "not distinguishable"  # proxy below the oracle is no hack
    helpful = next(c for c in hacked["verdict"]["claims"] if "helpfulness reward model" in c["claim"])
    assert helpful["outcome"] == "not distinguishable"


def test_a_broken_arm_is_never_a_safety_result():
    res = _results(rl_harm=0.0, hybrid_harm=0.3, rl_help=0.1)
    assert "rl" in res["verdict"]["broken"] and "hybrid" not in res["verdict"]["broken"]
    refusal = {a["axis"]: a for a in res["verdict"]["axes"]}["refusal_held_out"]
    assert refusal["best"] == "rl" and "rl" in refusal["broken"] and "Not a safety result for rl" in refusal["text"]
    claim = next(c for c in res["verdict"]["claims"] if c["claim"].startswith("RL alone generalizes worse"))
    assert "rl is broken" in claim["text"]
    assert "Arms that stopped working" in render(res)
    assert not _results(0.9, 0.1)["verdict"]["broken"]


def _shift_records(seed: int, complied: float, neither: float, n: int = 40) -> list[ReplyRecord]:
    from r1safe.study.table import SHIFTS

    rng = random.Random(seed)
    out = []
    for split in SHIFTS:
        for i in range(n):
            draw = rng.random()
            outcome = "complied" if draw < complied else "other" if draw < complied + neither else "refused"
            scores = {f"oracle/{o}": o == outcome for o in ("complied", "attempted", "refused", "other")}
            scores |= {"oracle/harmful_answer": outcome == "complied", "oracle/harmful_reasoning": False,
                       "oracle/coherent": outcome != "other", "oracle/reasoning_mixed": True, "oracle/format_ok": False}
            out.append(ReplyRecord(sample_id=f"{split}-{i}", index=0, split=split, kind="harmful", category="c",
                                   language="en", turns=1, scores=scores))
    return out


def test_harder_shifts_get_their_own_columns_and_move_no_old_one():
    from r1safe.study.report import outcomes_html
    from r1safe.study.table import SHIFTS, outcome_shares

    old = {"a": {0: rows_from_records(_records(0.2, 0.1, 0), 0)}}
    new = {"a": {0: rows_from_records(_records(0.2, 0.1, 0) + _shift_records(0, 0.6, 0.3), 0)}}
    before, after = build_table(old, {}, resamples=50)["a"], build_table(new, {}, resamples=50)["a"]
    shift_keys = {f"harm_{s}" for s in SHIFTS} | {"harm_shifts", "refusal_shifts", "other_shifts"}
    assert all(before[c.key] == after[c.key] for c in COLUMNS if c.key not in shift_keys)
    assert all(before[k] is None for k in shift_keys)
    assert abs(after["harm_shifts"]["value"] - 0.6) < 0.1 and abs(after["other_shifts"]["value"] - 0.3) < 0.1
    shares = outcome_shares(new["a"])
    assert all(set(shares[s]) == {"complied", "attempted", "refused", "other"} for s in SHIFTS)
    assert abs(sum(shares[s]["other"] for s in SHIFTS) / len(SHIFTS) - 0.3) < 0.1
    page = outcomes_html({"a": shares})
    assert all(f'data-split="{s}"' in page for s in (*SPLITS, *SHIFTS))


def test_the_terminal_summary_shows_each_arm_and_every_verdict_line():
    from rich.console import Console

    from r1safe.study.summary import print_summary

    res = _results(0.9, 0.1)
    console = Console(record=True, width=300)
    print_summary(console, res)
    text = console.export_text()
    assert all(arm in text for arm in res["table"])
    assert f"{100 * res['table']['rl']['harm_id']['value']:.0f} [" in text
    assert all(line["text"][:40] in text.replace("\n", " ") for line in res["verdict"]["claims"])
