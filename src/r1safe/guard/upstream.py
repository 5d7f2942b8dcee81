"""Where replies come from: an in-process evaluation backend, or an OpenAI-compatible server.

Both give the reply in r1safe's canonical form, ``<think>\\n`` reasoning ``</think>`` answer,
whole (:meth:`complete`) or in pieces as they are generated (:meth:`stream`: text pieces, then one
:class:`UpstreamEnd` with the finish reason and token counts, so a streamed reply cut by its token
budget says ``length`` as the whole one does). Failures become :class:`UpstreamError` (→ 502) or
:class:`UpstreamTimeout` (→ 504); nothing here hangs past ``timeout_s``. An HTTP reply with
``reasoning_content`` (DeepSeek's API, vLLM's reasoning parser, another r1safe) is folded back
into the canonical form; plain content without ``</think>`` is all answer.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from r1safe.backends.base import Backend, GenerationParams, StreamStep


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
    prompt_tokens: int = 0


@dataclass(frozen=True)
class UpstreamEnd:
    """The last item of a stream: why the reply ended (``stop``, ``length``) and its token counts."""

    finish_reason: str = "stop"
    completion_tokens: int = 0
    prompt_tokens: int = 0


Piece = str | UpstreamEnd


@dataclass(frozen=True)
class UpstreamHealth:
    ok: bool
    detail: str = "ok"


class Upstream(Protocol):
    name: str

    async def complete(self, call: UpstreamCall) -> UpstreamReply: ...

    def stream(self, call: UpstreamCall) -> AsyncIterator[Piece]: ...

    async def health(self) -> UpstreamHealth: ...

    async def aclose(self) -> None: ...


class BackendUpstream:
    """An evaluation backend (e.g. the gym model through ``transformers``), micro-batched.

    Calls that arrive within ``window_s`` of each other are generated together, one backend call
    per group of equal sampling settings, in a worker thread; a single worker runs at a time.
    A stream is sampled token by token in its own thread when the backend can (``stream``, the
    transformers backend), at most ``max_streams`` at once; others are generated whole, then sliced.
    """

    def __init__(
        self,
        backend: Backend,
        name: str,
        timeout_s: float = 60.0,
        piece_chars: int = 12,
        window_s: float = 0.02,
        max_batch: int = 32,
        max_streams: int = 4,
    ) -> None:
        self.backend, self.name, self.timeout_s, self.piece_chars = backend, name, timeout_s, piece_chars
        self.window_s, self.max_batch = window_s, max_batch
        self._pending: list[tuple[UpstreamCall, asyncio.Future[UpstreamReply]]] = []
        self._worker: asyncio.Task[None] | None = None
        self._streams = asyncio.Semaphore(max_streams)

    @staticmethod
    def _params(call: UpstreamCall) -> GenerationParams:
        return GenerationParams(
            n=1,
            temperature=call.temperature,
            top_p=call.top_p,
            max_new_tokens=call.max_tokens,
            seed=call.seed or 0,
            force_think=call.force_think,
        )

    def _prompt_tokens(self, calls: list[UpstreamCall]) -> list[int]:
        count = getattr(self.backend, "prompt_tokens", None)
        if count is None:
            return [0] * len(calls)
        return list(count([c.messages for c in calls], calls[0].force_think))

    def _generate(self, calls: list[UpstreamCall]) -> list[UpstreamReply]:
        out = self.backend.generate([c.messages for c in calls], self._params(calls[0]))
        prompt_tokens = self._prompt_tokens(calls)
        return [
            UpstreamReply(c[0].text, c[0].finish_reason, c[0].completion_tokens, None, p)
            for c, p in zip(out, prompt_tokens, strict=True)
        ]

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

    def _no_tools(self, call: UpstreamCall) -> None:
        if call.tools:
            raise UpstreamError(f"model {self.name!r} runs in-process and takes no tools; serve it with --upstream")

    async def complete(self, call: UpstreamCall) -> UpstreamReply:
        self._no_tools(call)
        fut: asyncio.Future[UpstreamReply] = asyncio.get_running_loop().create_future()
        self._pending.append((call, fut))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        try:
            return await asyncio.wait_for(fut, self.timeout_s)
        except TimeoutError:
            raise UpstreamTimeout(f"model {self.name!r} took longer than {self.timeout_s:g}s") from None

    async def stream(self, call: UpstreamCall) -> AsyncIterator[Piece]:
        """The reply's text as it is sampled, then its :class:`UpstreamEnd`."""
        self._no_tools(call)
        native = getattr(self.backend, "stream", None)
        if native is None:
            reply = await self.complete(call)
            for i in range(0, len(reply.text), self.piece_chars):
                yield reply.text[i : i + self.piece_chars]
            yield UpstreamEnd(reply.finish_reason, reply.completion_tokens, reply.prompt_tokens)
            return
        # No asyncio.timeout here either (see HTTPUpstream.stream): each wait has its own deadline.
        deadline = time.monotonic() + self.timeout_s
        try:
            await asyncio.wait_for(self._streams.acquire(), self.timeout_s)
        except TimeoutError:
            raise UpstreamTimeout(f"model {self.name!r} took longer than {self.timeout_s:g}s") from None
        steps = _ThreadedSteps(lambda stop: native(call.messages, self._params(call), should_stop=stop))
        try:
            while True:
                step = await steps.next(deadline - time.monotonic())
                if step is None:
                    raise UpstreamTimeout(f"model {self.name!r} took longer than {self.timeout_s:g}s")
                if isinstance(step, BaseException):
                    raise UpstreamError(f"model {self.name!r} failed: {type(step).__name__}") from step
                if step.text:
                    yield step.text
                if step.finish_reason is not None:
                    yield UpstreamEnd(step.finish_reason, step.completion_tokens, step.prompt_tokens)
                    return
        finally:
            steps.stop()
            self._streams.release()

    async def health(self) -> UpstreamHealth:
        return UpstreamHealth(True, f"in-process model {self.name!r}")

    async def aclose(self) -> None:
        if self._worker is not None:
            self._worker.cancel()


