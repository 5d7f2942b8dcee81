"""The whole study on the micro gym at toy length: the default arms train, evaluate, aggregate, resume and
spread over processes.

Each study runs once per module (a fixture) and the tests below read it one behaviour at a time;
whatever trains is marked ``slow``. The dose-response and the Goodhart section have their own files.
"""

import json
import re

import pytest
import yaml
from micro_study import measured, micro_study_config

from r1safe.errors import ConfigError
from r1safe.study.config import DoseConfig, GoodhartConfig
from r1safe.study.report import fmt_cell
from r1safe.study.runner import arm_groups, run_study, side_by_side_pieces
from r1safe.study.table import COLUMNS

_config = micro_study_config


# -- the default arms ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def study(tmp_path_factory, micro_gym):
    tmp = tmp_path_factory.mktemp("study")
    messages: list[str] = []
    results = run_study(_config(tmp), progress=messages.append)
    saved = json.loads((tmp / "study" / "results.json").read_text())
    return {"tmp": tmp, "out": tmp / "study", "results": results, "saved": saved, "messages": messages}


@pytest.mark.slow
def test_the_study_completes_every_default_arm(study):
    saved = study["saved"]
    assert saved["status"] == "complete" and saved["arms"] == ["base", "sft", "rl", "hybrid", "distill"]
    assert json.loads((study["out"] / "study.json").read_text())["status"] == "complete"
    assert saved["table"]["base"]["flops"]["value"] == 0.0
    assert saved["table"]["rl"]["flops"]["value"] > 0


@pytest.mark.slow
def test_distill_is_a_fresh_student_taught_by_its_seeds_hybrid(study):
    distilled = study["out"] / "arms" / "distill" / "seed0" / "train"
    as_run = yaml.safe_load((distilled / "recipe.yaml").read_text())
    assert as_run["stages"][0]["teacher"] == study["saved"]["runs"]["hybrid s0"]["model_dir"]
    assert json.loads((distilled / "run.json").read_text())["base_model"].endswith("student_init")


@pytest.mark.slow
def test_the_student_learns_only_from_seen_prompts(study):
    distilled = study["out"] / "arms" / "distill" / "seed0" / "train"
    taught = [json.loads(line) for line in (distilled / "stages" / "00_distill" / "accepted.jsonl")
              .read_text().splitlines() if line.strip()]
    heldout = study["saved"]["gym"]["heldout"]
    # the teacher answers train_prompts (seen-only, tests/gym/test_world.py); what the student learns from is too
    for row in taught:
        assert row["language"] == "en" and row["turns"] == 1 and row["category"] not in heldout["categories"]
        assert row["wrapper"] not in heldout["wrappers"]


@pytest.mark.slow
def test_the_report_shows_every_table_cell(study):
    page = (study["out"] / "report.html").read_text()
    for arm, cells in study["saved"]["table"].items():
        row = re.search(rf'<tr data-arm="{arm}">(.*?)</tr>', page).group(1)
        for col in COLUMNS:
            assert re.search(rf'<td data-key="{col.key}">(.*?)</td>', row).group(1) == fmt_cell(cells[col.key])
    assert "Sample transcripts" in page and "What the replies are" in page and "case by case" in page


@pytest.mark.slow
def test_the_verdict_and_transcripts_read_the_outcomes(study):
    saved = study["saved"]
    assert saved["verdict"]["axes"]
    assert not saved["notes"]  # no default arm reads the oracle
    for arm in saved["arms"]:
        shown = [t for ts in saved["transcripts"][arm].values() for t in ts]
        assert shown and all(t["outcome"] in ("complied", "attempted", "refused", "helpful", "other") for t in shown)
        assert set(saved["outcomes"][arm]["id"]) == {"complied", "attempted", "refused", "other"}
        assert abs(sum(saved["outcomes"][arm]["id"].values()) - 1) < 1e-9


@pytest.mark.slow
def test_a_rerun_skips_every_finished_arm(study):
    again: list[str] = []
    second = run_study(_config(study["tmp"]), progress=again.append)
    assert sum("skipped" in m for m in again) == 5
    assert second["table"] == study["results"]["table"]


@pytest.mark.slow
def test_a_seeds_arms_side_by_side_give_the_study_one_at_a_time_gives(study):
    heard: list[str] = []
    cfg = _config(study["tmp"]).model_copy(update={"out": str(study["tmp"] / "pooled"), "jobs": 2})
    pooled = run_study(cfg, progress=heard.append)
    assert "1 seed (4 groups of arms): 2 side by side" in heard  # after the gym, built before the pool
    assert sum("finished (" in m and m.endswith("/4)") for m in heard) == 4
    assert measured(pooled["table"]) == measured(study["results"]["table"])
    assert pooled["transcripts"] == study["results"]["transcripts"]
    assert list(pooled["runs"]) == list(study["results"]["runs"])


