"""Stream mode: release text only after it has been screened, a window at a time.

The upstream's pieces are gathered; whenever ``stream.window_chars`` new characters are waiting
(or the upstream ends) the reasoning and answer so far are screened by parts (sentences and
windows, each scored once and remembered, so the cost grows with the new text), and only then
is the new part sent, reasoning as ``delta.reasoning_content`` and answer as ``delta.content``. A block
ends the stream with ``finish_reason: "content_filter"``. Requests that need the whole answer
before anything can go out (JSON format, language regenerate/block, domain-expert holds) run
the non-stream flow and are sent as chunks afterwards; so do requests with tools. An upstream
that fails or stalls mid-stream ends the stream with an error event and ``[DONE]``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from r1safe.guard.schemas import ChatRequest, GuardHTTPError, chunk, error_body
from r1safe.guard.service import Guard, Outcome
from r1safe.guard.upstream import Piece, UpstreamEnd, UpstreamError, UpstreamTimeout
from r1safe.text.think_format import THINK_CLOSE


def sse(data: dict[str, Any] | str) -> str:
    return f"data: {data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)}\n\n"


def needs_buffer(guard: Guard, outcome: Outcome) -> bool:
    prepared = outcome.prepared
    return (
        bool(prepared and (prepared.json_mode or prepared.tools))
        or guard.policy.language.action != "flag"
        or (guard.policy.review.domain_expert)
    )


def _stable(text: str) -> str:
    """``text`` less a trailing partial ``</think>`` that the next piece may complete."""
    for k in range(len(THINK_CLOSE) - 1, 0, -1):
        if text.endswith(THINK_CLOSE[:k]):
            return text[:-k]
    return text


class Releaser:
    """Tracks what has been sent and turns newly screened text into delta chunks."""

    def __init__(self, guard: Guard, outcome: Outcome) -> None:
        self.guard, self.outcome = guard, outcome
        self.sent_reasoning = self.sent_answer = 0
        self.created = int(time.time())  # Unix time, as OpenAI's `created`
        self.with_usage = False

    def chunk(self, delta: dict[str, Any], finish: str | None = None, final: bool = False) -> str:
        o = self.outcome
        return sse(chunk(o.request_id, o.model, delta, finish, self.guard.info(o) if final else None, self.created))

    def usage(self) -> str:
        """OpenAI's usage chunk (``stream_options.include_usage``): no choices, the token counts."""
        o = self.outcome
        body = chunk(o.request_id, o.model, {}, None, None, self.created)
        body["choices"] = []
        body["usage"] = self.guard.usage(o).model_dump()
        return sse(body)

    def release(self, reasoning: str, answer: str) -> list[str]:
        out = []
        if len(reasoning) > self.sent_reasoning:
            if self.guard.policy.reasoning.returned:
                out.append(self.chunk({"reasoning_content": reasoning[self.sent_reasoning :]}))
            self.sent_reasoning = len(reasoning)
        if len(answer) > self.sent_answer:
            out.append(self.chunk({"content": answer[self.sent_answer :]}))
            self.sent_answer = len(answer)
        return out


async def stream_reply(guard: Guard, outcome: Outcome, request: ChatRequest) -> AsyncIterator[str]:
    """SSE lines for an admitted request; the first upstream piece is awaited before this returns,
    so an upstream that is down or slow still gets a plain 502/504 reply."""
    rel = Releaser(guard, outcome)
    rel.with_usage = bool(request.stream_options and request.stream_options.include_usage)
    head = rel.chunk({"role": "assistant", "content": ""})
    if outcome.verdict == "blocked" or needs_buffer(guard, outcome):
        if outcome.verdict != "blocked":
            await guard.chat(outcome, request)
        return _buffered(guard, outcome, rel, head)
    pieces = guard.upstream.stream(guard.call(outcome.prepared))  # type: ignore[arg-type]
    start = _now()
    try:
        first = await anext(pieces, None)
    except UpstreamTimeout as err:
        raise GuardHTTPError(504, str(err), "upstream_error", "upstream_timeout") from None
    except UpstreamError as err:
        raise GuardHTTPError(502, str(err), "upstream_error", "upstream_error") from None
    finally:
        outcome.upstream_ms += (_now() - start) * 1000
    return _windows(guard, outcome, rel, head, first, pieces)


