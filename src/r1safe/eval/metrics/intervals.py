"""95% intervals for rates and means: Wilson for proportions, and a clustered bootstrap.

The k samples drawn for one prompt are correlated, so the bootstrap resamples *prompts* (with
all their samples), not single completions; it is the headline interval. Wilson over
completions treats them as independent and is reported alongside for reference.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

Z95 = 1.959963984540054


def wilson(successes: float, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for ``successes`` out of ``n`` (None when n is 0)."""
    if n <= 0:
        return None
    p = successes / n
    denom = 1.0 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, center - half), min(1.0, center + half)


def rng_for(seed: int, *names: str) -> np.random.Generator:
    """A generator seeded by ``seed`` and names, so an interval does not depend on call order."""
    digest = hashlib.blake2b("\x1f".join([str(seed), *names]).encode(), digest_size=8).digest()
    return np.random.default_rng(int.from_bytes(digest, "little"))


def cluster_bootstrap(sums: np.ndarray, counts: np.ndarray, rng: np.random.Generator,
                      resamples: int = 1000) -> tuple[float, float] | None:
    """Percentile 95% interval of sum(values)/count(values), resampling clusters (prompts).

    ``sums[i]`` and ``counts[i]`` are the total and number of values of cluster i.
    """
    n = len(sums)
    if n == 0 or resamples <= 0:
        return None
    picks = rng.integers(0, n, size=(resamples, n))
    estimates = sums[picks].sum(axis=1) / counts[picks].sum(axis=1)
    low, high = np.percentile(estimates, [2.5, 97.5])
    return float(low), float(high)
