"""Undo common input obfuscations before screening: NFKC, zero-width, homoglyphs, base64, leetspeak.

:func:`variants` returns the distinct readings of one text that a screen should score (the
normalized text, plus base64 payloads and a leetspeak reading when they differ); a screen takes
the highest harm score among them. Nothing here judges harm.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata

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
        if decoded and sum(c.isprintable() or c.isspace() for c in decoded) / len(decoded) > 0.95:
            found.append(decoded)
    return found


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
    out.extend(clean(p) for p in decode_base64(cleaned))
    if _LEET_CHARS.search(cleaned):
        out.append(deleet(cleaned))
    seen: set[str] = set()
    return [v for v in out if not (v in seen or seen.add(v))]
