"""Refusal classifiers: answer text → P(compliance, full refusal, partial refusal).

Two kinds, one interface (``probabilities(texts) -> (n, 3)``, ``config``): a head on a frozen
packaged encoder (:mod:`.frozen`, trained by :mod:`.frozen_training`) and MiniLM fine-tuned end to
end through adapters (:mod:`.finetuned`, trained by :mod:`.finetune`). Shipped: ``heads/refusal_clf``
(the default: the frozen MiniLM-L6 head, chosen for agreement per CPU-second, see its model card) and
``heads/refusal_clf_e5`` (the previous default: frozen multilingual-e5 int4). :func:`load_refusal_classifier`
reads a folder's ``config.json`` and builds the right kind.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import torch

from r1safe.errors import ConfigError

HEADS_DIR = Path(__file__).parents[1] / "heads"
SHIPPED = {"default": HEADS_DIR / "refusal_clf", "e5": HEADS_DIR / "refusal_clf_e5"}


class RefusalClassifier(Protocol):
    config: dict[str, Any]

    def probabilities(self, texts: Sequence[str]) -> torch.Tensor:
        """(n, 3) class probabilities in the order of ``CLASSES``."""
        ...


_CJK = re.compile("[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
CJK_SHARE = 0.3  # a text whose visible characters are at least this share CJK is read by the fallback


def mostly_cjk(text: str) -> bool:
    """At least :data:`CJK_SHARE` of the text's non-space characters are Chinese, Japanese or Korean."""
    visible = len(text) - sum(c.isspace() for c in text)
    return visible > 0 and len(_CJK.findall(text)) >= CJK_SHARE * visible


class RoutedRefusalClassifier:
    """An English-reading classifier with a multilingual one for texts mostly in CJK script (the
    default head's ``cjk_fallback``): MiniLM-L6 reads Chinese poorly, multilingual-e5 does not."""

    def __init__(self, main: RefusalClassifier, fallback: RefusalClassifier) -> None:
        self.main, self.fallback, self.config = main, fallback, main.config

    def probabilities(self, texts: Sequence[str]) -> torch.Tensor:
        """(n, 3) class probabilities; CJK texts from the fallback, the rest from the main classifier."""
        routed = [mostly_cjk(t) for t in texts]
        out = torch.zeros(len(texts), 3)
        for flag, clf in ((False, self.main), (True, self.fallback)):
            idx = [i for i, r in enumerate(routed) if r == flag]
            if idx:
                out[idx] = clf.probabilities([texts[i] for i in idx])
        return out


def load_refusal_classifier(path: str | Path | None = None, **options: Any) -> RefusalClassifier:
    """The classifier in folder ``path`` (None or ``default``: the shipped default; ``e5``: the previous
    default); ``options`` go to a fine-tuned one (dtype, batch_size)."""
    folder = SHIPPED.get(str(path), Path(path)) if path is not None else SHIPPED["default"]
    config = folder / "config.json"
    if not config.is_file():
        raise ConfigError(f"{folder}: not a refusal classifier folder (no config.json)")
    kind = json.loads(config.read_text(encoding="utf-8")).get("format", "")
    if kind.startswith("r1safe.refusal_clf_finetuned/"):
        from r1safe.classifiers.refusal.finetuned import FinetunedRefusalClassifier

        return FinetunedRefusalClassifier(folder, **options)
    from r1safe.classifiers.refusal.frozen import RefusalHead

    head = RefusalHead(folder)  # encodes a whole list at once (in length-sorted batches of its encoder)
    fallback = head.config.get("cjk_fallback")
    return RoutedRefusalClassifier(head, load_refusal_classifier(fallback)) if fallback else head
