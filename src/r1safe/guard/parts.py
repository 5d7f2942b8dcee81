"""Cut a text into the parts a screen scores apart, so that padding cannot dilute a harmful part.

:func:`spans` returns every sentence (long ones cut into overlapping windows), every pair of
adjacent sentences (a request split over two sentences), the whole text when it is short, and
the runs of whole sentences (up to :data:`WHOLE_CHARS`) that start or end at each sentence
boundary, so that a request of several sentences behind padding is also read as it stands
alone. A screen takes the maximum harm score over the parts, so a harmful request scores at
least as high behind any amount of benign text. Nothing here judges harm.

A request glued to padding without a sentence boundary ("... and thyme Provide instructions
for ...") is one sentence with the padding's last words; with ``word_anchors`` each sentence is
also read as its last :data:`ANCHOR_WORDS` words (a geometric grid, so a glued request is read
with at most a quarter more words than its own, if it has 8 to 64), and the last
:data:`RUN_ANCHOR_WORDS` words start a run over the sentences after them as a sentence start
does. A CJK character counts as a word. Only the ends are read (padding before a request, the
usual attack), not the starts: every part is one more chance of a false alarm.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

SENTENCE_CHARS = 320  # a longer sentence is cut into windows of this size
WHOLE_CHARS = 1200  # a longer text is read in windows of this size instead of whole
ANCHOR_WORDS = (8, 10, 12, 16, 20, 25, 32, 40, 50, 64)  # a sentence's last words read alone
RUN_ANCHOR_WORDS = (8, 16, 32, 64)  # ... and these also start a run over the next sentences
_CJK = "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff"
_WORD = re.compile(f"[{_CJK}]|[^\\s{_CJK}]+")  # a CJK character is a word
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


def _pieces(text: str) -> list[Span]:
    """Sentence spans, stripped, never empty, however long."""
    out: list[Span] = []
    start = 0
    for match in [*_BOUNDARY.finditer(text), None]:
        end = match.end() if match else len(text)
        piece = text[start:end]
        lead = len(piece) - len(piece.lstrip())
        piece = piece.strip()
        if piece:
            out.append(Span(start + lead, start + lead + len(piece), piece))
        start = end
    return out


def sentences(text: str) -> list[Span]:
    """Sentence spans (stripped, never empty); a sentence over :data:`SENTENCE_CHARS` becomes windows."""
    out: list[Span] = []
    for piece in _pieces(text):
        if len(piece.text) > SENTENCE_CHARS:
            out.extend(_windows(piece.text, piece.start, SENTENCE_CHARS))
        else:
            out.append(piece)
    return out


def _word_anchored(text: str, pieces: list[Span]) -> list[Span]:
    """Each sentence's last :data:`ANCHOR_WORDS` words; from the last :data:`RUN_ANCHOR_WORDS`
    words, also the longest run over the next sentences within :data:`WHOLE_CHARS`."""
    out: list[Span] = []
    for i, piece in enumerate(pieces):
        words = [piece.start + m.start() for m in _WORD.finditer(piece.text)]
        for n in ANCHOR_WORDS:
            if n >= len(words) or piece.end - words[-n] > WHOLE_CHARS:
                break
            start = words[-n]
            out.append(Span(start, piece.end, text[start : piece.end]))
            if n in RUN_ANCHOR_WORDS:
                j = i
                while j + 1 < len(pieces) and pieces[j + 1].end - start <= WHOLE_CHARS:
                    j += 1
                out.append(Span(start, pieces[j].end, text[start : pieces[j].end]))
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


def spans(text: str, min_chars: int = 0, word_anchors: bool = False) -> list[Span]:
    """Every part of ``text`` to score (see the module doc), distinct texts only, whole text first.
    Sentences shorter than ``min_chars`` are read together with the ones after them (a step of a
    reply says little alone; a request sentence is read alone, ``min_chars`` 0). With
    ``word_anchors`` each sentence's last words are read too (a request glued to padding
    without a sentence boundary)."""
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
    if word_anchors:
        parts.extend(_word_anchored(text, _pieces(text)))
    first: dict[str, Span] = {}  # the first part of each text, in order
    for p in parts:
        first.setdefault(p.text, p)
    return list(first.values())
