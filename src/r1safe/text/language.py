"""Exact per-word language by Unicode script, and R1's language-consistency score.

A word is Chinese when it holds a CJK ideograph, English when it is made of Latin letters, and
neutral otherwise (numbers, codes with digits, punctuation). For English/Chinese mixing this is
exact, which is why the gym uses two languages in two scripts. Chinese is counted per character,
as Chinese has no spaces and each ideograph is about one word.

Code words are neutral too: a Chinese sentence about "python" or a "shell" script, or one naming
an acronym ("DAN", "API"), is not mixing. They are the names of programs, languages and commands
in :data:`CODE_WORDS`, and all-capital Latin words of two letters or more.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[A-Za-z0-9\u00c0-\u024f][A-Za-z0-9\u00c0-\u024f'_-]*")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_DIGIT = re.compile(r"\d")
_HAS_CJK = re.compile(rf"[{_CJK}]")

CODE_WORDS = frozenset({
    "python", "java", "javascript", "typescript", "rust", "golang", "php", "ruby", "perl", "sql", "html",
    "css", "json", "yaml", "xml", "http", "https", "url", "shell", "bash", "zsh", "powershell", "cmd",
    "sudo", "kill", "chmod", "grep", "git", "linux", "unix", "macos", "windows", "android", "ios", "docker",
    "numpy", "pandas", "pytorch", "excel", "wifi", "bluetooth", "usb", "app", "email"
})


def word_language(word: str) -> str | None:
    """'zh', 'en' or None (neutral) for one token of :func:`words`."""
    if _HAS_CJK.search(word):
        return "zh"
    if _DIGIT.search(word) or word.lower() in CODE_WORDS or (len(word) > 1 and word.isupper()):
        return None
    if _LATIN.search(word):
        return "en"
    return None


def words(text: str) -> list[str]:
    """Latin words (letters, digits, ``'``, ``-``, ``_``) and single CJK characters, in order."""
    return _TOKEN.findall(text)


@dataclass(frozen=True)
class LanguageProfile:
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, language: str) -> float | None:
        """Share of language-bearing words in ``language``; None for text with no such word."""
        return self.counts.get(language, 0) / self.total if self.total else None

    @property
    def dominant(self) -> str | None:
        return max(self.counts, key=self.counts.__getitem__) if self.counts else None

    def mixed(self, language: str, tolerance: float = 0.0) -> bool:
        """True when more than ``tolerance`` of the words are in another language."""
        share = self.share(language)
        return share is not None and (1.0 - share) > tolerance


def language_profile(text: str) -> LanguageProfile:
    """Count the words of ``text`` by language (neutral words are left out)."""
    counts = Counter(lang for w in words(text) if (lang := word_language(w)) is not None)
    return LanguageProfile(dict(counts))


def language_consistency(text: str, language: str) -> float | None:
    """R1's language-consistency reward: share of words of ``text`` in ``language``."""
    return language_profile(text).share(language)


def detect_language(text: str) -> str | None:
    """The dominant script language of ``text`` ('en', 'zh') or None when it has no words."""
    return language_profile(text).dominant
