"""Where replies come from: an in-process evaluation backend, or an OpenAI-compatible server.

Both give the reply in r1safe's canonical form, ``<think>\\n`` reasoning ``</think>`` answer,
whole (:meth:`complete`) or in pieces (:meth:`stream`). Failures become :class:`UpstreamError`
(→ 502) or :class:`UpstreamTimeout` (→ 504); nothing here hangs past ``timeout_s``. An HTTP
reply with ``reasoning_content`` (DeepSeek's API, vLLM's reasoning parser, another r1safe) is
folded back into the canonical form; plain content without ``</think>`` is all answer.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from r1safe.backends.base import Backend, GenerationParams


class UpstreamError(Exception):
    """The upstream failed or is unreachable (HTTP 502)."""


class UpstreamTimeout(Exception):
    """The upstream did not answer within the policy's time limit (HTTP 504)."""


@dataclass
class UpstreamCall:
    messages: list[dict[str, str]]
    temperature: float
    top_p: float
    max_tokens: int
    seed: int | None = None
    force_think: bool = True
    tools: dict[str, Any] | None = None  # ``tools`` / ``tool_choice``, forwarded for keys allowed tools


@dataclass
class UpstreamReply:
    text: str
    finish_reason: str = "stop"
    completion_tokens: int = 0
    tool_calls: list[dict[str, Any]] | None = None


class Upstream(Protocol):
    name: str

    async def complete(self, call: UpstreamCall) -> UpstreamReply: ...

    def stream(self, call: UpstreamCall) -> AsyncIterator[str]: ...

    async def aclose(self) -> None: ...


class BackendUpstream:
    """An evaluation backend (e.g. the gym model through ``transformers``), micro-batched.

    Calls that arrive within ``window_s`` of each other are generated together, one backend call
    per group of equal sampling settings, in a worker thread; a single worker runs at a time.
    """

    def __init__(
        self,
        backend: Backend,
        name: str,
        timeout_s: float = 60.0,
        piece_chars: int = 12,
        window_s: float = 0.02,
        max_batch: int = 32,
    ) -> None:
        self.backend, self.name, self.timeout_s, self.piece_chars = backend, name, timeout_s, piece_chars
        self.window_s, self.max_batch = window_s, max_batch
        self._pending: list[tuple[UpstreamCall, asyncio.Future[UpstreamReply]]] = []
        self._worker: asyncio.Task[None] | None = None

    def _generate(self, calls: list[UpstreamCall]) -> list[UpstreamReply]:
        first = calls[0]
        params = GenerationParams(
            n=1,
            temperature=first.temperature,
            top_p=first.top_p,
            max_new_tokens=first.max_tokens,
            seed=first.seed or 0,
            force_think=first.force_think,
        )
        out = self.backend.generate([c.messages for c in calls], params)
        return [UpstreamReply(c[0].text, c[0].finish_reason, c[0].completion_tokens) for c in out]

    async def _drain(self) -> None:
        while self._pending:
            await asyncio.sleep(self.window_s)
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
            groups: dict[tuple[Any, ...], list[tuple[UpstreamCall, asyncio.Future[UpstreamReply]]]] = {}
            for call, fut in batch:
                if not fut.done():
                    key = (call.temperature, call.top_p, call.max_tokens, call.seed, call.force_think)
                    groups.setdefault(key, []).append((call, fut))
            for items in groups.values():
                try:
                    replies = await asyncio.to_thread(self._generate, [c for c, _ in items])
                except Exception as err:
                    for _, fut in items:
                        if not fut.done():
                            fut.set_exception(UpstreamError(f"model {self.name!r} failed: {type(err).__name__}"))
                    continue
                for (_, fut), reply in zip(items, replies, strict=True):
                    if not fut.done():
                        fut.set_result(reply)

    async def complete(self, call: UpstreamCall) -> UpstreamReply:
        if call.tools:
            raise UpstreamError(f"model {self.name!r} runs in-process and takes no tools; serve it with --upstream")
        fut: asyncio.Future[UpstreamReply] = asyncio.get_running_loop().create_future()
        self._pending.append((call, fut))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        try:
            return await asyncio.wait_for(fut, self.timeout_s)
        except TimeoutError:
            raise UpstreamTimeout(f"model {self.name!r} took longer than {self.timeout_s:g}s") from None

    async def stream(self, call: UpstreamCall) -> AsyncIterator[str]:
        reply = await self.complete(call)
        for i in range(0, len(reply.text), self.piece_chars):
            yield reply.text[i : i + self.piece_chars]

    async def aclose(self) -> None:
        if self._worker is not None:
            self._worker.cancel()


