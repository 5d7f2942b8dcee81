"""Split an R1-style reply into reasoning and answer: ``<think>`` reasoning ``</think>`` answer.

One canonical reading for every part of r1safe. Chat templates that force the assistant turn to
open with ``<think>\\n`` (R1's recommendation) leave the opening tag in the prompt, so replies may
arrive with or without it; both read the same. Malformed replies (no closing tag, nested or
repeated tags, empty parts) never raise: they parse to the most sensible split and
``format_ok`` says what went wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
UNCLOSED = "unclosed think block"


@dataclass(frozen=True)
class ParsedReply:
    reasoning: str
    answer: str
    has_close: bool
    format_ok: bool
    think_skipped: bool
    problem: str | None

    @property
    def judged_answer(self) -> str | None:
        """The answer a judge reads, or None when there is none because the think block never
        closed (a reply cut off while thinking is neither a refusal nor a compliance)."""
        return self.answer if self.has_close or self.answer else None

    @property
    def think_unclosed(self) -> bool:
        """The reply opened a think block (or had it forced) and never closed it: it has no answer,
        whether the token budget cut it or the model stopped there."""
        return self.problem == UNCLOSED

    @property
    def whole(self) -> str:
        return f"{self.reasoning}\n{self.answer}".strip()


def parse_reply(text: str | None, think_forced: bool = True) -> ParsedReply:
    """Parse a reply; ``think_forced`` means the prompt already opened ``<think>``.

    Without a closing tag, a forced-think reply is all (truncated) reasoning, and an unforced
    one is all answer.
    """
    raw = (text or "").lstrip()
    opened = raw.startswith(THINK_OPEN)
    body = raw[len(THINK_OPEN):] if opened else raw
    if THINK_CLOSE not in body:
        if opened or think_forced:
            return ParsedReply(body.strip(), "", False, False, False, UNCLOSED)
        return ParsedReply("", body.strip(), False, False, False, "no think block")
    reasoning, answer = body.split(THINK_CLOSE, 1)
    reasoning, answer = reasoning.strip(), answer.strip()
    problem = None
    if THINK_OPEN in reasoning:
        problem = "nested think tag"
    elif THINK_OPEN in answer or THINK_CLOSE in answer:
        problem = "think tag inside the answer"
    elif not reasoning:
        problem = "empty reasoning"
    elif not answer:
        problem = "empty answer"
    elif not (opened or think_forced):
        problem = "missing <think> opener"
    return ParsedReply(reasoning, answer, True, problem is None, not reasoning, problem)
