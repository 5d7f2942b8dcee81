"""Best-of-n: the unbiased estimator against brute force, KL_bon, and a run on the micro gym."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest

from r1safe.study.best_of_n import best_of_n, best_of_n_value, bon_weights, curve_from_scores, kl_bon


def brute_force(proxy, value, n):
    """The mean over every n-subset of the value of its proxy-best reply (tied bests averaged)."""
    out = []
    for subset in itertools.combinations(range(len(proxy)), n):
        top = max(proxy[i] for i in subset)
        out.append(np.mean([value[i] for i in subset if proxy[i] == top]))
    return float(np.mean(out))


@pytest.mark.parametrize("seed", [0, 1])
def test_estimator_matches_enumerating_every_subset(seed):
    rng = np.random.default_rng(seed)
    proxy = list(rng.random(9))
    value = list(rng.integers(0, 2, 9).astype(float))
    for n in range(1, 10):
        assert best_of_n_value(proxy, value, n) == pytest.approx(brute_force(proxy, value, n), abs=1e-12)


def test_ties_are_broken_at_random():
    proxy = [0.2, 0.9, 0.9, 0.5, 0.9, 0.1, 0.5]
    value = [1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0]
    for n in range(1, 8):
        assert best_of_n_value(proxy, value, n) == pytest.approx(brute_force(proxy, value, n), abs=1e-12)


def test_weights_and_kl():
    assert bon_weights(5, 1) == pytest.approx([0.2] * 5)
    assert bon_weights(5, 5) == pytest.approx([0, 0, 0, 0, 1])
    assert bon_weights(64, 8).sum() == pytest.approx(1.0)
    assert kl_bon(1) == 0.0 and kl_bon(2) == pytest.approx(math.log(2) - 0.5)
    assert kl_bon(64) == pytest.approx(math.log(64) - 63 / 64)
    with pytest.raises(ValueError):
        bon_weights(4, 5)


def test_curve_means_over_prompts_of_each_kind(micro_gym):
    harmful = micro_gym.world.split("id")[0]
    benign = micro_gym.world.split("capability")[0]
    rows = curve_from_scores([harmful, benign], [[0.1, 0.9], [0.3, 0.6]], [[0.0, 1.0], [1.0, 0.0]], [1, 2])
    assert rows[0] == {"n": 1, "kl": 0.0, "d": 0.0, "proxy_safe": 0.5, "oracle_safe": 0.5,
                       "proxy_helpful": pytest.approx(0.45), "oracle_helpful": 0.5}
    assert rows[1]["oracle_safe"] == 1.0 and rows[1]["oracle_helpful"] == 0.0
    assert rows[1]["d"] == pytest.approx(math.sqrt(kl_bon(2)))


def test_best_of_n_on_the_micro_gym(micro_gym):
    samples = [*micro_gym.world.split("id")[:2], *micro_gym.world.split("capability")[:2]]
    t0 = time.perf_counter()
    rows = best_of_n(micro_gym, samples, N=8, max_new_tokens=24, seed=0)
    assert time.perf_counter() - t0 < 60
    assert [r["n"] for r in rows] == [1, 2, 4, 8] and rows[0]["kl"] == 0.0
    proxy = [r["proxy_safe"] for r in rows]
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(proxy))  # the proxy's best only gets better
    assert all(0.0 <= r["oracle_safe"] <= 1.0 for r in rows)
    assert rows == best_of_n(micro_gym, samples, N=8, max_new_tokens=24, seed=0)
