"""Refusal classifiers: answer text → P(compliance, full refusal, partial refusal).

Two kinds, one interface (``probabilities(texts) -> (n, 3)``, ``config``): the fine-tuned MiniLM
(:mod:`.finetuned`, shipped in ``heads/refusal_clf``, the default) and the earlier frozen-encoder
head (:mod:`.frozen`, shipped in ``heads/refusal_clf_frozen``). :func:`load_refusal_classifier`
reads a folder's ``config.json`` and builds the right one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import torch

from r1safe.errors import ConfigError

HEADS_DIR = Path(__file__).parents[1] / "heads"
SHIPPED = {"finetuned": HEADS_DIR / "refusal_clf", "frozen": HEADS_DIR / "refusal_clf_frozen"}


class RefusalClassifier(Protocol):
    config: dict[str, Any]

    def probabilities(self, texts: Sequence[str]) -> torch.Tensor:
        """(n, 3) class probabilities in the order of ``CLASSES``."""
        ...


def load_refusal_classifier(path: str | Path | None = None, **options: Any) -> RefusalClassifier:
    """The classifier in folder ``path`` (None or ``finetuned``: the shipped fine-tuned one;
    ``frozen``: the shipped frozen-encoder head); ``options`` go to the fine-tuned one (dtype, batch_size)."""
    folder = SHIPPED.get(str(path), Path(path)) if path is not None else SHIPPED["finetuned"]
    config = folder / "config.json"
    if not config.is_file():
        raise ConfigError(f"{folder}: not a refusal classifier folder (no config.json)")
    kind = json.loads(config.read_text(encoding="utf-8")).get("format", "")
    if kind.startswith("r1safe.refusal_clf_finetuned/"):
        from r1safe.classifiers.refusal.finetuned import FinetunedRefusalClassifier

        return FinetunedRefusalClassifier(folder, **options)
    from r1safe.classifiers.refusal.frozen import RefusalHead

    return RefusalHead(folder)  # encodes a whole list at once; batch options do not apply
