"""A text's consonant skeleton: the one form a text and its vowel-less spelling share.

``hw t mk`` and ``how to make`` both become ``hw t mk``, so a classifier that learned requests in
this form too reads a request whose vowels were taken out (the guard screens that reading when a
text has almost no vowels, :mod:`r1safe.guard.normalize`).
"""

from __future__ import annotations

import re

_VOWELS = re.compile(r"[aeiouAEIOU]")


def skeleton(text: str) -> str:
    """Lower case, vowels removed from every word, words left empty dropped; idempotent."""
    words = (_VOWELS.sub("", w) for w in text.lower().split())
    return " ".join(w for w in words if w)
