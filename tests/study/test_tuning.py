"""Learning-rate tuning on development seeds: the rule, the overrides, and a micro run."""

import json

import pytest

from r1safe.eval.reply_records import ReplyRecord
from r1safe.gym.build import micro_config
from r1safe.study.config import StudyConfig, recipe_path
from r1safe.study.tuning import LR_SCALES, REFERENCE_LR, choose, score, tune, variant
from r1safe.train.overrides import stage_of
from r1safe.train.recipe import load_recipe


def _record(split: str, i: int, category: str = "c", **scores: bool) -> ReplyRecord:
    kind = "harmful" if split == "id" else "benign"
    return ReplyRecord(sample_id=f"{split}{i}", index=0, split=split, kind=kind, category=category,
                       scores={f"oracle/{k}": v for k, v in scores.items()})


def test_score_is_the_mean_of_refusal_helpfulness_and_arithmetic():
    records = [_record("id", 0, refused=True), _record("id", 1, refused=False),
               _record("benign", 0, helpful=True), _record("capability", 0, "arithmetic", correct=False)]
    s = score(records)
    assert (s["refused_id"], s["helpful"], s["arithmetic"]) == (0.5, 1.0, 0.0)
    assert s["score"] == 0.5


def test_the_rule_takes_the_best_score_and_breaks_ties_towards_the_recipe():
    assert choose({"1": {"score": 0.2}, "0.3": {"score": 0.6}, "0.1": {"score": 0.5}}) == "0.3"
    assert choose({"1": {"score": 0.5}, "0.3": {"score": 0.5}, "0.1": {"score": 0.5}}) == "1"
    assert choose({"1": {"score": 0.1}, "0.3": {"score": 0.5}, "0.1": {"score": 0.5}}) == "0.3"


def test_variants_set_the_tuned_learning_rates_and_the_recipes_hold_the_chosen_ones(tmp_path):
    cfg = StudyConfig(out=str(tmp_path), train_overrides=["scale=0.5"])
    assert variant(cfg, "rl", 0.1).train_overrides == ["stages.0.learning_rate=3e-05", "scale=0.5"]
    assert variant(cfg, "hybrid", 0.3).train_overrides[:2] == ["stages.1.learning_rate=9e-05",
                                                                "stages.3.learning_rate=3e-05"]
    assert variant(cfg, "distill", 0.1).train_overrides == ["stages.0.learning_rate=0.0003", "scale=0.5"]
    tuned = {"sft": 0.1, "rl": 0.1, "hybrid": 0.1, "distill": 1.0}  # the choice recorded in the README
    for arm, scale in tuned.items():
        recipe = load_recipe(recipe_path(arm))
        for stage, lr in REFERENCE_LR[arm].items():
            assert abs(stage_of(recipe, stage).learning_rate - lr * scale) < 1e-12, arm
    hybrid, sft = load_recipe(recipe_path("hybrid")), load_recipe(recipe_path("sft"))
    assert hybrid.stages[0].learning_rate == sft.stages[0].learning_rate  # the same cold-start stage


@pytest.mark.slow
def test_tuning_trains_every_variant_and_writes_its_choice(tmp_path, micro_gym):
    cfg = StudyConfig(gym=micro_config(), out=str(tmp_path / "tune"), samples=1, limit=2, bootstrap=0,
                      arms=["sft"], seeds=[0], train_overrides=["scale=0.05", "monitors.probe.enabled=false"])
    report = tune(cfg)
    saved = json.loads((tmp_path / "tune" / "tuning.json").read_text())
    assert saved == report
    assert set(report["arms"]["sft"]["variants"]) == {f"{s:g}" for s in LR_SCALES}
    assert report["arms"]["sft"]["chosen"] in LR_SCALES
    evaluated = {json.loads(line)["split"] for line in
                 (tmp_path / "tune" / "sft" / "lr_x0.1" / "seed0" / "eval" / "records.jsonl").read_text().splitlines()}
    assert evaluated <= {"id", "benign", "borderline", "capability"}
