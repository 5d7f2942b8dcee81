"""The HTTP routes of ``r1safe serve``: OpenAI-compatible chat completions, models, health.

Routes only: they read the body (size-limited), parse it, and hand over to
:class:`~r1safe.guard.service.Guard`. Every failure is OpenAI's error shape with the right
status (400 bad JSON or request, 401 key, 413 size, 429 rate, 502/504 upstream), never a stack
trace; every chat request is audited exactly once, whatever its outcome.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from r1safe.guard.schemas import ChatRequest, GuardHTTPError, error_body
from r1safe.guard.security import ApiKey, FailedAuth
from r1safe.guard.service import Guard, Outcome, new_request_id
from r1safe.guard.streaming import stream_reply

log = logging.getLogger("r1safe.guard")
UNAUTHENTICATED = ApiKey("unauthenticated", "unauthenticated", b"")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, or a 413 as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise GuardHTTPError(
            413,
            f"request body of {declared} bytes exceeds limits.max_body_bytes={limit}",
            code="request_too_large",
        )
    body = bytearray()
    async for part in request.stream():
        body.extend(part)
        if len(body) > limit:
            raise GuardHTTPError(413, f"request body exceeds limits.max_body_bytes={limit}", code="request_too_large")
    return bytes(body)


async def read_body_within(request: Request, limit: int, timeout_s: float) -> bytes:
    """:func:`read_body`, or a 408 when the client takes longer than ``timeout_s`` to send it."""
    try:
        async with asyncio.timeout(timeout_s):
            return await read_body(request, limit)
    except TimeoutError:
        raise GuardHTTPError(
            408, f"the request body took longer than limits.body_timeout_s={timeout_s:g}s", code="body_timeout"
        ) from None


def parse_request(raw: bytes) -> ChatRequest:
    """A :class:`ChatRequest` or a 400 naming what is wrong (bad JSON, nesting too deep, lone surrogates)."""
    try:
        data = json.loads(raw)
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # lone surrogates ("\ud800") cannot be encoded
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise GuardHTTPError(400, f"the body is not valid JSON: {err}", code="invalid_json") from None
    except RecursionError:
        raise GuardHTTPError(400, "the body's JSON is nested too deeply", code="invalid_json") from None
    except UnicodeEncodeError:
        raise GuardHTTPError(
            400, "the body holds a lone UTF-16 surrogate (\\ud800-\\udfff)", code="invalid_json"
        ) from None
    try:
        return ChatRequest.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise GuardHTTPError(400, f"{where}: {first['msg']}", code="invalid_request", param=where) from None


def create_app(guard: Guard) -> FastAPI:
    """The FastAPI app serving ``guard``; closes the upstream and the audit log on shutdown."""

    @asynccontextmanager
    async def lifespan(_: FastAPI):  # type: ignore[no-untyped-def]
        health = await guard.upstream.health()
        if not health.ok:
            log.warning("%s; /health answers 503 until it answers", health.detail)
        yield
        await guard.upstream.aclose()
        guard.audit.close()

    failed_auth = FailedAuth()
    app = FastAPI(title="r1safe guard", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, err: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(error_body(str(err.detail), "invalid_request_error", "not_found"), err.status_code)

    @app.exception_handler(GuardHTTPError)
    async def _guard_error(_: Request, err: GuardHTTPError) -> JSONResponse:
        return JSONResponse(err.body(), err.status, headers=err.headers)

    @app.get("/health")
    async def health() -> JSONResponse:
        """``ok`` only when the upstream answers too (a wrong upstream key is 503, not ok)."""
        upstream = await guard.upstream.health()
        body = {
            "status": "ok" if upstream.ok else "upstream_unavailable",
            "model": guard.served_model,
            "policy": f"{guard.policy.version}@{guard.policy_hash}",
            "upstream": upstream.detail,
        }
        return JSONResponse(body, 200 if upstream.ok else 503)

    @app.post("/v1/responses")
    async def responses() -> JSONResponse:
        raise GuardHTTPError(
            404,
            "the guard serves the Chat Completions API (/v1/chat/completions), not the Responses API; with "
            "inspect-ai's openai provider pass -M responses_api=false",
            code="not_found",
        )

    @app.get("/v1/models")
    async def models(request: Request) -> dict[str, Any]:
        guard.authenticate(request.headers.get("authorization"))
        return {
            "object": "list",
            "data": [{"id": guard.served_model, "object": "model", "created": 0, "owned_by": "r1safe"}],
        }

    @app.get("/v1/held/{review_id}")
    async def held(review_id: int, request: Request) -> dict[str, Any]:
        key = guard.authenticate(request.headers.get("authorization"))
        return guard.held_answer(review_id, key)

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Any:
        outcome = Outcome(new_request_id(), UNAUTHENTICATED, time.perf_counter(), guard.served_model)
        headers = {"X-Request-ID": outcome.request_id}
        address = request.client.host if request.client else "unknown"
        try:
            failed_auth.admit(address)
            try:
                outcome.key = guard.authenticate(request.headers.get("authorization"))
            except GuardHTTPError as err:
                if err.status == 401:
                    hidden = failed_auth.failed(address)
                    if hidden is None:
                        return JSONResponse(err.body(), err.status, headers=headers)
                    if hidden:
                        outcome.verdicts["auth_failures_not_audited"] = hidden
                raise
            limits = guard.policy.limits
            body = parse_request(await read_body_within(request, limits.max_body_bytes, limits.body_timeout_s))
            outcome.stream = body.stream
            guard.admit(outcome, body)
            await asyncio.to_thread(guard.screen_input, outcome, body)  # CPU-heavy: off the event loop
            if body.stream:
                lines = await stream_reply(guard, outcome, body)
                return StreamingResponse(
                    lines, media_type="text/event-stream", headers={**headers, "Cache-Control": "no-cache"}
                )
            if outcome.verdict != "blocked":
                await guard.chat(outcome, body)
            reply = guard.response(outcome)
            guard.record(outcome, 200)
            return JSONResponse(reply.model_dump(), headers=headers)
        except GuardHTTPError as err:
            if err.code != "auth_rate_limited":
                guard.record(outcome, err.status, err.message)
            return JSONResponse(err.body(), err.status, headers={**headers, **err.headers})
        except Exception as err:
            log.exception("request %s failed", outcome.request_id)
            guard.record(outcome, 500, type(err).__name__)
            return JSONResponse(
                error_body("internal error in the guard; see the server log", "server_error", "internal_error"),
                500,
                headers=headers,
            )

    return app
