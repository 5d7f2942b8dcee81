"""The study's dose-response on the micro gym: snapshot curves against FLOPs, the safety-data size dose,
resuming, and size arms trained in the pool. The study runs once (a fixture); each test reads one
behaviour."""

import json

import pytest
from micro_study import micro_study_config

from r1safe.study.config import DoseConfig
from r1safe.study.runner import run_study

_config = micro_study_config


@pytest.fixture(scope="module")
def dose_study(tmp_path_factory, micro_gym):
    tmp = tmp_path_factory.mktemp("dose")
    rows = sum(1 for _ in micro_gym.corpus("safety_sft").open())
    dose = DoseConfig(enabled=True, every_fraction=0.5, arms=["sft", "rl"], limit=2, samples=1, sizes=[8, rows],
                      size_arms=["sft"])
    cfg = _config(tmp).model_copy(update={"arms": ["base", "sft", "rl"], "dose": dose})
    results = run_study(cfg)
    saved = json.loads((tmp / "study" / "results.json").read_text())["dose"]
    return {"tmp": tmp, "cfg": cfg, "rows": rows, "results": results, "saved": saved}


@pytest.mark.slow
def test_dose_curves_grow_in_flops_to_the_arms_end_point(dose_study):
    saved, results = dose_study["saved"], dose_study["results"]
    assert saved == json.loads(json.dumps(results["dose"]))
    for arm in ("sft", "rl"):
        curve = saved["curves"][arm]
        flops = [p["flops"]["value"] for p in curve]
        assert flops[0] == 0.0 and flops == sorted(flops) and len(curve) >= 2
        assert flops[-1] == pytest.approx(results["table"][arm]["flops"]["value"], rel=1e-6)
        assert all(p["harm_held_out"] is not None for p in curve)
        assert set(saved["flops_to_threshold"][arm]) >= {"value", "ci", "per_seed", "reached"}


@pytest.mark.slow
def test_the_size_dose_trains_on_nested_subsets_outside_the_table(dose_study):
    sizes = dose_study["saved"]["data_size"]["sft"]
    rows = dose_study["rows"]
    assert [p["size"] for p in sizes] == [8, rows] and sizes[0]["flops"]["value"] < sizes[1]["flops"]["value"]
    subset = json.loads((dose_study["tmp"] / "study" / "arms" / "sft@8" / "seed0" / "train" / "stages" /
                         "00_safety_sft" / "manifest.json").read_text())
    assert subset["data"]["rows"] == 8
    assert "sft@8" not in dose_study["results"]["table"]
    assert 'id="dose"' in (dose_study["tmp"] / "study" / "report.html").read_text()


@pytest.mark.slow
def test_a_dose_rerun_trains_nothing(dose_study):
    again: list[str] = []
    second = run_study(dose_study["cfg"], progress=again.append)
    assert not any("training on" in m or "taking them" in m for m in again)
    assert second["dose"]["flops_to_threshold"] == dose_study["results"]["dose"]["flops_to_threshold"]


@pytest.mark.slow
def test_a_size_arm_in_the_pool_gives_the_dose_one_process_gives(dose_study):
    heard: list[str] = []
    cfg = dose_study["cfg"].model_copy(update={"out": str(dose_study["tmp"] / "pooled"), "jobs": 2})
    pooled = run_study(cfg, progress=heard.append)
    assert "1 seed, 1 size arm (3 groups of arms): 2 side by side" in heard
    assert any(m.startswith("[sft@8 s0] finished (") for m in heard)
    assert not any("[sft@8 s0] training on" in m for m in heard)  # not in this process: in the worker
    for key in ("curves", "data_size", "flops_to_threshold"):
        assert pooled["dose"][key] == dose_study["results"]["dose"][key], key