def _now() -> float:
    return time.perf_counter()


async def _buffered(guard: Guard, outcome: Outcome, rel: Releaser, head: str) -> AsyncIterator[str]:
    yield head
    for line in rel.release(outcome.reasoning, outcome.answer):
        yield line
    if outcome.tool_calls and outcome.verdict != "held":
        yield rel.chunk({"tool_calls": [{**call, "index": i} for i, call in enumerate(outcome.tool_calls)]})
    for line in _finish(guard, outcome, rel):
        yield line
    yield sse("[DONE]")


def _finish(guard: Guard, outcome: Outcome, rel: Releaser) -> list[str]:
    """The last chunk (and the usage chunk when asked for); the audit record is committed first."""
    guard.record(outcome, 200)
    return [rel.chunk({}, outcome.finish_reason, final=True), *([rel.usage()] if rel.with_usage else [])]


def _end(outcome: Outcome, end: UpstreamEnd | None) -> None:
    """Take the upstream's finish reason and token counts (``stop`` when it sent none)."""
    if end is not None:
        outcome.finish_reason = end.finish_reason
        outcome.completion_tokens += end.completion_tokens
        outcome.prompt_tokens += end.prompt_tokens


async def _windows(
    guard: Guard, outcome: Outcome, rel: Releaser, head: str, first: Piece | None, pieces: AsyncIterator[Piece]
) -> AsyncIterator[str]:
    window = guard.policy.stream.window_chars
    text, screened_at, recorded = "", 0, False
    done = first is None or isinstance(first, UpstreamEnd)
    if isinstance(first, str):
        text = first
    elif isinstance(first, UpstreamEnd):
        _end(outcome, first)
    try:
        yield head
        while True:
            if not done and len(text) - screened_at < window:
                start = _now()
                try:
                    piece = await anext(pieces, None)
                finally:
                    outcome.upstream_ms += (_now() - start) * 1000
                if piece is None or isinstance(piece, UpstreamEnd):
                    done = True
                    _end(outcome, piece)
                else:
                    text += piece
                    continue
            stable = text if done else _stable(text)
            reply = guard.parse(stable)
            verdict = await asyncio.to_thread(guard.screen_output, outcome, reply.reasoning, reply.answer)
            screened_at = len(text)
            if verdict.blocked and verdict.reason:
                outcome.verdict, outcome.reason, outcome.judge = "blocked", verdict.reason, verdict.judge
                outcome.finish_reason = "content_filter"
                if rel.sent_answer == 0:
                    yield rel.chunk({"content": guard.refusal(outcome)})
                recorded = True
                for line in _finish(guard, outcome, rel):
                    yield line
                break
            for line in rel.release(reply.reasoning, reply.answer):
                yield line
            if done:
                outcome.reasoning, outcome.answer = reply.reasoning, reply.answer
                outcome.note_ending(reply, outcome.finish_reason)
                if verdict.flagged:
                    outcome.flags.append("output_flagged")
                if not guard.language_ok(outcome, reply.answer, reply.reasoning):
                    outcome.flags.append("language_mismatch")
                guard.maybe_hold(outcome)
                recorded = True
                for line in _finish(guard, outcome, rel):
                    yield line
                break
        yield sse("[DONE]")
    except (UpstreamError, UpstreamTimeout) as err:
        code, status = ("upstream_timeout", 504) if isinstance(err, UpstreamTimeout) else ("upstream_error", 502)
        if not recorded:
            recorded = True
            guard.record(outcome, status, str(err))
        yield sse(error_body(str(err), "upstream_error", code))
        yield sse("[DONE]")
    finally:
        if not recorded:  # the client went away mid-stream
            guard.record(outcome, 499, "client closed the stream")
        close = getattr(pieces, "aclose", None)
        if close is not None:  # stop generating what nobody will read (a block, a client gone)
            await close()
