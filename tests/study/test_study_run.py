"""The whole study on the micro gym at toy length: arms train, evaluate, aggregate and resume."""

import json
import math
import re

import pytest
import yaml

from r1safe.errors import ConfigError
from r1safe.gym.build import micro_config
from r1safe.study.config import StudyConfig
from r1safe.study.report import fmt_cell
from r1safe.study.runner import run_study
from r1safe.study.table import COLUMNS


def _config(tmp_path):
    return StudyConfig(
        gym=micro_config(), out=str(tmp_path / "study"), samples=1, limit=2, bootstrap=50,
        train_overrides=["scale=0.05", "monitors.probe.per_split=1", "monitors.probe.max_new_tokens=24"],
    )


def test_micro_study_runs_end_to_end_and_resumes(tmp_path, micro_gym):
    cfg = _config(tmp_path)
    messages: list[str] = []
    results = run_study(cfg, progress=messages.append)
    out = tmp_path / "study"
    saved = json.loads((out / "results.json").read_text())
    assert saved["status"] == "complete" and saved["arms"] == ["base", "sft", "rl", "hybrid", "distill"]
    assert json.loads((out / "study.json").read_text())["status"] == "complete"
    assert saved["table"]["base"]["flops"]["value"] == 0.0
    assert saved["table"]["rl"]["flops"]["value"] > 0
    distilled = out / "arms" / "distill" / "seed0" / "train"
    as_run = yaml.safe_load((distilled / "recipe.yaml").read_text())
    assert as_run["stages"][0]["teacher"] == saved["runs"]["hybrid s0"]["model_dir"]  # this seed's hybrid teaches
    assert json.loads((distilled / "run.json").read_text())["base_model"].endswith("student_init")  # a fresh student
    taught = [json.loads(line) for line in (distilled / "stages" / "00_distill" / "accepted.jsonl")
              .read_text().splitlines() if line.strip()]
    heldout = saved["gym"]["heldout"]
    # the teacher answers train_prompts (seen-only, tests/gym/test_world.py); what the student learns from is too
    for row in taught:
        assert row["language"] == "en" and row["turns"] == 1 and row["category"] not in heldout["categories"]
        assert row["wrapper"] not in heldout["wrappers"]
    page = (out / "report.html").read_text()
    for arm, cells in saved["table"].items():
        row = re.search(rf'<tr data-arm="{arm}">(.*?)</tr>', page).group(1)
        for col in COLUMNS:
            assert re.search(rf'<td data-key="{col.key}">(.*?)</td>', row).group(1) == fmt_cell(cells[col.key])
    assert saved["verdict"]["axes"]
    assert not saved["notes"]  # no default arm reads the oracle
    for arm in saved["arms"]:
        shown = [t for ts in saved["transcripts"][arm].values() for t in ts]
        assert shown and all(t["outcome"] in ("complied", "attempted", "refused", "helpful", "other") for t in shown)
        assert set(saved["outcomes"][arm]["id"]) == {"complied", "attempted", "refused", "other"}
        assert abs(sum(saved["outcomes"][arm]["id"].values()) - 1) < 1e-9
    assert "Sample transcripts" in page and "What the replies are" in page and "case by case" in page

    again: list[str] = []
    second = run_study(cfg, progress=again.append)
    assert sum("skipped" in m for m in again) == 5
    assert second["table"] == results["table"]


def test_each_seed_can_train_from_its_own_base_model(tmp_path, micro_gym):
    cfg = _config(tmp_path).model_copy(update={"arms": ["base"], "seeds": [0, 1], "base_per_seed": True})
    assert cfg.gym_for(0) == cfg.gym and cfg.gym_for(1).seed == cfg.gym.seed + 1
    assert cfg.gym_for(1).world == cfg.gym.world
    results = run_study(cfg)
    builds = results["gym"]["builds"]
    assert builds["0"] == micro_gym.config.digest() != builds["1"]
    assert [results["runs"][f"base s{s}"]["gym"] for s in (0, 1)] == [builds["0"], builds["1"]]
    assert results["runs"]["base s0"]["model_dir"] != results["runs"]["base s1"]["model_dir"]
    assert "One gym build per seed" in (tmp_path / "study" / "report.html").read_text()
    shared = _config(tmp_path).model_copy(update={"seeds": [0, 1]})
    assert shared.gym_for(1) == shared.gym
    with pytest.raises(ConfigError, match="trained from gym build"):
        run_study(cfg.model_copy(update={"base_per_seed": False}))


