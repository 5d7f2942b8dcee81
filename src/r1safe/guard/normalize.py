"""Undo common input obfuscations before screening: NFKC (full-width forms), zero-width characters,
homoglyphs, HTML entities, base64, hex, URL-encoding, leetspeak, spaced-out letters, reversed text,
Caesar shifts (ROT13 among them) and vowel removal.

:func:`variants` returns the distinct readings of one text that a screen should score (the
normalized text, plus each decoded payload and each undone trick when it applies); a screen
takes the highest harm score among them. Reversed text and Caesar shifts are read back only when
the undone text has more common English words than the text itself (the best of the 25 shifts).
Text written without vowels cannot be read back letter for letter; when at most
:data:`VOWELLESS_SHARE` of a text's letters are vowels it is read as its consonant skeleton
(:func:`skeleton`), the form the real-text request head also learned every request in. Nothing
here judges harm; what a model decodes by itself (other ciphers, languages it reads) is left to
the output screen.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import unicodedata
from urllib.parse import unquote_plus

from r1safe.text.skeleton import skeleton

_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e\u034f"), None
)
# Look-alike letters from Cyrillic, Greek and elsewhere, folded to their Latin twins.
_HOMOGLYPHS = str.maketrans(
    {
        "а": "a",
        "в": "b",
        "с": "c",
        "е": "e",
        "ё": "e",
        "һ": "h",
        "і": "i",
        "ї": "i",
        "ј": "j",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "т": "t",
        "у": "y",
        "х": "x",
        "ѕ": "s",
        "ԁ": "d",
        "ԛ": "q",
        "ԝ": "w",
        "ɡ": "g",
        "ո": "n",
        "ս": "u",
        "А": "A",
        "В": "B",
        "С": "C",
        "Е": "E",
        "Н": "H",
        "І": "I",
        "Ј": "J",
        "К": "K",
        "М": "M",
        "О": "O",
        "Р": "P",
        "Т": "T",
        "Х": "X",
        "Ү": "Y",
        "Ѕ": "S",
        "α": "a",
        "β": "b",
        "ε": "e",
        "η": "n",
        "ι": "i",
        "κ": "k",
        "ν": "v",
        "ο": "o",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "χ": "x",
        "Α": "A",
        "Β": "B",
        "Ε": "E",
        "Ζ": "Z",
        "Η": "H",
        "Ι": "I",
        "Κ": "K",
        "Μ": "M",
        "Ν": "N",
        "Ο": "O",
        "Ρ": "P",
        "Τ": "T",
        "Υ": "Y",
        "Χ": "X",
        "ı": "i",
        "ȷ": "j",
        "ℓ": "l",
    }
)
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "8": "b",
        "@": "a",
        "$": "s",
        "!": "i",
        "|": "l",
        "+": "t",
    }
)
_LEET_WORD = re.compile(r"\S*[A-Za-z]\S*")
_LEET_CHARS = re.compile(r"[0134578@$!|+]")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_HEX = re.compile(r"(?:(?:0x|\\x)?[0-9A-Fa-f]{2}[\s,:]?){8,}")
_URL = re.compile(r"%[0-9A-Fa-f]{2}")
# Runs of single letters or digits kept apart by one separator: "h o w  t o" or "m-a-k-e".
_SPACED = re.compile(r"(?<!\w)(?:\w[ .\-_*|/]{1,3}){3,}\w(?!\w)")
_COMMON = frozenset(
    [
        "the",
        "to",
        "and",
        "a",
        "of",
        "how",
        "i",
        "you",
        "is",
        "in",
        "it",
        "for",
        "on",
        "with",
        "make",
        "me",
        "can",
        "what",
        "do",
        "my",
        "give",
        "tell",
        "steps",
        "write",
        "this",
        "that",
    ]
)


VOWELLESS_SHARE = 0.12  # English letters are ~38% vowels; text this low on them had its vowels taken out
_VOWELS = re.compile(r"[aeiouAEIOU]")
_LETTER = re.compile(r"[A-Za-z]")
_ENTITY = re.compile(r"&(?:#\d{2,7}|#[xX][0-9A-Fa-f]{2,6}|[A-Za-z]{2,8});")


def clean(text: str) -> str:
    """NFKC, invisible characters removed, homoglyphs folded to Latin; meaning is unchanged."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    folded = text.translate(_HOMOGLYPHS)
    # Combining marks stacked on Latin letters ("ḃu̇ild") are dropped after decomposition.
    if any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", folded)):
        decomposed = unicodedata.normalize("NFD", folded)
        folded = unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))
    return folded


