"""The guard's learned request/response classifier: a pluggable encoder and two linear heads.

``request`` scores a user request (is it asking for harm?); ``response`` scores a piece of
model text, reasoning or answer (does it contain harmful content?). Saved like any model: a
folder with ``guard.safetensors`` (weights) and ``guard.json`` (encoder spec, heads, training
report). The same classifier is registered as the ``guard_classifier`` judge. Training lives in
:mod:`r1safe.classifiers.harm.training`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import torch

from r1safe.classifiers.encoders import Encoder, HashedNgramEncoder, build_encoder
from r1safe.errors import ConfigError

HEADS = ("request", "response")
REALTEXT_DIR = Path(__file__).parents[1] / "heads" / "realtext"  # the shipped real-text classifier
WEIGHTS, CONFIG = "guard.safetensors", "guard.json"


class GuardClassifier:
    """Encoder + a (dim, 2) weight matrix and bias: one logistic head per entry of :data:`HEADS`."""

    def __init__(self, encoder: Encoder, weight: torch.Tensor, bias: torch.Tensor, meta: dict[str, Any] | None = None):
        self.encoder, self.meta = encoder, meta or {}
        self.weight, self.bias = weight.float().contiguous(), bias.float().contiguous()
        self._w = self.weight.numpy()
        self._b = self.bias.numpy()

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        """(n, 2) logits for encoded features (sparse or dense)."""
        if features.is_sparse:
            return torch.sparse.mm(features, self.weight) + self.bias
        return features @ self.weight + self.bias

    def scores(self, texts: list[str], head: str) -> list[float]:
        """Harm probability of each text under ``head`` (``request`` or ``response``)."""
        h = HEADS.index(head)
        if not texts:
            return []
        if isinstance(self.encoder, HashedNgramEncoder):
            out = []
            for text in texts:
                ids, weights = self.encoder.features(text)
                z = float(weights @ self._w[ids, h]) + float(self._b[h]) if len(ids) else float(self._b[h])
                out.append(1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0))))
            return out
        with torch.no_grad():
            return torch.sigmoid(self.logits(self.encoder.encode(texts))[:, h]).tolist()

    def save(self, path: str | Path) -> Path:
        from safetensors.torch import save_file

        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        save_file({"weight": self.weight, "bias": self.bias}, str(folder / WEIGHTS))
        config = {
            "format": "r1safe-guard-classifier/1",
            "heads": list(HEADS),
            "encoder": self.encoder.spec(),
            **self.meta,
        }
        (folder / CONFIG).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        return folder

    @classmethod
    def load(cls, path: str | Path) -> GuardClassifier:
        from safetensors.torch import load_file

        folder = Path(path)
        if not (folder / WEIGHTS).is_file() or not (folder / CONFIG).is_file():
            raise ConfigError(
                f"{folder}: not a guard classifier (needs {WEIGHTS} and {CONFIG}); make one with `r1safe guard train`"
            )
        config = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
        tensors = load_file(str(folder / WEIGHTS))
        encoder = build_encoder(config.get("encoder"))
        meta = {k: v for k, v in config.items() if k not in ("format", "heads", "encoder")}
        return cls(encoder, tensors["weight"], tensors["bias"], meta)
