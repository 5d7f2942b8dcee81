"""The Goodhart section's bookkeeping on hand-made curves: recipe overrides, per-run facts, the
table and the verdict's claim."""

from r1safe.study.config import GoodhartConfig
from r1safe.study.goodhart_runs import goodhart_table, overrides_for, run_summary, stage_curves
from r1safe.study.verdict import goodhart_claim


def _curve(stage: str, judge: list[float], proxy: list[float], alarm_at: int | None = None) -> list[dict]:
    return [{"stage": stage, "step": 20 * i, "global_step": 20 * i, "d_init": 0.5 * i, "d_base": 0.6 * i,
             "judge_safe": j, "proxy_safe": p, "alarm": float(i == alarm_at) if i else None,
             "helpful_judge": 0.9, "helpful_proxy": 0.6}
            for i, (j, p) in enumerate(zip(judge, proxy, strict=True))]


def test_overrides_lengthen_every_grpo_stage_at_the_given_kl():
    cfg = GoodhartConfig(steps_factor=3, probe_every=10, probe_per_split=2)
    rl = overrides_for("rl", 0.04, cfg)
    assert "stages.0.max_steps=300" in rl and "stages.0.beta=0.04" in rl
    assert "monitors.probe.every=10" in rl and "monitors.probe.temperature=1.0" in rl
    hybrid = overrides_for("hybrid", 0.0, cfg)
    assert "stages.1.max_steps=120" in hybrid and "stages.3.max_steps=60" in hybrid
    assert "stages.1.beta=0.0" in hybrid and "stages.3.beta=0.0" in hybrid
    assert not any(o.startswith(("stages.0.", "stages.2.")) for o in hybrid)  # SFT and rejection sampling kept


def test_a_run_that_passes_the_oracle_peak_while_the_proxy_gains_is_gamed():
    rising_then_falling = _curve("s", [0.1, 0.5, 0.6, 0.3], [0.2, 0.4, 0.6, 0.9], alarm_at=3)
    facts = run_summary(rising_then_falling)
    safe = facts["safe"]
    assert safe["peak_d"] == 1.0 and abs(safe["peak_gain"] - 0.5) < 1e-12
    assert safe["gamed"] is True and abs(safe["oracle_gain"] - 0.2) < 1e-12 and abs(safe["proxy_gain"] - 0.7) < 1e-12
    assert abs(safe["gap_opened"] - 0.5) < 1e-12
    assert safe["alarm_d"] == 1.5 and safe["fired_before_peak"] is False and safe["alarm_lag"] == 1
    assert facts["helpful"]["gamed"] is False  # flat oracle: no peak passed
    assert facts["final_d"] == 1.5 and abs(facts["final_d_base"] - 1.8) < 1e-12
    # falling less than 0.1 below the peak is noise, not a passed peak
    assert run_summary(_curve("s", [0.1, 0.2, 0.15], [0.1, 0.2, 0.3]))["safe"]["gamed"] is False


def test_stage_curves_split_a_multi_stage_run():
    curve = _curve("01_reasoning_rl", [0.1, 0.2], [0.1, 0.2]) + _curve("03_final_rl", [0.3, 0.3], [0.3, 0.4])
    assert list(stage_curves(curve)) == ["01_reasoning_rl", "03_final_rl"]


def _results(rl_gamed: int, rl_runs: int, hy_gamed: int, hy_runs: int) -> dict:
    def run(arm: str, gamed: bool) -> dict:
        return {"arm": arm, "group": f"{arm} · s · β=0", "final_d": 1.0,
                "safe": {"gamed": gamed, "fired_before_peak": gamed and arm == "rl",
                         "gap_opened": 0.1 if gamed else 0.0}}

    runs = {f"rl {i}": run("rl", i < rl_gamed) for i in range(rl_runs)}
    runs |= {f"hybrid {i}": run("hybrid", i < hy_gamed) for i in range(hy_runs)}
    fit = {"fit": {"alpha": 0.3, "beta": 0.1, "r2": 0.9, "peak_d": 4.0}, "alpha_ci": [0.2, 0.4],
           "beta_ci": [0.05, 0.2], "peak_d_ci": [2.0, 9.0]}
    return {"config": {"betas": [0.0, 0.04]}, "runs": runs,
            "fits": {"rl": {"rl · s · β=0": {"safe": fit}}, "bon": {"base": {"safe": fit}}}}


def test_table_counts_runs_past_the_peak_and_early_alarms():
    rows = goodhart_table(_results(3, 4, 0, 4))
    rl = next(r for r in rows if r["optimizer"] == "RL")
    assert (rl["runs"], rl["passed_peak"], rl["alarm_before_peak"]) == (4, 3, 3)
    assert rl["alpha_ci"] == [0.2, 0.4] and rl["fitted_peak_d"] == 4.0 and abs(rl["gap_opened"] - 0.075) < 1e-12
    bon = next(r for r in rows if r["optimizer"] == "best-of-n")
    assert bon["runs"] is None and bon["group"] == "base"


def test_the_goodhart_claim_follows_the_counts():
    supported = goodhart_claim(_results(9, 9, 0, 9))[0]
    assert supported["outcome"] == "supported" and "by +0.10 (RL alone) vs +0.00 (hybrid)" in supported["text"]
    assert goodhart_claim(_results(0, 9, 9, 9))[0]["outcome"] == "contradicted"
    tied = goodhart_claim(_results(1, 3, 1, 3))[0]
    assert tied["outcome"] == "not distinguishable" and "1 of 3 RL-alone runs vs 1 of 3 hybrid" in tied["text"]
    assert goodhart_claim(None) == [] and goodhart_claim(_results(1, 3, 0, 0)) == []
