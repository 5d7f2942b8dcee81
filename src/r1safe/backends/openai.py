"""The OpenAI-compatible HTTP backend: any server with ``POST {base_url}/chat/completions``.

Works with vLLM, SGLang, llama.cpp, TGI and hosted APIs. Each of the ``n`` samples is its own
request (``n=1``, ``seed`` = run seed + sample index), so servers without ``n`` support work and a
resumed run asks for the same samples. Requests run with bounded concurrency and a timeout, and
are retried with exponential backoff on timeouts, connection errors, 429 and 5xx
(:func:`r1safe.backends.chat_endpoint.post_chat`, shared with the endpoint judges); a request that
still fails stops the run with one line.

Reasoning servers (vLLM's reasoning parser, DeepSeek's API) return the reasoning apart in
``reasoning_content`` (or ``reasoning``); the reply is rebuilt as
``<think>\\n{reasoning}\\n</think>\\n\\n{content}``, so judges read one canonical form. Content that
already holds ``</think>`` gets the forced ``<think>\\n`` opener back.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import httpx

from r1safe.backends.base import Batch, Completion, GenerationParams, Messages, with_opener
from r1safe.backends.chat_endpoint import post_chat
from r1safe.errors import R1SafeError


def rebuild_reply(message: dict[str, Any], force_think: bool = True) -> str:
    """The canonical reply text from a chat-completion ``message``.

    A server that sends reasoning apart (DeepSeek's ``reasoning_content``) has made ``content``
    all answer, even when the reasoning is empty or withheld (``null``, as the guard sends for a
    blocked reply); only a server without that field may carry the think block inside ``content``.
    """
    content = message.get("content") or ""
    key = next((k for k in ("reasoning_content", "reasoning") if k in message), None)
    if key is not None:
        reasoning = (message.get(key) or "").strip()
        return f"<think>\n{reasoning}\n</think>\n\n{content.strip()}"
    return with_opener(content, force_think)


class OpenAIBackend:
    """Sample replies from an OpenAI-compatible server (see the module doc)."""

    name = "openai"

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None,
                 concurrency: int = 8, timeout: float = 120.0, max_retries: int = 5,
                 backoff: float = 1.0, batch_size: int = 32) -> None:
        base_url = base_url or os.environ.get("OPENAI_BASE_URL")
        if not base_url:
            raise R1SafeError("the openai backend needs --base-url (e.g. http://localhost:8000/v1) "
                              "or OPENAI_BASE_URL")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY", "EMPTY")
        self.concurrency = max(1, concurrency)
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.backoff = backoff
        self.batch_size = max(1, batch_size)

    def generate(self, prompts: list[Messages], params: GenerationParams) -> list[list[Completion]]:
        """``params.n`` completions per prompt, in prompt order."""
        return asyncio.run(self._generate_all(prompts, params))

    def generate_iter(self, prompts: list[Messages], params: GenerationParams) -> Iterator[Batch]:
        """Yield (prompt indices, completions) for chunks of about ``batch_size`` requests."""
        per_batch = max(1, self.batch_size // params.n)
        for start in range(0, len(prompts), per_batch):
            idx = list(range(start, min(start + per_batch, len(prompts))))
            yield idx, self.generate([prompts[i] for i in idx], params)

    async def _generate_all(self, prompts: list[Messages],
                            params: GenerationParams) -> list[list[Completion]]:
        limit = asyncio.Semaphore(self.concurrency)
        headers = {"Authorization": f"Bearer {self.api_key}"}
        async with httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=self.timeout) as client:
            tasks = [[self._one(client, limit, p, params, i) for i in range(params.n)] for p in prompts]
            flat = await asyncio.gather(*(t for row in tasks for t in row))
        return [list(flat[k * params.n:(k + 1) * params.n]) for k in range(len(prompts))]

    async def _one(self, client: httpx.AsyncClient, limit: asyncio.Semaphore, messages: Messages,
                   params: GenerationParams, index: int) -> Completion:
        body = {
            "model": self.model, "messages": messages, "n": 1, "temperature": params.temperature,
            "top_p": params.top_p, "max_tokens": params.max_new_tokens, "seed": params.seed + index,
        }
        async with limit:
            data = await self._post(client, body)
        try:
            choice = data["choices"][0]
            message = choice["message"]
        except (KeyError, IndexError, TypeError):
            raise R1SafeError(f"{self.base_url}: the server's reply has no choices[0].message: "
                              f"{str(data)[:200]}") from None
        usage = data.get("usage") or {}
        return Completion(text=rebuild_reply(message, params.force_think),
                          finish_reason=choice.get("finish_reason") or "stop",
                          completion_tokens=int(usage.get("completion_tokens") or 0))

    async def _post(self, client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
        data, problem = await post_chat(client, body, self.timeout, self.max_retries, self.backoff)
        if data is None:
            raise R1SafeError(f"{self.base_url}/chat/completions {problem}; "
                              "is the server running and --base-url right?")
        return data


def make(**params: Any) -> OpenAIBackend:
    """Build the backend (``BACKENDS.create("openai", ...)`` calls this)."""
    return OpenAIBackend(**params)
