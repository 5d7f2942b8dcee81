"""Reasoning models through the guard: long budgets by default, cuts reported as cuts (stream and
whole alike), real token streaming from ``--model``, usage, upstream health and keys."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from guard_keys import KEY

pytestmark = pytest.mark.timeout(240)

REASONING_TOKENS = 1500  # past the old default budget (256) and the old hard limit (1024)
QUESTION = [{"role": "user", "content": "What is six times seven? Think it through."}]


@pytest.fixture(scope="module")
def machine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    from r1safe.guard.testing import reasoning_machine

    return reasoning_machine(tmp_path_factory.mktemp("machine"), REASONING_TOKENS)


def _in_process(model: str, classifier_dir: str, tmp_path: Path, **policy: Any) -> Any:
    from r1safe.guard.factory import build_guard
    from r1safe.guard.policy import load_policy

    rules = load_policy(None, {"classifier": classifier_dir, **policy})
    return build_guard(rules, tmp_path / "audit.sqlite", None, model=model)


def _streamed(client: Any, **body: Any) -> dict[str, Any]:
    """Content, reasoning, finish reason, the final guard object and the usage chunk of a stream."""
    out: dict[str, Any] = {"content": "", "reasoning": "", "finish": None, "guard": None, "usage": None,
                           "first_text_at": None}
    for ch in client.chat.completions.create(stream=True, stream_options={"include_usage": True}, **body):
        if ch.usage is not None:
            out["usage"] = ch.usage
        if not ch.choices:
            continue
        delta = ch.choices[0].delta
        text = (delta.content or "") + ((delta.model_extra or {}).get("reasoning_content") or "")
        if text and out["first_text_at"] is None:
            out["first_text_at"] = time.perf_counter()
        out["content"] += delta.content or ""
        out["reasoning"] += (delta.model_extra or {}).get("reasoning_content") or ""
        out["finish"] = ch.choices[0].finish_reason or out["finish"]
        out["guard"] = (ch.model_extra or {}).get("guard") or out["guard"]
    return out


def test_default_policy_serves_long_reasoning_in_process(machine, classifier_dir, make_client, tmp_path) -> None:
    """A model that reasons for 1,500 tokens, served with ``--model DIR`` and the default policy,
    gets its answer, whole and streamed, with its token counts."""
    from r1safe.guard.server import create_app
    from r1safe.guard.testing import serve_in_thread

    path, reply = machine
    guard = _in_process(str(path), classifier_dir, tmp_path)
    with serve_in_thread(create_app(guard)) as url:
        client = make_client(url)
        whole = client.chat.completions.create(model="m", messages=QUESTION)
        streamed = _streamed(client, model="m", messages=QUESTION)
    choice = whole.choices[0]
    assert choice.message.content == "The answer is 42."
    assert choice.finish_reason == "stop"
    assert len(choice.message.model_extra["reasoning_content"].split()) == REASONING_TOKENS
    assert whole.usage.completion_tokens > 1024 and whole.usage.prompt_tokens > 0
    assert whole.usage.total_tokens == whole.usage.prompt_tokens + whole.usage.completion_tokens
    assert whole.model_extra["guard"]["verdict"] == "allowed"
    assert streamed["content"] == "The answer is 42." and streamed["finish"] == "stop"
    assert streamed["reasoning"] == choice.message.model_extra["reasoning_content"]
    assert streamed["usage"].completion_tokens == whole.usage.completion_tokens
    assert streamed["usage"].prompt_tokens == whole.usage.prompt_tokens
    assert reply.endswith("The answer is 42.")


def test_a_reply_cut_inside_its_reasoning_says_so_whole_and_streamed(machine, classifier_dir, make_client,
                                                                    tmp_path) -> None:
    from r1safe.guard.server import create_app
    from r1safe.guard.testing import serve_in_thread

    guard = _in_process(str(machine[0]), classifier_dir, tmp_path)
    with serve_in_thread(create_app(guard)) as url:
        client = make_client(url)
        whole = client.chat.completions.create(model="m", messages=QUESTION, max_tokens=200)
        streamed = _streamed(client, model="m", messages=QUESTION, max_tokens=200)
    assert whole.choices[0].finish_reason == "length" == streamed["finish"]
    assert whole.choices[0].message.content == "" == streamed["content"]
    assert "reasoning_cut" in whole.model_extra["guard"]["flags"]
    assert "reasoning_cut" in streamed["guard"]["flags"]
    assert whole.usage.completion_tokens == 200 == streamed["usage"].completion_tokens
    assert len(streamed["reasoning"].split()) == 200


def test_stream_from_a_local_model_sends_text_while_it_is_generated(machine, classifier_dir, make_client,
                                                                   tmp_path) -> None:
    """The first text reaches the client before the model has sampled its last token (the old
    stream awaited the whole completion, then sliced it)."""
    from r1safe.guard.server import create_app
    from r1safe.guard.testing import serve_in_thread

    guard = _in_process(str(machine[0]), classifier_dir, tmp_path)
    backend = guard.upstream.backend
    sampled: list[float] = []
    native = backend.stream

    def timed(*args: Any, **kwargs: Any) -> Any:
        for step in native(*args, **kwargs):
            sampled.append(time.perf_counter())
            yield step

    backend.stream = timed
    with serve_in_thread(create_app(guard)) as url:
        streamed = _streamed(make_client(url), model="m", messages=QUESTION)
    assert streamed["content"] == "The answer is 42."
    assert len(sampled) > 1000
    assert streamed["first_text_at"] < sampled[-1]
    released_before_end = sum(t < streamed["first_text_at"] for t in sampled)
    assert released_before_end < len(sampled) // 4


def test_stream_stops_generating_when_the_client_leaves(machine, classifier_dir, tmp_path) -> None:
    from r1safe.guard.server import create_app
    from r1safe.guard.testing import serve_in_thread

    guard = _in_process(str(machine[0]), classifier_dir, tmp_path)
    backend = guard.upstream.backend
    native, sampled = backend.stream, []

    def counted(*args: Any, **kwargs: Any) -> Any:
        for step in native(*args, **kwargs):
            sampled.append(step)
            yield step

    backend.stream = counted
    body = {"model": "m", "stream": True, "messages": QUESTION}
    with serve_in_thread(create_app(guard)) as url:
        with httpx.stream("POST", url + "/v1/chat/completions", json=body, timeout=30) as r:
            for line in r.iter_lines():
                if "reasoning_content" in line:
                    break
        deadline = time.monotonic() + 10
        while guard.audit.requests() == [] and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        seen = len(sampled)
        time.sleep(0.5)
        status = guard.audit.requests()[-1]["status"]
    assert seen == len(sampled) < REASONING_TOKENS  # it stopped, well before the end
    assert status == 499


@pytest.mark.slow
def test_a_real_instruct_model_without_think_blocks(smollm2_dir, classifier_dir, make_client, tmp_path) -> None:
    """SmolLM2-135M-Instruct (``--model smollm2-135m``, the real track's model) writes no think block:
    under the default policy (``<think>\\n`` forced) its reply never closes one, and the guard says so
    rather than answering an empty string that looks complete; with ``force_think: false`` its reply is
    the answer, streamed to the ``openai`` client as it is generated."""
    from r1safe.guard.server import create_app
    from r1safe.guard.testing import serve_in_thread

    hello = [{"role": "user", "content": "Name a colour of the sky."}]
    forced = _in_process("smollm2-135m", classifier_dir, tmp_path)
    with serve_in_thread(create_app(forced)) as url:
        cut = make_client(url).chat.completions.create(model="m", messages=hello, max_tokens=12)
    assert cut.choices[0].finish_reason == "length" and cut.choices[0].message.content == ""
    assert cut.choices[0].message.model_extra["reasoning_content"]
    assert "reasoning_cut" in cut.model_extra["guard"]["flags"]
    assert cut.usage.prompt_tokens > 5

    plain = _in_process("smollm2-135m", classifier_dir, tmp_path / "plain", usage={"force_think": False})
    with serve_in_thread(create_app(plain)) as url:
        client = make_client(url)
        whole = client.chat.completions.create(model="m", messages=hello, max_tokens=12, seed=1)
        streamed = _streamed(client, model="m", messages=hello, max_tokens=12, seed=1)
    print("SmolLM2 answered:", repr(whole.choices[0].message.content))
    assert whole.choices[0].message.content.strip()
    assert whole.choices[0].finish_reason == streamed["finish"]
    assert "reasoning_cut" not in whole.model_extra["guard"]["flags"]
    assert whole.model_extra["guard"]["flags"] == streamed["guard"]["flags"]


# ---- an OpenAI-compatible upstream --------------------------------------------------------------


LONG = "<think>\n" + " ".join(f"step{i}" for i in range(3000)) + "\n</think>\n\nThe answer is 42."


@pytest.fixture
def long_upstream() -> Any:
    from r1safe.guard.testing import scripted_upstream, serve_in_thread

    app = scripted_upstream(lambda messages: LONG, piece_chars=64)
    with serve_in_thread(app) as url:
        app.state.url = url + "/v1"
        yield app


def test_upstream_long_reasoning_and_cuts_stream_and_whole_alike(start_guard, make_client, long_upstream) -> None:
    from r1safe.guard.testing import words

    with start_guard(upstream_url=long_upstream.state.url) as (url, _):
        client = make_client(url)
        whole = client.chat.completions.create(model="m", messages=QUESTION)
        streamed = _streamed(client, model="m", messages=QUESTION)
        assert long_upstream.state.bodies[0]["max_tokens"] == 32768  # R1's budget when none is asked for
        cut = client.chat.completions.create(model="m", messages=QUESTION, max_tokens=300)
        cut_streamed = _streamed(client, model="m", messages=QUESTION, max_tokens=300)
    assert whole.choices[0].message.content == "The answer is 42." == streamed["content"]
    assert whole.choices[0].finish_reason == "stop" == streamed["finish"]
    assert whole.usage.completion_tokens == words(LONG) - 1 == streamed["usage"].completion_tokens  # less <think>
    assert whole.usage.prompt_tokens == words(QUESTION[0]["content"]) == streamed["usage"].prompt_tokens
    assert cut.choices[0].finish_reason == "length" == cut_streamed["finish"]
    assert cut.choices[0].message.content == "" == cut_streamed["content"]
    assert "reasoning_cut" in cut.model_extra["guard"]["flags"]
    assert "reasoning_cut" in cut_streamed["guard"]["flags"]
    assert cut_streamed["reasoning"] == cut.choices[0].message.model_extra["reasoning_content"]


def test_the_policy_budget_limits(start_guard, make_client) -> None:
    from r1safe.guard.policy import load_policy

    limits = load_policy(None).limits
    assert limits.max_tokens == limits.default_max_tokens == 32768
    assert load_policy("default").limits == limits
    with start_guard() as (url, _):
        over = httpx.post(url + "/v1/chat/completions", headers={"Authorization": f"Bearer {KEY}"},
                          json={"max_tokens": 32769, "messages": QUESTION})
        assert over.status_code == 400 and "limits.max_tokens=32768" in over.json()["error"]["message"]


def _locked_upstream(secret: str) -> FastAPI:
    """An upstream that answers only requests bearing ``secret``."""
    from r1safe.guard.testing import GENERIC, scripted_upstream

    inner = scripted_upstream(lambda messages: GENERIC)
    app = FastAPI()

    @app.middleware("http")
    async def check(request: Any, call_next: Any) -> Any:
        if request.headers.get("authorization") != f"Bearer {secret}":
            return JSONResponse({"error": {"message": "bad key"}}, 401)
        return await call_next(request)

    app.mount("/", inner)
    return app


def test_health_and_requests_name_a_missing_upstream_key(start_guard, monkeypatch) -> None:
    from r1safe.guard.testing import serve_in_thread

    monkeypatch.delenv("R1SAFE_UPSTREAM_KEY", raising=False)
    with serve_in_thread(_locked_upstream("s3cret")) as up:
        with start_guard(upstream_url=up + "/v1") as (url, _):
            health = httpx.get(url + "/health")
            assert health.status_code == 503 and health.json()["status"] == "upstream_unavailable"
            assert "R1SAFE_UPSTREAM_KEY" in health.json()["upstream"]
            r = httpx.post(url + "/v1/chat/completions", headers={"Authorization": f"Bearer {KEY}"},
                           json={"messages": QUESTION})
            assert r.status_code == 502 and "R1SAFE_UPSTREAM_KEY" in r.json()["error"]["message"]
        monkeypatch.setenv("R1SAFE_UPSTREAM_KEY", "s3cret")
        with start_guard(upstream_url=up + "/v1") as (url, _):
            assert httpx.get(url + "/health").json()["status"] == "ok"
            r = httpx.post(url + "/v1/chat/completions", headers={"Authorization": f"Bearer {KEY}"},
                           json={"messages": QUESTION})
            assert r.status_code == 200, r.text


def test_responses_api_is_answered_with_what_to_do(start_guard) -> None:
    with start_guard() as (url, _):
        r = httpx.post(url + "/v1/responses", json={"model": "m", "input": "hi"})
    assert r.status_code == 404 and "responses_api=false" in r.json()["error"]["message"]
    assert json.loads(r.text)["error"]["code"] == "not_found"