def deleet(text: str) -> str:
    """Read leetspeak in words that mix letters with digits or symbols (``m3th`` → ``meth``)."""

    def word(match: re.Match[str]) -> str:
        w = match.group(0)
        core = w.rstrip(".,;:?!")
        if _LEET_CHARS.search(core[:-1] if core.endswith("!") else core) is None:
            return w
        return core.translate(_LEET) + w[len(core) :]

    return _LEET_WORD.sub(word, text)


def decode_base64(text: str) -> list[str]:
    """Printable UTF-8 payloads of base64-looking runs in ``text``."""
    found = []
    for run in _BASE64.findall(text):
        padded = run + "=" * (-len(run) % 4)
        try:
            raw = base64.b64decode(padded, altchars=b"-_" if ("-" in run or "_" in run) else None, validate=True)
            decoded = raw.decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        if _printable(decoded):
            found.append(decoded)
    return found


def _printable(decoded: str) -> bool:
    return bool(decoded) and sum(c.isprintable() or c.isspace() for c in decoded) / len(decoded) > 0.95


def decode_hex(text: str) -> list[str]:
    """Printable UTF-8 payloads of hex runs (``68 6f 77``, ``\\x68\\x6f``, ``686f77``)."""
    found = []
    for run in _HEX.finditer(text):
        digits = re.sub(r"0x|\\x|[\s,:]", "", run.group(0))
        if len(digits) % 2 or not re.search(r"[0-9]", digits):
            continue
        try:
            decoded = bytes.fromhex(digits).decode("utf-8")
        except ValueError:
            continue
        if _printable(decoded):
            found.append(decoded)
    return found


def despace(text: str) -> str:
    """Join letters spelled out one by one (``b o m b`` → ``bomb``); wider gaps stay word breaks."""

    def run(match: re.Match[str]) -> str:
        words = re.split(r"[ .\-_*|/]{2,}", match.group(0))
        return " ".join(re.sub(r"[ .\-_*|/]", "", w) for w in words)

    return _SPACED.sub(run, text)


def _english(text: str) -> int:
    return sum(w in _COMMON for w in re.findall(r"[a-z]+", text.lower()))


def caesar(text: str, shift: int) -> str:
    """Latin letters shifted by ``shift`` places (case kept); everything else unchanged."""
    def rot(c: str) -> str:
        if "a" <= c <= "z":
            return chr((ord(c) - 97 + shift) % 26 + 97)
        if "A" <= c <= "Z":
            return chr((ord(c) - 65 + shift) % 26 + 65)
        return c

    return "".join(rot(c) for c in text)


def best_caesar(text: str, probe_chars: int = 2000) -> str | None:
    """The shift of ``text`` with the most common English words, when it has more than ``text`` itself.
    Text whose words are already a tenth common English is left alone; the shift is chosen on the
    first ``probe_chars`` characters, so a long body costs no more than a short one."""
    probe = text[:probe_chars]
    words = re.findall(r"[a-z]+", probe.lower())
    base = _english(probe)
    if not words or base >= 0.1 * len(words):
        return None
    best, best_words = 0, max(base, 1)
    for shift in range(1, 26):
        found = _english(caesar(probe, shift))
        if found > best_words:
            best, best_words = shift, found
    return caesar(text, best) if best else None


def vowelless(text: str) -> bool:
    """At most :data:`VOWELLESS_SHARE` of the text's (at least 12) Latin letters are vowels."""
    letters = len(_LETTER.findall(text))
    return letters >= 12 and len(_VOWELS.findall(text)) <= VOWELLESS_SHARE * letters


def normalize(text: str) -> str:
    """The main cleaned reading: :func:`clean`, with base64 payloads inlined and leetspeak read."""
    cleaned = clean(text)
    for payload in decode_base64(cleaned):
        cleaned = f"{cleaned} {clean(payload)}"
    return deleet(cleaned) if _LEET_CHARS.search(cleaned) else cleaned


def variants(text: str) -> list[str]:
    """Distinct readings of ``text`` worth screening, the cleaned one first."""
    cleaned = clean(text)
    out = [cleaned]
    if _ENTITY.search(cleaned):
        cleaned = clean(html.unescape(cleaned))
        out.append(cleaned)
    out.extend(clean(p) for p in decode_base64(cleaned))
    out.extend(clean(p) for p in decode_hex(cleaned))
    if _URL.search(cleaned):
        out.append(clean(unquote_plus(cleaned)))
    if _LEET_CHARS.search(cleaned):
        out.append(deleet(cleaned))
    if _SPACED.search(cleaned):
        out.append(deleet(despace(cleaned)))
    words = max(_english(cleaned), 1)
    if _english(cleaned[::-1]) > words:
        out.append(cleaned[::-1])
    shifted = best_caesar(cleaned)
    if shifted is not None:
        out.append(shifted)
    if vowelless(cleaned):
        out.append(skeleton(cleaned))
    return list(dict.fromkeys(out))
