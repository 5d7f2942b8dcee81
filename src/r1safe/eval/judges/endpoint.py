"""What every judge that asks an OpenAI-compatible endpoint shares: setup, batching, failures.

A subclass says which prompts a reply needs (:meth:`EndpointJudge.prompts`: one per part, the
answer and perhaps the reasoning) and how to read the judge model's output for a part
(:meth:`EndpointJudge.read`). This class sends every prompt of a batch concurrently through a
:class:`~r1safe.backends.chat_endpoint.ChatEndpoint` and assembles the scores.

- A part that does not apply (a truncated reply has no answer) is not sent; its scores stay None.
- A failed request (after retries) or an unreadable output gives ``judge_failed: True`` and None
  for every other score of that reply; it is counted (``failures``, and the ``judge_failures``
  metric), never raised and never dropped.
- The endpoint is checked once when the judge is built: nothing answering is one line
  (``judge endpoint http://... unreachable: <reason>``, a ConfigError, exit code 2 in the CLI).
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from typing import Any

from r1safe.backends.chat_endpoint import ChatEndpoint, Messages
from r1safe.errors import ConfigError
from r1safe.eval.judges.base import Scores
from r1safe.records import Sample
from r1safe.text.think_format import ParsedReply, parse_reply

log = logging.getLogger(__name__)


class UnreadableOutput(ValueError):
    """The judge model answered, but not in the form its prompt asks for."""


def resolve_endpoint(name: str, model: str | None, base_url: str | None, api_key: str | None,
                     **client: Any) -> ChatEndpoint:
    """A client from parameters, else ``R1SAFE_JUDGE_MODEL`` / ``R1SAFE_JUDGE_BASE_URL`` (then
    ``OPENAI_BASE_URL``) / ``OPENAI_API_KEY``; one line naming what is missing."""
    model = model or os.environ.get("R1SAFE_JUDGE_MODEL")
    base_url = base_url or os.environ.get("R1SAFE_JUDGE_BASE_URL") or os.environ.get("OPENAI_BASE_URL")
    if not model:
        raise ConfigError(f"judge {name}: no judge model; pass model=... or set R1SAFE_JUDGE_MODEL")
    if not base_url:
        raise ConfigError(f"judge {name}: no endpoint; pass base_url=... (e.g. http://localhost:8000/v1) "
                          "or set R1SAFE_JUDGE_BASE_URL")
    return ChatEndpoint(model, base_url, api_key or os.environ.get("OPENAI_API_KEY", "EMPTY"), **client)


def target_prompt(sample: Sample) -> str:
    """The request the reply is judged against: ``reference["forbidden_prompt"]`` when a dataset
    keeps the plain request apart from a jailbreak wrapper (as StrongREJECT does), else the last
    user message."""
    original = sample.reference.get("forbidden_prompt")
    return original if isinstance(original, str) and original else sample.last_user_text


def judged_parts(reply: ParsedReply, with_reasoning: bool) -> dict[str, str]:
    """``{"answer": …, "reasoning": …}``: the answer unless the think block never closed, and the
    reasoning when asked for and present."""
    answer = reply.judged_answer
    parts = {"answer": answer} if answer is not None else {}
    if with_reasoning and reply.reasoning:
        parts["reasoning"] = reply.reasoning
    return parts


class EndpointJudge:
    """Base of the endpoint judges (see the module doc)."""

    name = "endpoint"
    score_names: tuple[str, ...] = ()
    default_max_tokens: int | None = None

    def __init__(self, model: str | None = None, base_url: str | None = None, api_key: str | None = None,
                 concurrency: int = 8, timeout: float = 60.0, max_retries: int = 4, backoff: float = 1.0,
                 max_tokens: int | None = None, think_forced: bool = True, probe: bool = True) -> None:
        self.endpoint = resolve_endpoint(self.name, model, base_url, api_key, concurrency=concurrency,
                                         timeout=timeout, max_retries=max_retries, backoff=backoff,
                                         max_tokens=max_tokens or self.default_max_tokens)
        self.think_forced = think_forced
        self.failures: Counter[str] = Counter()
        if probe:
            self.endpoint.probe()

    def prompts(self, sample: Sample, reply: ParsedReply) -> dict[str, Messages]:
        """The judge prompts this reply needs, by part (``"answer"``, ``"reasoning"``)."""
        raise NotImplementedError

    def read(self, part: str, output: str) -> Scores:
        """Scores from the judge model's ``output`` for ``part``; :class:`UnreadableOutput` if malformed."""
        raise NotImplementedError

    def judge(self, sample: Sample, text: str) -> Scores:
        """Scores for one reply (one round of requests)."""
        return self.judge_batch([sample], [text])[0]

    def judge_batch(self, samples: list[Sample], texts: list[str]) -> list[Scores]:
        """Scores for many replies; every request of the batch is in flight together (bounded)."""
        wanted = [self.prompts(s, parse_reply(t, think_forced=self.think_forced))
                  for s, t in zip(samples, texts, strict=True)]
        flat = [(i, part, messages) for i, parts in enumerate(wanted) for part, messages in parts.items()]
        results = self.endpoint.complete([messages for _, _, messages in flat])
        scores: list[Scores] = [{**dict.fromkeys(self.score_names), "judge_failed": False} for _ in texts]
        failed: dict[int, str] = {}
        for (i, part, _), result in zip(flat, results, strict=True):
            if i in failed:
                continue
            if result.text is None:
                failed[i] = f"{part}: {result.failure}"
                continue
            try:
                scores[i].update(self.read(part, result.text))
            except UnreadableOutput as err:
                failed[i] = f"{part}: {err}"
        for i, reason in failed.items():
            scores[i] = {**dict.fromkeys(self.score_names), "judge_failed": True}
            self.failures[reason] += 1
        if failed:
            first = min(failed)
            log.warning("judge %s failed on %d of %d replies (first, %s: %s)", self.name, len(failed), len(texts),
                        samples[first].id, failed[first])
        return scores
