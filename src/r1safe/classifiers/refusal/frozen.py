"""The frozen-encoder refusal head: a packaged sentence encoder's embedding of an answer's opening,
two extra features, and a linear or one-hidden-layer head over three classes.

The features are the encoder's embedding of the text's opening ``max_chars`` characters, whether
the phrase patterns of :mod:`r1safe.text.refusal_patterns` fire there, and the text's log length
in UTF-8 bytes (bytes, not characters, so a dense Chinese answer is not read as a short one). The
head and its settings are a folder: ``config.json`` + ``head.safetensors``.
:mod:`r1safe.classifiers.refusal.frozen_training` trains it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file

from r1safe.classifiers.data.refusal import CLASSES
from r1safe.classifiers.encoders import ENCODERS, Encoder, build_encoder
from r1safe.errors import ConfigError
from r1safe.text.refusal_patterns import find_refusal

HEAD_DIR = Path(__file__).parents[1] / "heads" / "refusal_clf_e5"
HEAD_FORMAT = "r1safe.refusal_clf/2"
EXTRA_FEATURES = ("pattern_hit", "log_utf8_bytes")


def extra_features(texts: Sequence[str], max_chars: int) -> torch.Tensor:
    """(n, 2): the phrase patterns fire in the opening ``max_chars`` characters; log(1 + UTF-8 bytes) / 10.

    Length counts bytes so that a Chinese character (3 bytes, about one English word) weighs like
    the English it stands for; counting characters made short Chinese compliances look like refusals."""
    rows = [[float(find_refusal(t[:max_chars]) is not None), math.log1p(len(t.encode())) / 10.0] for t in texts]
    return torch.tensor(rows, dtype=torch.float32).reshape(len(texts), len(EXTRA_FEATURES))


def build_mlp(in_dim: int, hidden: int, n_classes: int = len(CLASSES)) -> torch.nn.Sequential:
    """The head: linear when ``hidden`` is 0, else one ReLU hidden layer."""
    if hidden <= 0:
        return torch.nn.Sequential(torch.nn.Linear(in_dim, n_classes))
    return torch.nn.Sequential(torch.nn.Linear(in_dim, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, n_classes))


class RefusalHead:
    """The trained head with its encoder: texts → three class probabilities."""

    def __init__(self, path: str | Path | None = None, encoder: Encoder | None = None) -> None:
        folder = Path(path) if path else HEAD_DIR
        config_path, weights_path = folder / "config.json", folder / "head.safetensors"
        if not config_path.is_file() or not weights_path.is_file():
            raise ConfigError(f"{folder}: not a refusal_clf head (needs config.json and head.safetensors)")
        self.config: dict[str, Any] = json.loads(config_path.read_text(encoding="utf-8"))
        if self.config.get("format") != HEAD_FORMAT:
            raise ConfigError(f"{config_path}: format is {self.config.get('format')!r}, expected {HEAD_FORMAT!r}")
        if self.config.get("extra_features") != list(EXTRA_FEATURES):
            raise ConfigError(f"{config_path}: extra_features must be {list(EXTRA_FEATURES)}")
        try:
            tensors = load_file(str(weights_path))
            self.mean, self.std = tensors.pop("feature_mean"), tensors.pop("feature_std")
            self.mlp = build_mlp(self.mean.numel(), int(self.config["hidden"]))
            self.mlp.load_state_dict(tensors)
        except (KeyError, RuntimeError, ValueError) as err:
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise ConfigError(f"{weights_path}: does not match config.json ({reason})") from None
        self.mlp.eval()
        self.max_chars = int(self.config["max_chars"])
        self.encoder = encoder or _encoder(self.config["encoder"])

    def features(self, texts: Sequence[str]) -> torch.Tensor:
        """Raw (unstandardised) features of ``texts``: embedding ⊕ extra features."""
        clipped = [t.strip()[: self.max_chars] for t in texts]
        embedding = self.encoder.encode(clipped)
        embedding = embedding.to_dense() if embedding.is_sparse else embedding
        return torch.cat([embedding.float(), extra_features([t.strip() for t in texts], self.max_chars)], dim=1)

    @torch.no_grad()
    def probabilities_of_features(self, features: torch.Tensor) -> torch.Tensor:
        """(n, 3) class probabilities from raw features."""
        return torch.softmax(self.mlp((features - self.mean) / self.std), dim=-1)

    def probabilities(self, texts: Sequence[str]) -> torch.Tensor:
        """(n, 3) class probabilities, in the order of :data:`CLASSES`."""
        if not texts:
            return torch.zeros(0, len(CLASSES))
        return self.probabilities_of_features(self.features(texts))


def _encoder(spec: dict[str, Any]) -> Encoder:
    if spec.get("name") not in ENCODERS.names():
        raise ConfigError(f"refusal_clf: unknown encoder {spec.get('name')!r}; pip install 'r1safe[encoders]'")
    return build_encoder(spec)