def canonical(reasoning: str | None, content: str | None) -> str:
    """Fold an OpenAI-style reply back into ``<think>\\n`` reasoning ``</think>`` answer."""
    content = content or ""
    if reasoning:
        return f"<think>\n{reasoning.strip()}\n</think>\n\n{content.strip()}"
    stripped = content.lstrip()
    if stripped.startswith("<think>"):
        return stripped
    if "</think>" in content:
        return "<think>\n" + stripped
    return f"<think>\n\n</think>\n\n{content}"


class HTTPUpstream:
    """Any OpenAI-compatible server (vLLM, another r1safe) at ``base_url`` (e.g. ``http://h:8000/v1``)."""

    accepts_tools = True  # forwarded only for keys the policy allows tools

    def __init__(
        self, base_url: str, model: str | None = None, api_key: str | None = None, timeout_s: float = 60.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = model or "upstream"
        self.model, self.timeout_s = model, timeout_s
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
        )

    def _body(self, call: UpstreamCall, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model or "default",
            "messages": call.messages,
            "stream": stream,
            "temperature": call.temperature,
            "top_p": call.top_p,
            "max_tokens": call.max_tokens,
        }
        if call.seed is not None:
            body["seed"] = call.seed
        body.update(call.tools or {})
        return body

    async def complete(self, call: UpstreamCall) -> UpstreamReply:
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await self.client.post("/chat/completions", json=self._body(call, False))
        except (TimeoutError, httpx.TimeoutException):
            raise UpstreamTimeout(f"upstream {self.base_url} took longer than {self.timeout_s:g}s") from None
        except httpx.HTTPError as err:
            raise UpstreamError(f"upstream {self.base_url} unreachable: {type(err).__name__}") from None
        if response.status_code >= 400:
            raise UpstreamError(f"upstream {self.base_url} answered HTTP {response.status_code}")
        try:
            data = response.json()
            choice = data["choices"][0]
            message = choice["message"]
            text = canonical(message.get("reasoning_content") or message.get("reasoning"), message.get("content"))
            tokens = int((data.get("usage") or {}).get("completion_tokens") or 0)
            finish = choice.get("finish_reason") or "stop"
            calls = message.get("tool_calls") or None
            if not isinstance(finish, str) or not (calls is None or isinstance(calls, list)):
                raise TypeError
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise UpstreamError(f"upstream {self.base_url} sent a malformed reply") from None
        return UpstreamReply(text, finish, tokens, calls)

    async def stream(self, call: UpstreamCall) -> AsyncIterator[str]:
        """Canonical text pieces from the upstream's SSE stream."""
        mode: str | None = None  # "reasoning" once reasoning_content arrives, "raw" or "answer" otherwise
        try:
            # No asyncio.timeout here: this generator is resumed from more than one task (the first
            # piece in the request handler, the rest in the response stream), and a task-bound
            # timeout would cancel the wrong one. httpx's read timeout bounds each wait instead.
            deadline = time.monotonic() + self.timeout_s
            async with self.client.stream("POST", "/chat/completions", json=self._body(call, True)) as response:
                if response.status_code >= 400:
                    raise UpstreamError(f"upstream {self.base_url} answered HTTP {response.status_code}")
                async for line in response.aiter_lines():
                    if time.monotonic() > deadline:
                        raise TimeoutError
                    if not line.startswith("data:"):
                        continue
                    payload = line[5:].strip()
                    if payload == "[DONE]":
                        break
                    delta = (json.loads(payload).get("choices") or [{}])[0].get("delta") or {}
                    reasoning = delta.get("reasoning_content") or delta.get("reasoning")
                    content = delta.get("content")
                    if not isinstance(reasoning, str | None) or not isinstance(content, str | None):
                        raise TypeError("a delta's text is not a string")
                    if reasoning:
                        if mode is None:
                            mode = "reasoning"
                            yield "<think>\n"
                        yield reasoning
                    if content:
                        if mode is None:
                            mode = "raw" if content.lstrip().startswith("<think>") else "answer"
                            yield "" if mode == "raw" else "<think>\n\n</think>\n\n"
                        elif mode == "reasoning":
                            mode = "answer"
                            yield "\n</think>\n\n"
                        yield content
        except (TimeoutError, httpx.TimeoutException):
            raise UpstreamTimeout(f"upstream {self.base_url} took longer than {self.timeout_s:g}s") from None
        except httpx.HTTPError as err:
            raise UpstreamError(f"upstream {self.base_url} unreachable: {type(err).__name__}") from None
        except (ValueError, AttributeError, IndexError, TypeError) as err:
            raise UpstreamError(f"upstream {self.base_url} sent a malformed stream") from err
        if mode == "reasoning":
            yield "\n</think>\n\n"

    async def aclose(self) -> None:
        await self.client.aclose()
