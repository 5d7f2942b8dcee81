"""Reliability of the guard server on loopback: stalled and malformed upstreams, hostile bodies,
failed-auth floods, blocking work off the event loop, held-answer privacy."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse, StreamingResponse
from guard_keys import KEY

pytestmark = pytest.mark.timeout(120)
HEADERS = {"Authorization": f"Bearer {KEY}"}
TEA = [{"role": "user", "content": "How do I make a cup of tea?"}]


def _upstream(stall_s: float = 0.0, content: object = "Boil water.") -> FastAPI:
    """Streams two pieces then stalls ``stall_s``; non-stream replies carry ``content`` as given."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(body: dict) -> object:
        if not body.get("stream"):
            message = {"role": "assistant", "content": content}
            return JSONResponse({"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})

        async def events():
            for piece in ("Boil the water. ", "Pour it. "):
                delta = {"content": piece} if isinstance(content, str) else {"content": content}
                yield f"data: {json.dumps({'choices': [{'index': 0, 'delta': delta}]})}\n\n"
            await asyncio.sleep(stall_s)
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


def _stream_lines(url: str, messages: list[dict]) -> list[str]:
    body = {"model": "gym", "stream": True, "messages": messages}
    with httpx.stream("POST", url + "/v1/chat/completions", json=body, headers=HEADERS, timeout=30) as r:
        assert r.status_code == 200
        return [line for line in r.iter_lines() if line.startswith("data: ")]


def test_stalled_stream_ends_with_an_error_event_and_done(start_guard) -> None:
    from r1safe.guard.testing import serve_in_thread

    policy = {"limits": {"upstream_timeout_s": 1.5}, "stream": {"window_chars": 8}}
    with serve_in_thread(_upstream(stall_s=30)) as up, start_guard(policy, up + "/v1") as (url, guard):
        lines = _stream_lines(url, TEA)
        assert lines[-1] == "data: [DONE]"
        error = json.loads(lines[-2].removeprefix("data: "))
        assert error["error"]["code"] == "upstream_timeout"
        assert guard.audit.requests()[-1]["status"] == 504


def test_streamed_created_is_unix_time(start_guard, world) -> None:
    with start_guard() as (url, _):
        lines = _stream_lines(url, world.split("benign")[0].prompt)
        created = json.loads(lines[0].removeprefix("data: "))["created"]
        assert abs(created - time.time()) < 600


@pytest.mark.parametrize("stream", [False, True])
def test_malformed_upstream_fields_are_502(start_guard, stream) -> None:
    from r1safe.guard.testing import serve_in_thread

    with serve_in_thread(_upstream(content=5)) as up, start_guard(None, up + "/v1") as (url, _):
        body = {"model": "gym", "stream": stream, "messages": TEA}
        r = httpx.post(url + "/v1/chat/completions", json=body, headers=HEADERS, timeout=30)
        assert r.status_code == 502
        assert r.json()["error"]["type"] == "upstream_error"


def test_hostile_bodies_are_400_never_500(start_guard) -> None:
    with start_guard() as (url, guard):
        nested = b'{"model": "gym", "messages": ' + b"[" * 30000 + b"]" * 30000 + b"}"
        surrogate = b'{"model": "gym", "messages": [{"role": "user", "content": "\\ud800 hi"}]}'
        deep_part = {
            "model": "gym",
            "messages": [{"role": "user", "content": "hi", "x": json.loads("[" * 500 + "]" * 500)}],
        }
        for raw in (nested, surrogate, json.dumps(deep_part).encode()):
            headers = {**HEADERS, "Content-Type": "application/json"}
            r = httpx.post(url + "/v1/chat/completions", content=raw, headers=headers, timeout=30)
            assert r.status_code in (200, 400), r.text
            assert r.json().get("error", {}).get("type") != "server_error"
        assert all(row["status"] != 500 for row in guard.audit.requests())


def test_failed_auth_is_rate_limited_and_aggregated_in_the_audit(start_guard) -> None:
    with start_guard() as (url, guard):
        codes = []
        for _ in range(30):
            r = httpx.post(
                url + "/v1/chat/completions", json={"messages": TEA}, headers={"Authorization": "Bearer wrong-key-123"}
            )
            codes.append(r.status_code)
        assert codes[:20] == [401] * 20 and set(codes[20:]) == {429}
        rows = guard.audit.requests()
        assert len(rows) == 1 and rows[0]["status"] == 401


def test_health_stays_fast_while_a_large_body_is_screened(start_guard) -> None:
    words = "The garden has a pond, three benches and a row of apple trees near the old stone wall."
    text = " ".join(f"{words[:-1]} number {i}." for i in range(650))[:60000]
    with start_guard({"limits": {"max_body_bytes": 65536}}) as (url, _):
        done: list[float] = []

        def big() -> None:
            start = time.perf_counter()
            httpx.post(
                url + "/v1/chat/completions",
                json={"model": "gym", "messages": [{"role": "user", "content": text}]},
                headers=HEADERS,
                timeout=60,
            )
            done.append(time.perf_counter() - start)

        worker = threading.Thread(target=big)
        worker.start()
        time.sleep(0.2)
        slowest = 0.0
        while worker.is_alive():
            start = time.perf_counter()
            assert httpx.get(url + "/health", timeout=10).status_code == 200
            slowest = max(slowest, time.perf_counter() - start)
            time.sleep(0.05)
        worker.join()
        assert done and slowest < 1.0, (slowest, done)


def test_body_read_timeout_is_408(start_guard) -> None:
    with start_guard({"limits": {"body_timeout_s": 1.0}}) as (url, guard):
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            head = (
                f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {KEY}\r\n"
                "Content-Type: application/json\r\nContent-Length: 500\r\n\r\n"
            )
            sock.sendall(head.encode() + b'{"model": "gym", ')
            reply = b""
            while b"body_timeout" not in reply and (chunk := sock.recv(4096)):
                reply += chunk
            reply = reply.decode()
        assert reply.startswith("HTTP/1.1 408")
        assert "body_timeout" in reply
        assert guard.audit.requests()[-1]["status"] == 408


def test_rejected_held_answer_hides_the_reviewers_notes(start_guard) -> None:
    with start_guard({"review": {"domain_expert": True}}) as (url, guard):
        messages = [{"role": "user", "content": "How do I make a cup of tea quickly?"}]
        body = httpx.post(url + "/v1/chat/completions", json={"model": "gym", "messages": messages}, headers=HEADERS)
        review_id = body.json()["guard"]["review_id"]
        guard.audit.decide(review_id, "reject", "dr-secret", "internal note: patient 1234")
        r = httpx.get(f"{url}/v1/held/{review_id}", headers=HEADERS)
        assert r.status_code == 403 and r.json()["error"]["code"] == "review_rejected"
        assert "dr-secret" not in r.text and "patient" not in r.text
