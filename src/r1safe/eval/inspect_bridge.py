"""How r1safe crosses into inspect-ai: samples in, replies out, judges as scorers.

- :func:`to_inspect_sample` / :func:`from_task_state`: an r1safe :class:`~r1safe.records.Sample`
  becomes an inspect ``Sample`` (chat messages, id, the rest as metadata) and back;
- :func:`reply_text`: a model output as the canonical ``<think>\\n…\\n</think>\\n\\nanswer`` text
  r1safe's judges read, rebuilt when the provider hands the reasoning back apart;
- :func:`r1safe_judge`: any judge of :data:`~r1safe.eval.judges.JUDGES` as an inspect scorer whose
  value is the judge's score dict, averaged key by key.

This module knows nothing about suites or tasks; :mod:`r1safe.cli.inspect_tasks` builds those.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Callable
from typing import Any

from inspect_ai.dataset import Sample as InspectSample
from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageUser,
    ContentReasoning,
    ModelOutput,
)
from inspect_ai.scorer import Score, Scorer, Target, mean, scorer, stderr
from inspect_ai.solver import TaskState

from r1safe.errors import ConfigError
from r1safe.eval.judges import JUDGES, Judge, Scores
from r1safe.records import Sample
from r1safe.text.think_format import THINK_CLOSE, THINK_OPEN

MESSAGE_TYPES: dict[str, type[ChatMessage]] = {
    "system": ChatMessageSystem,
    "user": ChatMessageUser,
    "assistant": ChatMessageAssistant,
}
# The Sample fields that travel as inspect metadata (id and prompt travel as the sample's own).
METADATA_FIELDS = ("split", "kind", "category", "language", "wrapper", "turns", "reference")


def to_inspect_sample(sample: Sample) -> InspectSample:
    """The inspect sample of ``sample``: its chat messages as input, its id, the rest as metadata."""
    messages = [MESSAGE_TYPES[m["role"]](content=m["content"]) for m in sample.prompt]
    return InspectSample(input=messages, id=sample.id, metadata=sample.model_dump(include=set(METADATA_FIELDS)))


def from_task_state(state: TaskState) -> Sample:
    """The r1safe sample a task state was made from (fields missing from its metadata take their
    defaults, so the scorers also read samples of tasks that are not r1safe's)."""
    if isinstance(state.input, str):
        prompt = [{"role": "user", "content": state.input}]
    else:
        prompt = [{"role": m.role, "content": m.text} for m in state.input if m.role in MESSAGE_TYPES]
    fields = {k: state.metadata[k] for k in METADATA_FIELDS if k in (state.metadata or {})}
    return Sample(id=str(state.sample_id), prompt=prompt, **fields)


def reply_text(output: ModelOutput) -> str:
    """The reply as r1safe's judges read it.

    Reasoning the provider returned apart (``ContentReasoning``) is put back in a think block; a
    reply cut off by the token limit before any answer keeps its block open, so it reads as
    truncated. A reply that closes ``</think>`` without opening it (a chat template that forced
    the opener) gets its opener back. Anything else is the completion as is.
    """
    if not output.choices:
        return output.completion
    message = output.message
    answer = message.text
    reasoning = ""
    if not isinstance(message.content, str):
        parts = [(c.summary or "") if c.redacted else c.reasoning
                 for c in message.content if isinstance(c, ContentReasoning)]
        reasoning = "\n".join(p.strip() for p in parts if p.strip())
    if reasoning:
        if not answer.strip() and output.stop_reason == "max_tokens":
            return f"{THINK_OPEN}\n{reasoning}"
        return f"{THINK_OPEN}\n{reasoning}\n{THINK_CLOSE}\n\n{answer.strip()}"
    if THINK_CLOSE in answer and not answer.lstrip().startswith(THINK_OPEN):
        return f"{THINK_OPEN}\n{answer}"
    return answer


def score_value(scores: Scores) -> dict[str, float]:
    """A judge's scores as an inspect score value: booleans as 1/0, ``None`` (does not apply) as
    NaN, which inspect leaves out of that key's metrics and epoch means."""
    return {k: math.nan if v is None else float(v) for k, v in scores.items()}


def build_judge(name: str, think_forced: bool, options: dict[str, Any]) -> Judge:
    """Judge ``name`` built with ``options``; ``think_forced`` is given to judges that take it."""
    if "think_forced" in options:
        return JUDGES.create(name, **options)
    try:
        return JUDGES.create(name, think_forced=think_forced, **options)
    except ConfigError as err:
        if "think_forced" not in str(err):
            raise
        return JUDGES.create(name, **options)


def judge_scorer(name: str) -> Callable[..., Scorer]:
    """The inspect scorer factory of judge ``name``, registered as ``r1safe/<name>``: called with
    ``think_forced`` and the judge's options, it builds the judge and returns the scorer. Every
    judge is registered when this module is imported, so ``inspect score`` rebuilds a log's
    scorers from their names and options."""

    @scorer(metrics={"*": [mean(), stderr()]}, name=name)
    def factory(think_forced: bool = False, **options: Any) -> Scorer:
        judge = build_judge(name, think_forced, options)
        lock = threading.Lock()

        def run_judge(sample: Sample, text: str) -> Scores:
            with lock:
                return judge.judge(sample, text)

        async def score(state: TaskState, target: Target) -> Score:
            scores = await asyncio.to_thread(run_judge, from_task_state(state), reply_text(state.output))
            return Score(value=score_value(scores))

        return score

    return factory


def r1safe_judge(name: str, think_forced: bool = False, **options: Any) -> Scorer:
    """Judge ``name`` of r1safe as an inspect scorer named after it.

    The score's value is the judge's score dict (see :func:`score_value`), and every key gets
    ``mean`` and ``stderr`` metrics. ``think_forced`` means the model's template opens the think
    block itself, so a reply without ``</think>`` is unfinished reasoning rather than an answer.
    The judge runs in a worker thread, one reply at a time, so model generation goes on meanwhile.
    """
    if name not in JUDGES:
        raise ConfigError(f"unknown judge {name!r}; known: {', '.join(JUDGES.names())}")
    factory = SCORERS.get(name) or judge_scorer(name)
    return factory(think_forced=think_forced, **options)


# Every registered judge's scorer factory, registered with inspect at import.
SCORERS = {name: judge_scorer(name) for name in JUDGES.names()}
