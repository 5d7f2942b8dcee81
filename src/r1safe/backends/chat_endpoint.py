"""One OpenAI-compatible chat endpoint: ``POST {base_url}/chat/completions``, retried and time-bounded.

Shared by the ``openai`` generation backend and the endpoint judges (StrongREJECT, the LLM refusal
judge). :func:`post_chat` is the one retry loop: each try is bounded by ``timeout`` seconds (the
whole request, not only the gap between bytes), and timeouts, connection errors, 429 and 5xx are
retried with exponential backoff. It returns the server's JSON or the reason it gave up; it never
raises, so a caller decides whether a failure is fatal (generation) or counted (a judge).

:class:`ChatEndpoint` is the synchronous face the judges use: many conversations in, one
:class:`ChatResult` (text or failure reason) per conversation out, at most ``concurrency`` requests
in flight, ``temperature`` 0. It knows nothing about prompts or scores.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from r1safe.errors import ConfigError

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
Messages = list[dict[str, str]]
T = TypeVar("T")


async def post_chat(client: httpx.AsyncClient, body: dict[str, Any], timeout: float, max_retries: int,
                    backoff: float) -> tuple[dict[str, Any] | None, str]:
    """(the server's JSON reply, "") or (None, why it failed) after up to ``max_retries`` retries."""
    problem = ""
    for attempt in range(max_retries + 1):
        try:
            response = await asyncio.wait_for(client.post("/chat/completions", json=body), timeout)
            if response.status_code < 400:
                try:
                    return response.json(), ""
                except ValueError:
                    return None, f"the reply is not JSON: {response.text[:200]!r}"
            if response.status_code not in RETRY_STATUS:
                return None, f"answered HTTP {response.status_code}: {response.text[:200]}"
            problem = f"HTTP {response.status_code}"
        except (TimeoutError, httpx.TimeoutException):
            problem = f"no reply within {timeout:g} s"
        except httpx.TransportError as err:
            problem = f"{type(err).__name__}: {err}"
        if attempt < max_retries:
            await asyncio.sleep(backoff * 2**attempt)
    return None, f"failed after {max_retries + 1} tries ({problem})"


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to the end from synchronous code, also when an event loop is already running
    in this thread (an async caller such as an inspect-ai scorer): then in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@dataclass(frozen=True)
class ChatResult:
    """One request's outcome: the reply's text, or why there is none."""

    text: str | None = None
    failure: str | None = None


class ChatEndpoint:
    """A chat-completions client for judges (see the module doc)."""

    def __init__(self, model: str, base_url: str, api_key: str = "EMPTY", concurrency: int = 8,
                 timeout: float = 60.0, max_retries: int = 4, backoff: float = 1.0,
                 max_tokens: int | None = None) -> None:
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.concurrency = max(1, concurrency)
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.backoff = backoff
        self.max_tokens = max_tokens

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def probe(self, who: str = "judge") -> None:
        """Fail fast, in one line, when nothing answers at ``base_url`` or it rejects the key.

        ``GET {base_url}/models`` is cheap and served by vLLM, SGLang, llama.cpp and hosted APIs;
        any HTTP answer other than 401/403 counts as reachable (a server without the route still
        answered)."""
        url = f"{self.base_url}/models"
        try:
            response = httpx.get(url, headers=self.headers, timeout=min(self.timeout, 10.0))
        except httpx.HTTPError as err:
            reason = str(err) or type(err).__name__
            raise ConfigError(f"{who} endpoint {self.base_url} unreachable: {reason}") from None
        if response.status_code in (401, 403):
            raise ConfigError(f"{who} endpoint {self.base_url} rejected the api key (HTTP {response.status_code}); "
                              "pass api_key= or set OPENAI_API_KEY")

    def complete(self, conversations: list[Messages]) -> list[ChatResult]:
        """One result per conversation, in order; failures are results, never exceptions."""
        if not conversations:
            return []
        return run_sync(self._complete_all(conversations))

    async def _complete_all(self, conversations: list[Messages]) -> list[ChatResult]:
        limit = asyncio.Semaphore(self.concurrency)
        async with httpx.AsyncClient(base_url=self.base_url, headers=self.headers, timeout=self.timeout) as client:
            return list(await asyncio.gather(*(self._one(client, limit, m) for m in conversations)))

    async def _one(self, client: httpx.AsyncClient, limit: asyncio.Semaphore, messages: Messages) -> ChatResult:
        body: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": 0}
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        async with limit:
            data, problem = await post_chat(client, body, self.timeout, self.max_retries, self.backoff)
        if data is None:
            return ChatResult(failure=problem)
        try:
            content = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            return ChatResult(failure=f"the reply has no choices[0].message.content: {str(data)[:200]}")
        if not isinstance(content, str):
            return ChatResult(failure="the reply's content is empty")
        return ChatResult(text=content)