def test_the_oracle_ablation_arm_is_named_and_seeds_draw_world_and_base(tmp_path):
    from r1safe.study.aggregate import oracle_uses

    cfg = _config(tmp_path).model_copy(update={"arms": ["base", "hybrid", "hybrid_oracle"]})
    notes = oracle_uses(cfg)
    assert len(notes) == 1 and notes[0].startswith("hybrid_oracle: stage rejection_sampling")
    fresh = _config(tmp_path).model_copy(update={"seeds": [9001, 9002], "base_per_seed": True})
    first_world = fresh.gym_for(9001).world.draw_seed
    assert first_world == fresh.gym.world.draw_seed + 9001 == fresh.gym_for(9002).world.draw_seed
    assert [fresh.gym_for(s).seed for s in (9001, 9002)] == [fresh.gym.seed + 9001, fresh.gym.seed + 9002]


def test_a_study_with_the_dose_draws_curves_and_a_size_dose_and_resumes(tmp_path, micro_gym):
    from r1safe.study.config import DoseConfig

    rows = sum(1 for _ in micro_gym.corpus("safety_sft").open())
    dose = DoseConfig(enabled=True, every_fraction=0.5, arms=["sft", "rl"], limit=2, samples=1, sizes=[8, rows],
                      size_arms=["sft"])
    cfg = _config(tmp_path).model_copy(update={"arms": ["base", "sft", "rl"], "dose": dose})
    results = run_study(cfg)
    saved = json.loads((tmp_path / "study" / "results.json").read_text())["dose"]
    assert saved == json.loads(json.dumps(results["dose"]))
    for arm in ("sft", "rl"):
        curve = saved["curves"][arm]
        flops = [p["flops"]["value"] for p in curve]
        assert flops[0] == 0.0 and flops == sorted(flops) and len(curve) >= 2
        assert flops[-1] == pytest.approx(results["table"][arm]["flops"]["value"], rel=1e-6)
        assert all(p["harm_held_out"] is not None for p in curve)
        assert set(saved["flops_to_threshold"][arm]) >= {"value", "ci", "per_seed", "reached"}
    sizes = saved["data_size"]["sft"]
    assert [p["size"] for p in sizes] == [8, rows] and sizes[0]["flops"]["value"] < sizes[1]["flops"]["value"]
    subset = json.loads((tmp_path / "study" / "arms" / "sft@8" / "seed0" / "train" / "stages" / "00_safety_sft" /
                         "manifest.json").read_text())
    assert subset["data"]["rows"] == 8
    assert "sft@8" not in results["table"]
    assert 'id="dose"' in (tmp_path / "study" / "report.html").read_text()

    again: list[str] = []
    second = run_study(cfg, progress=again.append)
    assert not any("training on" in m or "taking them" in m for m in again)
    assert second["dose"]["flops_to_threshold"] == results["dose"]["flops_to_threshold"]

    # with jobs, the size arm trains in a worker beside the seed, and the dose finds it finished
    heard: list[str] = []
    pooled = run_study(cfg.model_copy(update={"out": str(tmp_path / "pooled"), "jobs": 2}), progress=heard.append)
    assert heard[0] == "1 seed, 1 size arm: 2 side by side"
    assert any(m.startswith("[sft@8 s0] finished (") for m in heard)
    assert not any("[sft@8 s0] training on" in m for m in heard)  # not in this process: in the worker
    for key in ("curves", "data_size", "flops_to_threshold"):
        assert pooled["dose"][key] == results["dose"][key], key


