"""Cut a text into the parts a screen scores apart, so that padding cannot dilute a harmful part.

:func:`spans` returns every sentence (long ones cut into overlapping windows), every pair of
adjacent sentences (a request split over two sentences), the whole text when it is short, and
the runs of whole sentences (up to :data:`WHOLE_CHARS`) that start or end at each sentence
boundary, so that a request of several sentences behind padding is also read as it stands
alone. A screen takes the maximum harm score over the parts, so a harmful request scores at
least as high behind any amount of benign text. Nothing here judges harm.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

SENTENCE_CHARS = 320  # a longer sentence is cut into windows of this size
WHOLE_CHARS = 1200  # a longer text is read in windows of this size instead of whole
_BOUNDARY = re.compile(r"[.!?;…]+[\"'”’)\]]*(?=\s|$)|[。！？；]+[”’」）]*|\n+")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


def _windows(text: str, offset: int, size: int) -> list[Span]:
    """Overlapping windows of ``size`` characters (stride half of it), cut at spaces where possible."""
    out, start = [], 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            space = text.rfind(" ", start + size // 2, end)
            end = space if space > start else end
        out.append(Span(offset + start, offset + end, text[start:end]))
        if end >= len(text):
            break
        step = max((end - start) // 2, 1)
        space = text.find(" ", start + step, end)
        start = space + 1 if space > start else start + step
    return out


def sentences(text: str) -> list[Span]:
    """Sentence spans (stripped, never empty); a sentence over :data:`SENTENCE_CHARS` becomes windows."""
    out: list[Span] = []
    start = 0
    for match in [*_BOUNDARY.finditer(text), None]:
        end = match.end() if match else len(text)
        piece = text[start:end]
        lead = len(piece) - len(piece.lstrip())
        piece = piece.strip()
        if piece:
            begin = start + lead
            if len(piece) > SENTENCE_CHARS:
                out.extend(_windows(piece, begin, SENTENCE_CHARS))
            else:
                out.append(Span(begin, begin + len(piece), piece))
        start = end
    return out


def _merge_short(text: str, units: list[Span], min_chars: int) -> list[Span]:
    """Join each unit shorter than ``min_chars`` to the units after it until it is long enough."""
    out: list[Span] = []
    start = None
    for unit in units:
        start = unit.start if start is None else start
        if unit.end - start >= min_chars:
            out.append(Span(start, unit.end, text[start : unit.end]))
            start = None
    if start is not None:
        out.append(Span(start, units[-1].end, text[start : units[-1].end]))
    return out


def _anchored(text: str, units: list[Span]) -> list[Span]:
    """From each sentence start, the longest run of whole sentences within :data:`WHOLE_CHARS`; and
    the same ending at each sentence end. A request behind (or before) any padding is then read
    exactly as it would be alone, if it is no longer than that."""
    out = []
    j = 0
    for i, unit in enumerate(units):
        j = max(j, i)
        while j + 1 < len(units) and units[j + 1].end - unit.start <= WHOLE_CHARS:
            j += 1
        out.append(Span(unit.start, units[j].end, text[unit.start : units[j].end]))
    i = 0
    for j, unit in enumerate(units):
        while units[j].end - units[i].start > WHOLE_CHARS and i < j:
            i += 1
        out.append(Span(units[i].start, unit.end, text[units[i].start : unit.end]))
    return out


def spans(text: str, min_chars: int = 0) -> list[Span]:
    """Every part of ``text`` to score (see the module doc), distinct texts only, whole text first.
    Sentences shorter than ``min_chars`` are read together with the ones after them (a step of a
    reply says little alone; a request sentence is read alone, ``min_chars`` 0)."""
    parts: list[Span] = []
    stripped = text.strip()
    if not stripped:
        return []
    units = sentences(text)
    if min_chars > 0 and units:
        units = _merge_short(text, units, min_chars)
    if len(text) <= WHOLE_CHARS:
        parts.append(Span(0, len(text), text))
    elif len(units) <= 1:
        parts.extend(_windows(text, 0, WHOLE_CHARS))
    parts.extend(_anchored(text, units))
    parts.extend(units)
    for a, b in itertools.pairwise(units):
        if b.end - a.start <= 2 * SENTENCE_CHARS:
            parts.append(Span(a.start, b.end, text[a.start : b.end]))
    seen: set[str] = set()
    return [p for p in parts if not (p.text in seen or seen.add(p.text))]