class _ThreadedSteps:
    """A blocking iterator of :class:`~r1safe.backends.base.StreamStep` run in its own thread (not
    the event loop's pool, which screening needs), its items handed over through a queue."""

    def __init__(self, start: Callable[[Callable[[], bool]], Iterator[StreamStep]]) -> None:
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.stopped = threading.Event()
        threading.Thread(target=self._run, args=(start,), daemon=True, name="r1safe-stream").start()

    def _put(self, item: Any) -> None:
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:  # the event loop is closed: nobody is listening any more
            self.stopped.set()

    def _run(self, start: Callable[[Callable[[], bool]], Iterator[StreamStep]]) -> None:
        try:
            for step in start(self.stopped.is_set):
                if self.stopped.is_set():
                    return
                self._put(step)
        except BaseException as err:  # handed to the request, which answers 502
            self._put(err)

    async def next(self, timeout_s: float) -> StreamStep | BaseException | None:
        """The next step, the error that ended the thread, or None after ``timeout_s``."""
        try:
            return await asyncio.wait_for(self.queue.get(), max(timeout_s, 0.0))
        except TimeoutError:
            return None

    def stop(self) -> None:
        self.stopped.set()


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
    """Any OpenAI-compatible server (vLLM, another r1safe) at ``base_url`` (e.g. ``http://h:8000/v1``).

    ``api_key`` is sent as ``Authorization: Bearer`` (``r1safe serve`` reads it from
    ``$R1SAFE_UPSTREAM_KEY``, or the variable ``--upstream-key-env`` names)."""

    accepts_tools = True  # forwarded only for keys the policy allows tools

    def __init__(
        self, base_url: str, model: str | None = None, api_key: str | None = None, timeout_s: float = 60.0,
        key_hint: str = "R1SAFE_UPSTREAM_KEY",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = model or "upstream"
        self.model, self.timeout_s = model, timeout_s
        self.key_hint = key_hint
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
        if stream:
            body["stream_options"] = {"include_usage": True}
        if call.seed is not None:
            body["seed"] = call.seed
        body.update(call.tools or {})
        return body

    def _status_error(self, status: int) -> UpstreamError:
        hint = f" (its API key comes from ${self.key_hint})" if status in (401, 403) else ""
        return UpstreamError(f"upstream {self.base_url} answered HTTP {status}{hint}")

    async def complete(self, call: UpstreamCall) -> UpstreamReply:
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await self.client.post("/chat/completions", json=self._body(call, False))
        except (TimeoutError, httpx.TimeoutException):
            raise UpstreamTimeout(f"upstream {self.base_url} took longer than {self.timeout_s:g}s") from None
        except httpx.HTTPError as err:
            raise UpstreamError(f"upstream {self.base_url} unreachable: {type(err).__name__}") from None
        if response.status_code >= 400:
            raise self._status_error(response.status_code)
        try:
            data = response.json()
            choice = data["choices"][0]
            message = choice["message"]
            text = canonical(message.get("reasoning_content") or message.get("reasoning"), message.get("content"))
            usage = data.get("usage") or {}
            tokens = int(usage.get("completion_tokens") or 0)
            prompt_tokens = int(usage.get("prompt_tokens") or 0)
            finish = choice.get("finish_reason") or "stop"
            calls = message.get("tool_calls") or None
            if not isinstance(finish, str) or not (calls is None or isinstance(calls, list)):
                raise TypeError
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise UpstreamError(f"upstream {self.base_url} sent a malformed reply") from None
        return UpstreamReply(text, finish, tokens, calls, prompt_tokens)

    async def stream(self, call: UpstreamCall) -> AsyncIterator[Piece]:
        """Canonical text pieces from the upstream's SSE stream, then its :class:`UpstreamEnd`."""
        mode: str | None = None  # "reasoning" once reasoning_content arrives, "raw" or "answer" otherwise
        finish, usage = "stop", dict[str, Any]()
        try:
            # No asyncio.timeout here: this generator is resumed from more than one task (the first
            # piece in the request handler, the rest in the response stream), and a task-bound
            # timeout would cancel the wrong one. httpx's read timeout bounds each wait instead.
            deadline = time.monotonic() + self.timeout_s
            async with self.client.stream("POST", "/chat/completions", json=self._body(call, True)) as response:
                if response.status_code >= 400:
                    raise self._status_error(response.status_code)
                async for line in response.aiter_lines():
                    if time.monotonic() > deadline:
                        raise TimeoutError
                    if not line.startswith("data:"):
                        continue
                    payload = line[5:].strip()
                    if payload == "[DONE]":
                        break
                    event = json.loads(payload)
                    usage = event.get("usage") or usage
                    choice = (event.get("choices") or [{}])[0]
                    finish = choice.get("finish_reason") or finish
                    delta = choice.get("delta") or {}
                    reasoning = delta.get("reasoning_content") or delta.get("reasoning")
                    content = delta.get("content")
                    if not isinstance(reasoning, str | None) or not isinstance(content, str | None):
                        raise TypeError("a delta's text is not a string")
                    if not isinstance(finish, str):
                        raise TypeError("finish_reason is not a string")
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
                end = UpstreamEnd(
                    finish, int(usage.get("completion_tokens") or 0), int(usage.get("prompt_tokens") or 0)
                )
        except (TimeoutError, httpx.TimeoutException):
            raise UpstreamTimeout(f"upstream {self.base_url} took longer than {self.timeout_s:g}s") from None
        except httpx.HTTPError as err:
            raise UpstreamError(f"upstream {self.base_url} unreachable: {type(err).__name__}") from None
        except (ValueError, AttributeError, IndexError, TypeError) as err:
            raise UpstreamError(f"upstream {self.base_url} sent a malformed stream") from err
        if mode == "reasoning" and finish != "length":  # a cut reply keeps its think block open
            yield "\n</think>\n\n"
        yield end

    async def health(self) -> UpstreamHealth:
        """Whether the upstream answers ``GET /models`` with this key (a 401 is not healthy)."""
        try:
            response = await self.client.get("/models", timeout=min(self.timeout_s, 5.0))
        except httpx.HTTPError as err:
            return UpstreamHealth(False, f"upstream {self.base_url} unreachable: {type(err).__name__}")
        if response.status_code >= 400:
            return UpstreamHealth(False, str(self._status_error(response.status_code)))
        return UpstreamHealth(True, f"upstream {self.base_url}")

    async def aclose(self) -> None:
        await self.client.aclose()