def test_a_study_with_goodhart_curves_fits_plots_and_resumes(tmp_path, micro_gym):
    from r1safe.study.config import GoodhartConfig

    goodhart = GoodhartConfig(enabled=True, betas=[0.0, 0.04], steps_factor=1.0, probe_every=2, probe_per_split=1,
                              bon_n=4, bon_splits=["id", "benign"], bon_per_split=2)
    cfg = _config(tmp_path).model_copy(update={"arms": ["base"], "goodhart": goodhart})
    results = run_study(cfg, progress=lambda _m: None)
    g = json.loads((tmp_path / "study" / "results.json").read_text())["goodhart"]
    assert g == json.loads(json.dumps(results["goodhart"]))
    # one curve per GRPO stage: RL alone has one, the hybrid two; each starts at the stage's own start
    stages = sorted({(r["arm"], r["stage"], r["beta"]) for r in g["runs"].values()})
    assert [(a, b) for a, _, b in stages].count(("rl", 0.0)) == 1
    assert [(a, b) for a, _, b in stages].count(("hybrid", 0.04)) == 2
    for key, curve in g["curves"].items():
        assert abs(curve[0]["kl_init"]) < 1e-4 and len(curve) >= 2, key
        assert [p["step"] for p in curve] == sorted(p["step"] for p in curve)
    # best-of-n from each start: n = 1, 2, 4 with KL_bon = log n - (n-1)/n
    rows = g["bon"]["base"]["0"]
    assert [r["n"] for r in rows] == [1, 2, 4] and rows[0]["kl"] == 0.0
    assert abs(rows[2]["kl"] - (math.log(4) - 3 / 4)) < 1e-12
    assert set(g["bon"]) == {"base", "hybrid cold start"}
    table = g["table"]
    assert {r["optimizer"] for r in table} == {"RL", "best-of-n"}
    for r in table:
        assert r["alpha_ci"][0] <= r["alpha"] <= r["alpha_ci"][1] or r["runs"] == 1
    assert all(t["outcome"] in ("complied", "attempted", "refused", "helpful", "other")
               for ts in g["transcripts"].values() for t in ts)
    claim = [c for c in results["verdict"]["claims"] if "Goodhart" in c["text"]]
    assert len(claim) == 1 and "of 2 RL-alone runs" in claim[0]["text"]
    page = (tmp_path / "study" / "report.html").read_text()
    assert 'id="goodhart"' in page and page.count('alt="Goodhart curves') == 2

    # an arm evaluated before a split was added to the world: the rerun evaluates only that split
    evaldir = tmp_path / "study" / "arms" / "base" / "seed0" / "eval"
    added = {json.loads(line)["id"] for line in (evaldir / "samples.jsonl").read_text().splitlines()
             if json.loads(line)["split"] == "code_switch"}
    for name in ("records.jsonl", "generations.jsonl", "judgements.jsonl", "samples.jsonl"):
        lines = (evaldir / name).read_text().splitlines()
        kept = [line for line in lines if not any(f'"{i}"' in line for i in added)]
        assert len(kept) < len(lines)
        (evaldir / name).write_text("".join(line + "\n" for line in kept))
    again: list[str] = []
    second = run_study(cfg, progress=again.append)
    assert sum("done before, skipped" in m for m in again) == 4  # the 4 Goodhart runs
    assert any(m.endswith("evaluating the splits added since: code_switch") for m in again)
    assert second["goodhart"]["runs"] == results["goodhart"]["runs"]
    assert second["table"]["base"] == results["table"]["base"]
    # a finished Goodhart run is never reused for other settings
    longer = cfg.model_copy(update={"goodhart": goodhart.model_copy(update={"steps_factor": 2.0})})
    with pytest.raises(ConfigError, match=r"run\.json: trained with other settings .*stages\.0\.max_steps=100"):
        run_study(longer, progress=lambda _m: None)


