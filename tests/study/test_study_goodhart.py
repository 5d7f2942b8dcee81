"""The study's Goodhart section on the micro gym: long GRPO runs at several KL coefficients, best-of-n, the
fits, the report, resuming, and runs trained in the pool. The study runs once (a fixture); each test
reads one behaviour."""

import json
import math

import pytest
from micro_study import micro_study_config

from r1safe.errors import ConfigError
from r1safe.study.config import GoodhartConfig
from r1safe.study.runner import run_study, side_by_side_pieces

_config = micro_study_config


GOODHART = GoodhartConfig(enabled=True, betas=[0.0, 0.04], steps_factor=1.0, probe_every=2, probe_per_split=1,
                          bon_n=4, bon_splits=["id", "benign"], bon_per_split=2)


@pytest.fixture(scope="module")
def goodhart_study(tmp_path_factory, micro_gym):
    tmp = tmp_path_factory.mktemp("goodhart")
    cfg = _config(tmp)
    # At the recipe's rate five micro steps barely move the policy: the probe's KL estimate is noise of either
    # sign and no RL curve can be fitted. RL alone's stage (stage 0) learns faster here, so its curves can.
    cfg = cfg.model_copy(update={"arms": ["base"], "goodhart": GOODHART,
                                 "train_overrides": [*cfg.train_overrides, "stages.0.learning_rate=1e-3"]})
    results = run_study(cfg, progress=lambda _m: None)
    saved = json.loads((tmp / "study" / "results.json").read_text())["goodhart"]
    return {"tmp": tmp, "cfg": cfg, "results": results, "saved": saved}


@pytest.mark.slow
def test_goodhart_curves_are_one_per_grpo_stage_from_its_own_start(goodhart_study):
    g = goodhart_study["saved"]
    assert g == json.loads(json.dumps(goodhart_study["results"]["goodhart"]))
    stages = sorted({(r["arm"], r["stage"], r["beta"]) for r in g["runs"].values()})
    assert [(a, b) for a, _, b in stages].count(("rl", 0.0)) == 1  # RL alone has one GRPO stage
    assert [(a, b) for a, _, b in stages].count(("hybrid", 0.04)) == 2  # the hybrid two
    for key, curve in g["curves"].items():
        assert abs(curve[0]["kl_init"]) < 1e-4 and len(curve) >= 2, key
        assert [p["step"] for p in curve] == sorted(p["step"] for p in curve)


@pytest.mark.slow
def test_best_of_n_runs_from_each_start_with_its_kl(goodhart_study):
    g = goodhart_study["saved"]
    rows = g["bon"]["base"]["0"]  # n = 1, 2, 4 with KL_bon = log n - (n-1)/n
    assert [r["n"] for r in rows] == [1, 2, 4] and rows[0]["kl"] == 0.0
    assert abs(rows[2]["kl"] - (math.log(4) - 3 / 4)) < 1e-12
    assert set(g["bon"]) == {"base", "hybrid cold start"}


@pytest.mark.slow
def test_goodhart_fits_transcripts_claim_and_plots(goodhart_study):
    g, results = goodhart_study["saved"], goodhart_study["results"]
    table = g["table"]
    assert {r["optimizer"] for r in table} == {"RL", "best-of-n"}
    for r in table:
        assert r["alpha_ci"][0] <= r["alpha"] <= r["alpha_ci"][1] or r["runs"] == 1
    assert all(t["outcome"] in ("complied", "attempted", "refused", "helpful", "other")
               for ts in g["transcripts"].values() for t in ts)
    claim = [c for c in results["verdict"]["claims"] if "Goodhart" in c["text"]]
    assert len(claim) == 1 and "of 2 RL-alone runs" in claim[0]["text"]
    page = (goodhart_study["tmp"] / "study" / "report.html").read_text()
    assert 'id="goodhart"' in page and page.count('alt="Goodhart curves') == 2


@pytest.mark.slow
def test_a_rerun_evaluates_only_the_splits_added_since(goodhart_study):
    cfg, results = goodhart_study["cfg"], goodhart_study["results"]
    evaldir = goodhart_study["tmp"] / "study" / "arms" / "base" / "seed0" / "eval"
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


@pytest.mark.slow
def test_a_finished_goodhart_run_is_never_reused_for_other_settings(goodhart_study):
    longer = goodhart_study["cfg"].model_copy(update={"goodhart": GOODHART.model_copy(update={"steps_factor": 2.0})})
    with pytest.raises(ConfigError, match=r"run\.json: trained with other settings .*stages\.0\.max_steps=100"):
        run_study(longer, progress=lambda _m: None)


@pytest.mark.slow
def test_goodhart_runs_side_by_side_give_what_one_at_a_time_gives(tmp_path, micro_gym):
    from r1safe.study.goodhart_runs import train_runs
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


