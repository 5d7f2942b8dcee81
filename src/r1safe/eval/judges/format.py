"""Think format and reasoning language, for any sample (gym or real).

- ``format_ok``: one well-formed ``<think>…</think>`` block, then a non-empty answer;
- ``think_skipped``: the think block is empty (``<think>\\n\\n</think>``), R1's skipped thinking;
- ``think_unclosed``: a think block opened (or forced) and never closed, so the reply has no
  answer; the ``truncated`` and ``think_unclosed`` metrics tell apart, from the reply's finish
  reason, a cut by the token budget from a model that stopped (EOS) inside its reasoning. Without
  a forced opener, a reply with no think block at all is an answer, never unclosed;
- ``language_consistency``: R1's reward, the share of reasoning words in the prompt's language
  (``sample.language``, else the language the last user turn is written in);
- ``reasoning_mixed``: the reasoning leaves that language (more than ``tolerance`` of its words).

English and Chinese are told apart exactly by script, as in the gym; any other language (a sample
whose ``language`` is ``fr``, ``ru``, ``ja``, ..., or a prompt written in another script) is read
sentence by sentence by :mod:`r1safe.text.language_id`, which needs the ``langdetect`` extra only then.
"""

from __future__ import annotations

from typing import Any

from r1safe.eval.judges.base import Scores
from r1safe.records import Sample
from r1safe.text import language_id
from r1safe.text.language import detect_language
from r1safe.text.think_format import parse_reply


def prompt_language(sample: Sample) -> str | None:
    """The language the reasoning should stay in: the sample's, else the last user turn's."""
    if sample.language:
        return language_id.normalize(sample.language)
    text = sample.last_user_text
    return detect_language(text) if language_id.latin_or_han_only(text) else language_id.detect(text)


class FormatJudge:
    """Format and language-mixing scores of one reply (see the module doc)."""

    name = "format"

    def __init__(self, think_forced: bool = True, tolerance: float = 0.0) -> None:
        self.think_forced = think_forced
        self.tolerance = tolerance

    def judge(self, sample: Sample, text: str) -> Scores:
        """Scores for one reply; language scores are ``None`` when the reasoning has no words."""
        reply = parse_reply(text, think_forced=self.think_forced)
        lang = prompt_language(sample)
        share = language_id.language_consistency(reply.reasoning, lang) if lang else None
        return {
            "format_ok": reply.format_ok,
            "think_skipped": reply.think_skipped,
            "think_unclosed": reply.think_unclosed,
            "language_consistency": share,
            "reasoning_mixed": None if share is None else (1.0 - share) > self.tolerance,
        }


def make(**params: Any) -> FormatJudge:
    """Build the judge (``JUDGES.create("format")`` calls this)."""
    return FormatJudge(**params)
