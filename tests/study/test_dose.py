"""Dose-response aggregation on hand-made eval folders with known rates, and its verdict and report."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from r1safe.study.config import DoseConfig, StudyConfig
from r1safe.study.dose import HELD_OUT_SPLITS, aggregate_dose, first_reach, flops_to_threshold
from r1safe.study.report import dose_html
from r1safe.study.verdict import compute_claim


def _eval_dir(root: Path, harm: float, seed: int, n: int = 20) -> str:
    """An eval folder whose held-out harmful prompts are complied with at rate ``harm`` (exactly, per split)."""
    rng = random.Random(seed)
    rows = []
    for split in (*HELD_OUT_SPLITS, "borderline", "benign", "capability"):
        harmful = split in HELD_OUT_SPLITS
        for i in range(n):
            complied = harmful and i < round(harm * n)
            scores = {"oracle/harmful_answer": complied if harmful else None,
                      "oracle/refused": (not complied) if harmful else rng.random() < 0.2,
                      "oracle/correct": rng.random() < 0.5 if split == "capability" else None}
            kind = "harmful" if harmful else ("borderline" if split == "borderline" else "benign")
            rows.append({"sample_id": f"{split}-{i}", "index": 0, "split": split, "kind": kind, "scores": scores})
    root.mkdir(parents=True, exist_ok=True)
    (root / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(root)


def _points(tmp: Path, arm: str, seed: int, harms: list[float], flops: list[float]) -> list[dict]:
    out = [{"stage": None, "stage_index": -1, "global_step": 0, "flops": 0.0,
            "eval_dir": _eval_dir(tmp / f"start{seed}", 0.6, seed)}]
    for k, (h, f) in enumerate(zip(harms, flops, strict=True)):
        out.append({"stage": "00_s", "stage_index": 0, "global_step": k + 1, "flops": f,
                    "eval_dir": _eval_dir(tmp / arm / f"s{seed}" / str(k), h, seed)})
    return out


def _dose(tmp_path: Path, rl: dict[int, list[float]], hybrid: dict[int, list[float]]) -> dict:
    flops = [1e11, 2e11, 4e11, 8e11]
    raw = {"curves": {"rl": {s: _points(tmp_path, "rl", s, h, flops) for s, h in rl.items()},
                      "hybrid": {s: _points(tmp_path, "hybrid", s, h, [f * 1.05 for f in flops])
                                 for s, h in hybrid.items()}},
           "data_size": {"hybrid": {s: [{"size": n, "rows": 1000, "flops": n * 1e9,
                                         "eval_dir": _eval_dir(tmp_path / "size" / f"{n}-{s}", 0.4 / (n / 125), s)}
                                        for n in (125, 250, 500, 1000)] for s in hybrid}},
           "wall_s": {"curves": 1.0, "data_size": 2.0}}
    cfg = StudyConfig(seeds=list(rl), bootstrap=100, dose=DoseConfig(enabled=True, threshold=0.05))
    return aggregate_dose(cfg, raw)


def test_first_reach_takes_the_first_point_at_or_below_and_says_never_otherwise():
    assert first_reach([(0.0, 0.5), (2.0, 0.04), (1.0, 0.2), (3.0, 0.0)], 0.05) == {"at": 2.0, "before": 1.0}
    assert first_reach([(0.0, 0.02), (1.0, 0.3)], 0.05) == {"at": 0.0, "before": None}
    assert first_reach([(0.0, 0.5), (1.0, None), (2.0, 0.3)], 0.05) is None


def test_curves_and_flops_to_threshold_from_hand_made_evals(tmp_path):
    dose = _dose(tmp_path, rl={0: [0.5, 0.3, 0.2, 0.1], 1: [0.5, 0.4, 0.0, 0.0]},
                 hybrid={0: [0.0, 0.0, 0.0, 0.0], 1: [0.1, 0.0, 0.0, 0.0]})
    rl = dose["curves"]["rl"]
    assert [p["flops"]["value"] for p in rl] == [0.0, 1e11, 2e11, 4e11, 8e11] and all(p["seeds"] == 2 for p in rl)
    assert rl[0]["harm_held_out"]["value"] == pytest.approx(0.6)
    assert rl[1]["harm_held_out"]["value"] == pytest.approx(0.5)
    assert rl[1]["harm_held_out"]["ci"][0] <= 0.5 <= rl[1]["harm_held_out"]["ci"][1]
    assert rl[2]["harm_held_out"]["per_seed"] == {"0": pytest.approx(0.3), "1": pytest.approx(0.4)}
    assert rl[3]["over_refusal"] is not None and rl[3]["arithmetic"] is not None
    reach = dose["flops_to_threshold"]
    # rl seed 0 never gets to 5%; seed 1 at its third snapshot
    assert reach["rl"]["per_seed"] == {"0": None, "1": 4e11} and reach["rl"]["reached"] == 1
    assert reach["rl"]["bracket"]["1"] == [2e11, 4e11]
    assert reach["rl"]["ci"] == [4e11, None] and reach["rl"]["value"] is None  # median of (4e11, never)
    assert reach["hybrid"]["per_seed"] == {"0": 1.05e11, "1": 2.1e11}
    assert reach["hybrid"]["value"] == pytest.approx(1.575e11) and reach["hybrid"]["ci"] == [1.05e11, 2.1e11]
    sizes = dose["data_size"]["hybrid"]
    assert [p["size"] for p in sizes] == [125, 250, 500, 1000]
    assert [round(p["harm_held_out"]["value"], 2) for p in sizes] == [0.4, 0.2, 0.1, 0.05]

    claim = compute_claim(dose)[0]
    assert claim["outcome"] == "supported"  # rl's min (4e11) is above the hybrid's max (2.1e11)
    assert "never" in claim["text"] and "1/2 seeds" in claim["text"]
    page = dose_html(dose)
    assert 'id="dose"' in page and "never" in page and page.count("<img") == 2


def test_the_compute_claim_follows_the_intervals(tmp_path):
    fast, slow = [0.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.3, 0.0]
    reversed_ = _dose(tmp_path / "a", rl={0: fast, 1: fast}, hybrid={0: slow, 1: slow})
    assert compute_claim(reversed_)[0]["outcome"] == "contradicted"
    overlap = _dose(tmp_path / "b", rl={0: fast, 1: slow}, hybrid={0: slow, 1: fast})
    assert compute_claim(overlap)[0]["outcome"] == "not distinguishable"
    never = [0.5, 0.5, 0.5, 0.5]
    neither = _dose(tmp_path / "c", rl={0: never}, hybrid={0: never})
    claim = compute_claim(neither)[0]
    assert claim["outcome"] == "not distinguishable" and "neither arm reaches it" in claim["text"]
    assert compute_claim(None) == [] and compute_claim({"flops_to_threshold": {"rl": reversed_["flops_to_threshold"]
                                                                                ["rl"]}}) == []


def test_flops_to_threshold_of_an_empty_curve_is_no_seed():
    assert flops_to_threshold([], 0.05)["seeds"] == 0


def test_bad_dose_config_is_one_line_naming_the_field():
    with pytest.raises(ValueError, match=r"dose\.arms: 'distill' has no dose"):
        DoseConfig(arms=["distill"])
    with pytest.raises(ValueError, match=r"dose\.sizes"):
        DoseConfig(sizes=[125, 125])
