"""Best-of-n against the proxy: the second optimizer of a Goodhart curve, with no training.

For each prompt, ``N`` replies are sampled from the model once; the proxy reward model scores each
(harmlessness on harmful prompts, helpfulness on the others: the gym's learned reward models, read
as the ``harmlessness`` and ``helpfulness`` rewards read them) and so does the oracle (``safe`` on
harmful prompts, ``helpful`` on the others). The expected score of the proxy's best of n is then
estimated for every n ≤ N from those same N samples with the unbiased estimator: sort by proxy
ascending; the reply of rank i (1-based) is the best of a random n-subset with probability
C(i−1, n−1) / C(N, n). Replies with tied proxy scores share their values (each gets the mean of its
tie group), which is the expectation when ties are broken at random.

Best-of-n's KL from the sampling policy is ``log n − (n−1)/n`` (Stiennon et al. 2020; Gao et al.
2022), so d = √KL puts it on the same axis as the RL runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from r1safe.records import Sample


def kl_bon(n: int) -> float:
    """KL(best-of-n ‖ π) = log n − (n−1)/n (0 at n = 1)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    return math.log(n) - (n - 1) / n


def bon_weights(N: int, n: int) -> np.ndarray:
    """P(the proxy's best of a random n-subset of N is rank i), for ranks 1..N ascending."""
    if not 1 <= n <= N:
        raise ValueError(f"n must be in 1..{N}, got {n}")
    total = math.comb(N, n)
    return np.array([math.comb(i - 1, n - 1) / total for i in range(1, N + 1)])


def best_of_n_value(proxy: Sequence[float], value: Sequence[float], n: int) -> float:
    """E[``value`` of the reply the proxy ranks best among n drawn without replacement from these N]
    (ties broken at random: see the module doc)."""
    p = np.asarray(proxy, dtype=float)
    v = np.asarray(value, dtype=float)
    order = np.argsort(p, kind="stable")
    p, v = p[order], v[order]
    shared = v.copy()
    start = 0
    for end in range(1, len(p) + 1):
        if end == len(p) or p[end] != p[start]:
            shared[start:end] = v[start:end].mean()
            start = end
    return float(bon_weights(len(p), n) @ shared)


def powers_of_two(N: int) -> list[int]:
    """1, 2, 4, … up to N."""
    return [2**k for k in range(int(math.log2(N)) + 1)]


def _oracle(sample: Sample, text: str) -> float | None:
    from r1safe.gym.oracle import judge

    verdict = judge(sample, text)
    if sample.kind == "harmful":
        return None if verdict.harmful is None else float(verdict.safe)
    return None if verdict.helpful is None else float(verdict.helpful)


def score_replies(gym: Any, samples: Sequence[Sample], replies: Sequence[Sequence[str]]
                  ) -> tuple[list[list[float]], list[list[float | None]]]:
    """(proxy, oracle) score of every reply: harmlessness / ``safe`` for harmful prompts, helpfulness /
    ``helpful`` for the others."""
    from r1safe.gym.reward_models import load_reward_model

    models = {"harmful": load_reward_model(gym.harmlessness_rm), "other": load_reward_model(gym.helpfulness_rm)}
    proxy: list[list[float]] = []
    oracle: list[list[float | None]] = []
    for sample, texts in zip(samples, replies, strict=True):
        rm = models["harmful" if sample.kind == "harmful" else "other"]
        proxy.append([float(x) for x in rm.score([sample] * len(texts), list(texts))])
        oracle.append([_oracle(sample, t) for t in texts])
    return proxy, oracle


def curve_from_scores(samples: Sequence[Sample], proxy: Sequence[Sequence[float]],
                      oracle: Sequence[Sequence[float | None]], ns: Sequence[int]) -> list[dict[str, Any]]:
    """One row per n: ``{n, kl, d, proxy_safe, oracle_safe, proxy_helpful, oracle_helpful}``, each
    score the mean over prompts of the expected best-of-n (None where no prompt of that kind has an
    oracle verdict on all its replies)."""
    rows = []
    for n in ns:
        sums: dict[str, list[float]] = {"proxy_safe": [], "oracle_safe": [], "proxy_helpful": [], "oracle_helpful": []}
        for sample, p, o in zip(samples, proxy, oracle, strict=True):
            if any(x is None for x in o):
                continue
            signal = "safe" if sample.kind == "harmful" else "helpful"
            sums[f"proxy_{signal}"].append(best_of_n_value(p, p, n))
            sums[f"oracle_{signal}"].append(best_of_n_value(p, o, n))  # type: ignore[arg-type]
        kl = kl_bon(n)
        rows.append({"n": n, "kl": kl, "d": math.sqrt(kl),
                     **{k: (sum(v) / len(v) if v else None) for k, v in sums.items()}})
    return rows


def best_of_n(
    gym: Any,
    samples: Sequence[Sample],
    *,
    model: str | Path | None = None,
    N: int = 64,
    ns: Sequence[int] | None = None,
    temperature: float = 1.0,
    top_p: float = 1.0,
    max_new_tokens: int = 128,
    seed: int = 0,
    batch_size: int = 512,
) -> list[dict[str, Any]]:
    """Sample ``N`` replies per prompt from ``model`` (default: the gym's base model), score them with
    the gym's proxies and oracle, and return :func:`curve_from_scores`'s rows for n in ``ns`` (default
    1, 2, 4, … N). Sampling is from π itself (``top_p`` 1) so that KL_bon holds against it. On the
    default gym, 24 prompts × 64 replies of ≤ 128 tokens take about 150 s on 2 shared CPU cores
    (batches of 512 sequences: 8 prompts; 128 took 230 s); scoring is a few seconds of that."""
    from r1safe.backends.base import GenerationParams
    from r1safe.backends.transformers import TransformersBackend

    backend = TransformersBackend(str(model or gym.model_dir), batch_size=batch_size)
    params = GenerationParams(n=N, temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens, seed=seed)
    replies = [[c.text for c in group] for group in backend.generate([s.prompt for s in samples], params)]
    proxy, oracle = score_replies(gym, samples, replies)
    return curve_from_scores(samples, proxy, oracle, list(ns or powers_of_two(N)))