def test_arm_groups_keep_distill_after_its_teacher_longest_first(tmp_path):
    cfg = _config(tmp_path)
    assert arm_groups(cfg) == [["hybrid", "distill"], ["rl"], ["sft"], ["base"]]
    oracle = cfg.model_copy(update={"arms": ["base", "sft", "hybrid_oracle", "distill", "hybrid"]})
    assert arm_groups(oracle) == [["hybrid", "distill"], ["hybrid_oracle"], ["sft"], ["base"]]
    pooled = cfg.model_copy(update={"jobs": 2})
    assert list(side_by_side_pieces(pooled, tmp_path)) == ["hybrid+distill s0", "rl s0", "sft s0", "base s0"]


# -- a base model per seed -------------------------------------------------------------------------

@pytest.mark.slow
def test_each_seed_can_train_from_its_own_base_model(tmp_path, micro_gym):
    cfg = _config(tmp_path).model_copy(update={"arms": ["base"], "seeds": [0, 1], "base_per_seed": True})
    results = run_study(cfg)
    builds = results["gym"]["builds"]
    assert builds["0"] == micro_gym.config.digest() != builds["1"]
    assert [results["runs"][f"base s{s}"]["gym"] for s in (0, 1)] == [builds["0"], builds["1"]]
    assert results["runs"]["base s0"]["model_dir"] != results["runs"]["base s1"]["model_dir"]
    assert "One gym build per seed" in (tmp_path / "study" / "report.html").read_text()
    with pytest.raises(ConfigError, match="trained from gym build"):
        run_study(cfg.model_copy(update={"base_per_seed": False}))


def test_seeds_draw_their_own_gym_only_with_base_per_seed(tmp_path):
    cfg = _config(tmp_path).model_copy(update={"arms": ["base"], "seeds": [0, 1], "base_per_seed": True})
    assert cfg.gym_for(0) == cfg.gym and cfg.gym_for(1).seed == cfg.gym.seed + 1
    assert cfg.gym_for(1).world == cfg.gym.world
    shared = _config(tmp_path).model_copy(update={"seeds": [0, 1]})
    assert shared.gym_for(1) == shared.gym


def test_the_oracle_ablation_arm_is_named_and_seeds_draw_world_and_base(tmp_path):
    from r1safe.study.aggregate import oracle_uses

    cfg = _config(tmp_path).model_copy(update={"arms": ["base", "hybrid", "hybrid_oracle"]})
    notes = oracle_uses(cfg)
    assert len(notes) == 1 and notes[0].startswith("hybrid_oracle: stage rejection_sampling")
    fresh = _config(tmp_path).model_copy(update={"seeds": [9001, 9002], "base_per_seed": True})
    first_world = fresh.gym_for(9001).world.draw_seed
    assert first_world == fresh.gym.world.draw_seed + 9001 == fresh.gym_for(9002).world.draw_seed
    assert [fresh.gym_for(s).seed for s in (9001, 9002)] == [fresh.gym.seed + 9001, fresh.gym.seed + 9002]


# -- the pool --------------------------------------------------------------------------------------

def test_the_pool_lists_seeds_then_goodhart_runs_then_size_arms(tmp_path):
    cfg = _config(tmp_path).model_copy(update={
        "arms": ["base", "sft", "rl"], "seeds": [0, 1], "jobs": 2,
        "dose": DoseConfig(enabled=True, sizes=[8, 16], size_arms=["sft", "hybrid"]),
        "goodhart": GoodhartConfig(enabled=True, arms=["rl"], betas=[0.0])})
    assert list(side_by_side_pieces(cfg, tmp_path)) == [
        "seed 0", "seed 1", "goodhart rl β=0 s0", "goodhart rl β=0 s1",
        "sft@16 s0", "sft@8 s0", "sft@16 s1", "sft@8 s1"]  # hybrid is not an arm of this study: no size dose


@pytest.mark.slow
def test_seeds_side_by_side_give_the_study_one_at_a_time_gives(tmp_path, micro_gym):
    base = _config(tmp_path).model_copy(update={"arms": ["base", "sft"], "seeds": [0, 1]})
    alone = run_study(base.model_copy(update={"out": str(tmp_path / "alone")}), progress=lambda _m: None)
    heard: list[str] = []
    pooled = run_study(base.model_copy(update={"out": str(tmp_path / "pooled"), "jobs": 2}), progress=heard.append)
    assert heard[0] == "2 seeds: 2 side by side" and sum(m.startswith("[seed ") and "finished (" in m
                                                          for m in heard) == 2
    assert measured(pooled["table"]) == measured(alone["table"]) and pooled["transcripts"] == alone["transcripts"]
    assert list(pooled["runs"]) == list(alone["runs"]) == ["base s0", "sft s0", "base s1", "sft s1"]