def test_goodhart_runs_side_by_side_give_what_one_at_a_time_gives(tmp_path, micro_gym):
    from r1safe.study.config import GoodhartConfig
    from r1safe.study.goodhart_runs import train_runs
    from r1safe.study.runner import side_by_side_pieces
    from r1safe.study.workers import run_side_by_side

    goodhart = GoodhartConfig(enabled=True, arms=["rl"], betas=[0.0, 0.04], steps_factor=1.0, probe_every=2,
                              probe_per_split=1, bon_n=1)
    cfg = _config(tmp_path).model_copy(update={"goodhart": goodhart})
    alone = train_runs(cfg, {0: micro_gym}, tmp_path / "alone", lambda _m: None)
    # the study's pool trains them in worker processes; its Goodhart section then finds them finished
    pool_cfg = cfg.model_copy(update={"jobs": 2, "out": str(tmp_path / "pooled")})
    pieces = {k: v for k, v in side_by_side_pieces(pool_cfg, tmp_path / "pooled").items() if k.startswith("goodhart")}
    heard: list[str] = []
    pooled = run_side_by_side(pieces, 2, lambda key, k, n: heard.append(f"[{key}] finished ({k}/{n})"))
    assert list(pooled) == [f"goodhart {label}" for label in alone] == ["goodhart rl β=0 s0", "goodhart rl β=0.04 s0"]
    for label, info in alone.items():
        assert pooled[f"goodhart {label}"]["curve"] == info["curve"], label  # seeded: the same curve in a worker
        assert pooled[f"goodhart {label}"]["transcripts"] == info["transcripts"]
    assert sum("finished (" in m for m in heard) == 2
    assert all((tmp_path / "pooled" / "goodhart" / "rl" / f"beta{b}" / "seed0" / "run.json").is_file()
               for b in ("0", "0.04"))
    again: list[str] = []
    read = train_runs(pool_cfg, {0: micro_gym}, tmp_path / "pooled" / "goodhart", again.append)
    assert sum("done before, skipped" in m for m in again) == 2
    assert {label: info["curve"] for label, info in read.items()} == {
        label: info["curve"] for label, info in alone.items()}


def test_the_pool_lists_seeds_then_goodhart_runs_then_size_arms(tmp_path):
    from r1safe.study.config import DoseConfig, GoodhartConfig
    from r1safe.study.runner import side_by_side_pieces

    cfg = _config(tmp_path).model_copy(update={
        "arms": ["base", "sft", "rl"], "seeds": [0, 1], "jobs": 2,
        "dose": DoseConfig(enabled=True, sizes=[8, 16], size_arms=["sft", "hybrid"]),
        "goodhart": GoodhartConfig(enabled=True, arms=["rl"], betas=[0.0])})
    assert list(side_by_side_pieces(cfg, tmp_path)) == [
        "seed 0", "seed 1", "goodhart rl β=0 s0", "goodhart rl β=0 s1",
        "sft@16 s0", "sft@8 s0", "sft@16 s1", "sft@8 s1"]  # hybrid is not an arm of this study: no size dose


def test_seeds_side_by_side_give_the_study_one_at_a_time_gives(tmp_path, micro_gym):
    base = _config(tmp_path).model_copy(update={"arms": ["base", "sft"], "seeds": [0, 1]})
    alone = run_study(base.model_copy(update={"out": str(tmp_path / "alone")}), progress=lambda _m: None)
    heard: list[str] = []
    pooled = run_study(base.model_copy(update={"out": str(tmp_path / "pooled"), "jobs": 2}), progress=heard.append)
    assert heard[0] == "2 seeds: 2 side by side" and sum(m.startswith("[seed ") and "finished (" in m
                                                          for m in heard) == 2
    def measured(table):  # everything but the wall time
        return {arm: {k: v for k, v in cells.items() if k != "wall_s"} for arm, cells in table.items()}

    assert measured(pooled["table"]) == measured(alone["table"]) and pooled["transcripts"] == alone["transcripts"]
    assert list(pooled["runs"]) == list(alone["runs"]) == ["base s0", "sft s0", "base s1", "sft s1"]
