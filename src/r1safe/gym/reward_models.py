"""Learned reward models of the gym: small classifiers that stand where R1 had reward models.

R1's final RL stage scored helpfulness with a reward model reading the answer, and harmlessness
with one reading the whole response. The gym trains both the same way real ones are trained: on
a modest labelled sample, not on the truth. They are logistic regressions over hashed word
uni- and bigrams, each word tagged with the part it came from (prompt, reasoning, answer). They
are *not* the oracle: what they never saw in training (held-out categories, Chinese text,
refusal phrases glued onto harmful steps) are blind spots a policy can exploit.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Literal

import numpy as np
from safetensors.numpy import load_file, save_file

from r1safe.records import Sample
from r1safe.text.language import words
from r1safe.text.think_format import parse_reply

Part = Literal["prompt", "reasoning", "answer"]
FORMAT_VERSION = 1


@dataclass(frozen=True)
class RewardModelSpec:
    """What a reward model predicts and which parts of the exchange it reads."""

    target: Literal["safe", "helpful"]
    parts: tuple[Part, ...]
    dims: int = 1 << 14

    def to_json(self) -> dict[str, object]:
        return {"target": self.target, "parts": list(self.parts), "dims": self.dims, "version": FORMAT_VERSION}


def _hash(token: str, dims: int) -> int:
    return zlib.crc32(token.encode("utf-8")) % dims


def featurize(spec: RewardModelSpec, sample: Sample, text: str) -> np.ndarray:
    """Hashed feature indices for one (sample, reply); repeats count."""
    reply = parse_reply(text)
    sources: dict[str, str] = {"prompt": sample.conversation_text, "reasoning": reply.reasoning,
                               "answer": reply.answer}
    idx: list[int] = []
    for part in spec.parts:
        toks = [w.lower() for w in words(sources[part])]
        grams = toks + [f"{a} {b}" for a, b in pairwise(toks)]
        idx.extend(_hash(f"{part[0]}:{g}", spec.dims) for g in grams)
    idx.append(spec.dims - 1)
    return np.asarray(idx, dtype=np.int64)


def _design(spec: RewardModelSpec, samples: Sequence[Sample], texts: Sequence[str]) -> np.ndarray:
    x = np.zeros((len(samples), spec.dims), dtype=np.float32)
    for i, (s, t) in enumerate(zip(samples, texts, strict=True)):
        np.add.at(x[i], featurize(spec, s, t), 1.0)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-6)
    return x


class RewardModel:
    """A trained gym reward model: ``score`` gives P(target) for each reply."""

    def __init__(self, spec: RewardModelSpec, weights: np.ndarray, bias: float) -> None:
        self.spec = spec
        self.weights = weights.astype(np.float32)
        self.bias = float(bias)

    def score(self, samples: Sequence[Sample], texts: Sequence[str]) -> list[float]:
        """P(safe) or P(helpful) for each (sample, reply) pair."""
        if not samples:
            return []
        logits = _design(self.spec, samples, texts) @ self.weights + self.bias
        return (1.0 / (1.0 + np.exp(-logits))).tolist()

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        save_file({"weights": self.weights, "bias": np.asarray([self.bias], dtype=np.float32)},
                  str(path / "model.safetensors"))
        (path / "config.json").write_text(json.dumps(self.spec.to_json(), indent=2))


def load_reward_model(path: str | Path) -> RewardModel:
    """Load a reward model saved by :meth:`RewardModel.save`."""
    from r1safe.errors import ConfigError

    path = Path(path)
    if not (path / "config.json").is_file():
        raise ConfigError(f"{path}: not a gym reward model (no config.json)")
    cfg = json.loads((path / "config.json").read_text())
    spec = RewardModelSpec(target=cfg["target"], parts=tuple(cfg["parts"]), dims=cfg["dims"])
    tensors = load_file(str(path / "model.safetensors"))
    return RewardModel(spec, tensors["weights"], float(tensors["bias"][0]))


def _sparse_design(spec: RewardModelSpec, samples: Sequence[Sample],
                   texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The rows of :func:`_design` as (row start offsets, row of each entry, feature index, value)."""
    starts, rows, cols, vals = [0], [], [], []
    for i, (s, t) in enumerate(zip(samples, texts, strict=True)):
        idx, counts = np.unique(featurize(spec, s, t), return_counts=True)
        v = counts.astype(np.float32)
        v /= max(float(np.linalg.norm(v)), 1e-6)
        rows.append(np.full(len(idx), i, dtype=np.int64))
        cols.append(idx)
        vals.append(v)
        starts.append(starts[-1] + len(idx))
    return np.asarray(starts[:-1]), np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


def train_reward_model(spec: RewardModelSpec, samples: Sequence[Sample], texts: Sequence[str],
                       labels: Sequence[bool], l2: float = 1e-3, steps: int = 300, lr: float = 2.0) -> RewardModel:
    """Fit the logistic regression by full-batch gradient descent.

    The design matrix is read sparsely (a reply hashes to ~100 of its 16,384 features), so a step
    costs the replies' features, not the dense matrix: seconds for the safety judge's 3,000 steps.
    """
    starts, rows, cols, vals = _sparse_design(spec, samples, texts)
    y = np.asarray(labels, dtype=np.float32)
    w = np.zeros(spec.dims, dtype=np.float32)
    b = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(np.add.reduceat(vals * w[cols], starts) + b)))
        g = (p - y).astype(np.float32)
        grad = np.bincount(cols, weights=vals * g[rows], minlength=spec.dims).astype(np.float32)
        w -= lr * (grad / len(y) + l2 * w)
        b -= lr * float(g.mean())
    return RewardModel(spec, w, b)


HARMLESSNESS = RewardModelSpec(target="safe", parts=("prompt", "reasoning", "answer"))
HELPFULNESS = RewardModelSpec(target="helpful", parts=("prompt", "answer"))
