"""Gao et al.'s forms: exact recovery, noise, peaks, bootstrap intervals, and the alarm's position."""

from __future__ import annotations

import math

import numpy as np
import pytest

from r1safe.study.goodhart import (
    alarm_position,
    bootstrap_fit,
    empirical_peak,
    fit_bon,
    fit_rl,
    gains,
)

D = np.linspace(0.05, 3.0, 25)


def rl(d, alpha, beta):
    return d * (alpha - beta * np.log(d))


def bon(d, alpha, beta):
    return d * (alpha - beta * d)


def test_noiseless_points_give_back_alpha_and_beta_exactly():
    f = fit_rl(D, rl(D, 0.8, 0.5))
    assert f.alpha == pytest.approx(0.8, abs=1e-10) and f.beta == pytest.approx(0.5, abs=1e-10)
    assert f.r2 == pytest.approx(1.0) and f.n_points == 25
    g = fit_bon(D, bon(D, 0.6, 0.2))
    assert g.alpha == pytest.approx(0.6, abs=1e-10) and g.beta == pytest.approx(0.2, abs=1e-10)
    assert np.allclose(g.predict(D), bon(D, 0.6, 0.2))


def test_the_start_point_d0_counts_as_R0_and_rl_shape_is_defined_there():
    d = np.concatenate([[0.0], D])
    f = fit_rl(d, np.concatenate([[0.0], rl(D, 0.3, 0.4)]))
    assert f.alpha == pytest.approx(0.3) and f.n_points == 26 and f.predict([0.0])[0] == 0.0


def test_noisy_points_land_within_tolerance():
    rng = np.random.default_rng(1)
    d = np.tile(D, 8)
    f = fit_rl(d, rl(d, 0.8, 0.5) + rng.normal(0, 0.02, d.size))
    assert abs(f.alpha - 0.8) < 0.03 and abs(f.beta - 0.5) < 0.03 and f.r2 > 0.9


def test_peak_formulas():
    f = fit_rl(D, rl(D, 0.8, 0.5))
    assert f.peak_d == pytest.approx(math.exp(0.8 / 0.5 - 1)) and f.peak_value == pytest.approx(0.5 * f.peak_d)
    assert f.peak_value == pytest.approx(rl(np.array([f.peak_d]), 0.8, 0.5)[0])
    g = fit_bon(D, bon(D, 0.6, 0.2))
    assert g.peak_d == pytest.approx(1.5) and g.peak_value == pytest.approx(0.6 * 1.5 - 0.2 * 1.5**2)
    rising = fit_rl(D, rl(D, 0.8, -0.1))
    assert rising.peak_d is None and rising.peak_value is None
    falling = fit_bon(D, bon(D, -0.2, 0.3))
    assert falling.peak_d == 0.0 and falling.peak_value == 0.0


def test_a_fit_needs_two_points_past_the_start():
    with pytest.raises(ValueError, match="two points"):
        fit_rl([0.0, 0.5], [0.0, 0.1])


def test_bootstrap_over_runs_and_over_points_brackets_the_truth():
    rng = np.random.default_rng(0)
    runs = [(D, rl(D, 0.8, 0.5) + rng.normal(0, 0.03, D.size)) for _ in range(4)]
    b = bootstrap_fit(runs, "rl", n_boot=300, seed=0)
    assert b.unit == "runs" and b.n_boot == 300 and b.peak_share == 1.0
    assert b.alpha_ci[0] <= b.fit.alpha <= b.alpha_ci[1] and b.alpha_ci[0] < 0.8 < b.alpha_ci[1]
    assert b.peak_d_ci is not None and b.peak_d_ci[0] < b.fit.peak_d < b.peak_d_ci[1]
    one = bootstrap_fit(runs[:1], "bon", n_boot=200, seed=0)
    assert one.unit == "points" and one.beta_ci[0] <= one.fit.beta <= one.beta_ci[1]
    again = [bootstrap_fit(runs, "rl", n_boot=50, seed=3).alpha_ci for _ in range(2)]
    assert again[0] == again[1]


def test_empirical_peak_and_gains():
    assert empirical_peak([0.0, 0.5, 1.0, 1.5], [0.0, 0.3, 0.3, 0.1]) == (0.5, 0.3)
    assert empirical_peak([], []) is None
    curve = [{"d_init": 0.0, "judge_safe": 0.4}, {"d_init": 0.3, "judge_safe": None},
             {"d_init": 0.5, "judge_safe": 0.7}]
    assert gains(curve, "judge_safe") == ([0.0, 0.5], [0.0, pytest.approx(0.3)])


def _curve(judge, alarm, since=None):
    since = since or [None] * len(judge)
    return [{"global_step": 10 * i, "d_init": 0.1 * i, "judge_safe": j, "alarm": a, "alarm_since_start": s}
            for i, (j, a, s) in enumerate(zip(judge, alarm, since, strict=True))]


def test_alarm_before_the_peak_is_passed():
    pos = alarm_position(_curve([0.2, 0.5, 0.4, 0.8, 0.3], [None, 0, 1, 0, 1]))
    assert pos.fired_before_peak is True and pos.alarm_d == pytest.approx(0.2) and pos.alarm_step == 20
    assert pos.peak_d == pytest.approx(0.3) and pos.peak_step == 30 and pos.lag == -1


def test_alarm_after_the_peak_is_passed_and_alarm_since_start_counts():
    pos = alarm_position(_curve([0.2, 0.8, 0.5, 0.1], [None, 0, 0, 0], [None, 0, 0, 1]))
    assert pos.fired_before_peak is False and pos.alarm_d == pytest.approx(0.3) and pos.lag == 2


def test_no_alarm_or_no_peak_passed_is_none():
    never = alarm_position(_curve([0.2, 0.8, 0.5], [None, 0, 0]))
    assert never.fired_before_peak is None and never.alarm_d is None and never.peak_d == pytest.approx(0.1)
    rising = alarm_position(_curve([0.2, 0.1, 0.8], [None, 1, 0]))
    assert rising.fired_before_peak is None and rising.alarm_d == pytest.approx(0.1) and rising.peak_d is None
    helpful = [{"d_init": 0.0, "helpful_judge": 0.9}, {"d_init": 0.2, "helpful_judge": 0.5, "helpful_alarm": 1.0}]
    pos = alarm_position(helpful, oracle="helpful_judge", alarms=("helpful_alarm",))
    assert pos.fired_before_peak is False and pos.lag == 1


def test_the_goodhart_figure_is_a_png():
    from r1safe.study.plots import goodhart

    curve = [{"d_init": float(x), "judge_safe": float(y), "proxy_safe": float(y) + x / 2, "helpful_judge": 0.5,
              "helpful_proxy": 0.5 + x / 4} for x, y in zip(D[:6], rl(D[:6], 0.8, 0.5), strict=True)]
    runs = [{"label": f"rl β=0 seed {s}", "group": "β=0", "curve": curve} for s in (0, 1)]
    bon_rows = [{"n": n, "d": math.sqrt(math.log(n) - (n - 1) / n), "oracle_safe": 0.1 * k, "proxy_safe": 0.2 * k,
                 "oracle_helpful": None, "proxy_helpful": None} for k, n in enumerate((1, 2, 4))]
    fits = {"safe": {"β=0": fit_rl(D, rl(D, 0.8, 0.5)), "bon": None}}
    png = goodhart(runs, {"bon": bon_rows}, fits)
    assert png is not None and png.startswith(b"\x89PNG") and len(png) > 1000
    assert goodhart([{"label": "x", "group": "g", "curve": []}]) is None
