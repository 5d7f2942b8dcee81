"""Refusal classifiers: answer text → P(compliance, full refusal, partial refusal).

Two kinds, one interface (``probabilities(texts) -> (n, 3)``, ``config``): a head on a frozen
packaged encoder (:mod:`.frozen`, trained by :mod:`.frozen_training`) and MiniLM fine-tuned end to
end through adapters (:mod:`.finetuned`, trained by :mod:`.finetune`). Shipped: ``heads/refusal_clf``
(the default: the frozen MiniLM-L6 head, handing CJK and uncertain answers to the e5 head; see its
model card) and ``heads/refusal_clf_e5`` (the previous default: frozen multilingual-e5 int4).
:func:`load_refusal_classifier` reads a folder's ``config.json`` and builds the right kind.
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
    """A fast English-reading classifier that hands a text to a slower multilingual one when it is
    mostly CJK script (MiniLM-L6 reads Chinese poorly) or when its own P(refused) falls in the
    uncertain ``band`` (the default head's ``fallback`` in config.json)."""

    def __init__(self, main: RefusalClassifier, fallback: RefusalClassifier, band: Sequence[float]) -> None:
        self.main, self.fallback, self.config = main, fallback, main.config
        self.band = (float(band[0]), float(band[1]))

    def probabilities(self, texts: Sequence[str]) -> torch.Tensor:
        """(n, 3) class probabilities; CJK texts and uncertain ones from the fallback."""
        out = torch.zeros(len(texts), 3)
        latin = [i for i, t in enumerate(texts) if not mostly_cjk(t)]
        if latin:
            out[latin] = self.main.probabilities([texts[i] for i in latin])
        routed = self.routed(texts, out)
        if routed:
            out[routed] = self.fallback.probabilities([texts[i] for i in routed])
        return out

    def routed(self, texts: Sequence[str], main: torch.Tensor) -> list[int]:
        """Indices the fallback reads, given the main classifier's (n, 3) probabilities of ``texts``."""
        lo, hi = self.band
        return [i for i, t in enumerate(texts) if mostly_cjk(t) or lo <= float(main[i, 1] + main[i, 2]) < hi]


def load_refusal_classifier(
    path: str | Path | None = None, fallback: bool = True, **options: Any
) -> RefusalClassifier:
    """The classifier in folder ``path`` (None or ``default``: the shipped default; ``e5``: the previous
    default), with the fallback its config names unless ``fallback`` is False (then English only, at the
    fast classifier's speed); ``options`` go to a fine-tuned one (dtype, batch_size)."""
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
    spec = head.config.get("fallback")
    if not (fallback and spec):
        return head
    return RoutedRefusalClassifier(head, load_refusal_classifier(spec["head"], fallback=False), spec["band"])
