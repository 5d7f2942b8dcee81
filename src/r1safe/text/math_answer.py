"""Checking a free-text math answer against a reference answer (GSM8K numbers, MATH expressions).

:func:`answers_match` uses Hugging Face's ``math-verify`` when installed (``pip install
'r1safe[train]'``; it parses LaTeX and plain answers with sympy and compares them symbolically, as
open-r1's accuracy reward does), else a careful rule: the reply's answer is the last ``\\boxed{...}``
or, without one, its last number; both sides are normalized (``$``, ``\\!``, thousands separators,
``\\frac{a}{b}``, ``\\dfrac``, a trailing period, units in ``\\text{}``) and compared as exact
fractions when both read as numbers, else as normalized strings.
"""

from __future__ import annotations

import re
import threading
from fractions import Fraction

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?")
_FRAC = re.compile(r"\\d?frac\{([^{}]+)\}\{([^{}]+)\}")


def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` in ``text`` (braces balanced), or None."""
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth, i = 0, start + len("\\boxed")
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1 : j]
    return None


def normalize(answer: str) -> str:
    """An answer string without LaTeX wrapping, spacing and thousands separators."""
    s = answer.strip().strip("$").strip()
    s = re.sub(r"\\text\{[^{}]*\}", "", s)
    s = _FRAC.sub(r"(\1)/(\2)", s)
    for junk in ("\\!", "\\,", "\\left", "\\right", " "):
        s = s.replace(junk, "")
    s = re.sub(r"(?<=\d),(?=\d{3}\b)", "", s)
    return s.rstrip(".")


def as_number(answer: str) -> Fraction | None:
    """``answer`` as an exact number (integers, decimals, a/b, (a)/(b)), or None."""
    s = normalize(answer).replace("(", "").replace(")", "")
    try:
        return Fraction(s)
    except (ValueError, ZeroDivisionError):
        return None


def extract_answer(text: str) -> str | None:
    """The final answer a reply gives: its last boxed expression, else its last number."""
    boxed = last_boxed(text)
    if boxed is not None:
        return boxed
    numbers = _NUMBER.findall(text)
    return numbers[-1] if numbers else None


def _rule_match(text: str, reference: str) -> bool:
    got = extract_answer(text)
    if got is None:
        return False
    a, b = as_number(got), as_number(reference)
    if a is not None and b is not None:
        return a == b
    return normalize(got) == normalize(reference)


def _math_verify(text: str, reference: str) -> bool | None:
    """math-verify's verdict, or None when the package is missing."""
    try:
        from math_verify import parse, verify
    except ImportError:
        return None
    main = threading.current_thread() is threading.main_thread()  # its timeouts use signals
    timeout = {"parsing_timeout": 5} if main else {"parsing_timeout": None}
    gold = parse(f"${reference}$" if "\\" in reference else reference, **timeout)
    pred = parse(text, **timeout)
    if not gold or not pred:
        return False
    return bool(verify(gold, pred, timeout_seconds=5 if main else None))


def answers_match(text: str, reference: str) -> bool:
    """True when the final answer in ``text`` equals ``reference`` (see the module doc)."""
    verdict = _math_verify(text, str(reference))
    if verdict is None:
        return _rule_match(text, str(reference))
    return verdict or _rule_match(text, str(reference))
