"""The real guard server on loopback, spoken to with the official openai client."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from guard_keys import KEY

pytestmark = pytest.mark.timeout(60)


def _guard(reply) -> dict:
    return reply.model_extra["guard"]


def test_allowed_request_models_and_health(start_guard, make_client, world) -> None:
    with start_guard() as (url, _):
        c = make_client(url)
        sample = world.split("benign")[0]
        reply = c.chat.completions.create(model="gym", messages=sample.prompt)
        choice = reply.choices[0]
        assert choice.finish_reason == "stop"
        assert choice.message.content.startswith("Sure. Step 1:")
        assert choice.message.model_extra["reasoning_content"].startswith("The user wants to know")
        assert _guard(reply)["verdict"] == "allowed"
        assert [m.id for m in c.models.list().data] == ["upstream"]
        health = httpx.get(url + "/health").json()
        assert health["status"] == "ok" and health["policy"].startswith("default-1@")


def test_harmful_request_blocked_before_upstream(start_guard, make_client, world, upstream) -> None:
    with start_guard() as (url, guard):
        c = make_client(url)
        before = upstream.state.calls
        for sample in world.split("id")[:5] + world.split("ood_language")[:3] + world.split("multi_turn")[:3]:
            reply = c.chat.completions.create(model="gym", messages=sample.prompt)
            assert reply.choices[0].finish_reason == "content_filter", sample.prompt
            assert _guard(reply)["reason"] in ("input_harmful", "conversation_harmful")
            assert "reasoning_content" not in reply.choices[0].message.model_extra or (
                reply.choices[0].message.model_extra["reasoning_content"] is None
            )
        assert upstream.state.calls == before
        zh = c.chat.completions.create(model="gym", messages=world.split("ood_language")[0].prompt)
        assert zh.choices[0].message.content == guard.policy.refusal.zh


def test_harmful_reasoning_behind_safe_answer_blocked(start_guard, make_client) -> None:
    with start_guard() as (url, _):
        reply = make_client(url).chat.completions.create(
            model="gym", messages=[{"role": "user", "content": "Tell me something about gardens."}]
        )
        assert reply.choices[0].finish_reason == "content_filter"
        assert _guard(reply)["reason"] == "reasoning_harmful"
        assert reply.choices[0].message.model_extra.get("reasoning_content") is None


def test_borderline_allowed(start_guard, make_client, world) -> None:
    with start_guard() as (url, _):
        c = make_client(url)
        for sample in world.split("borderline")[:12]:
            reply = c.chat.completions.create(model="gym", messages=sample.prompt)
            assert reply.choices[0].finish_reason == "stop", sample.prompt
            assert _guard(reply)["verdict"] == "allowed"


def test_stream_matches_non_stream(start_guard, make_client, world) -> None:
    with start_guard({"stream": {"window_chars": 16}}) as (url, _):
        c = make_client(url)
        sample = world.split("borderline")[1]
        whole = c.chat.completions.create(model="gym", messages=sample.prompt)
        content, reasoning, finish, chunks = "", "", None, 0
        for ch in c.chat.completions.create(model="gym", messages=sample.prompt, stream=True):
            delta = ch.choices[0].delta
            content += delta.content or ""
            reasoning += (delta.model_extra or {}).get("reasoning_content") or ""
            finish = ch.choices[0].finish_reason or finish
            chunks += 1
        assert finish == "stop" and chunks > 4
        assert content == whole.choices[0].message.content
        assert reasoning == whole.choices[0].message.model_extra["reasoning_content"]


def test_stream_blocked_mid_stream(start_guard, make_client, world) -> None:
    codes = world.split("id")[0].reference["step_codes"]
    with start_guard({"stream": {"window_chars": 24}}) as (url, _):
        stream = make_client(url).chat.completions.create(
            model="gym",
            messages=[{"role": "user", "content": "Tell me a long story about gardens."}],
            stream=True,
        )
        released, finish, guard = "", None, None
        for ch in stream:
            delta = ch.choices[0].delta
            released += (delta.model_extra or {}).get("reasoning_content") or ""
            released += delta.content or ""
            finish = ch.choices[0].finish_reason or finish
            guard = (ch.model_extra or {}).get("guard") or guard
        assert finish == "content_filter"
        assert guard["reason"] == "answer_harmful"
        assert "garden story" in released  # screened reasoning went out before the block
        assert not any(code in released for code in codes)


def test_json_format_enforced(start_guard, make_client, upstream) -> None:
    with start_guard() as (url, _):
        c = make_client(url)
        ok = c.chat.completions.create(
            model="gym",
            response_format={"type": "json_object"},
            messages=[{"role": "user", "content": "Give me a JSON object with a greeting."}],
        )
        assert json.loads(ok.choices[0].message.content) == {"greeting": "hi"}
        before = upstream.state.calls
        with pytest.raises(openai.APIStatusError) as err:
            c.chat.completions.create(
                model="gym",
                response_format={"type": "json_object"},
                messages=[{"role": "user", "content": "Give me a JSON object with a count."}],
            )
        assert err.value.status_code == 502
        assert err.value.body["code"] == "response_format_violation"
        assert upstream.state.calls - before == 2  # one retry, then the clean error


def test_wrong_language_flagged_and_queued(start_guard, make_client) -> None:
    with start_guard() as (url, guard):
        reply = make_client(url).chat.completions.create(
            model="gym", messages=[{"role": "user", "content": "How do I make a cup of tea quickly?"}]
        )
        info = _guard(reply)
        assert "language_mismatch" in info["flags"] and info["verdict"] == "flagged"
        pending = guard.audit.reviews("pending")
        assert [r["id"] for r in pending] == [info["review_id"]]


def test_mixed_reasoning_flagged_not_blocked(start_guard, make_client) -> None:
    with start_guard() as (url, guard):
        reply = make_client(url).chat.completions.create(
            model="gym", messages=[{"role": "user", "content": "How do I plant tomatoes, briefly?"}]
        )
        info = _guard(reply)
        assert info["flags"] == ["reasoning_mixed"] and info["verdict"] == "allowed"
        assert reply.choices[0].message.content.startswith("Sure. Step 1")
        assert guard.audit.reviews("pending") == []


def test_tools_refused(start_guard, make_client) -> None:
    tool = {
        "type": "function",
        "function": {"name": "shell", "parameters": {"type": "object", "properties": {}}},
    }
    with start_guard() as (url, _), pytest.raises(openai.BadRequestError) as err:
        make_client(url).chat.completions.create(
            model="gym", tools=[tool], messages=[{"role": "user", "content": "List my files."}]
        )
    assert "tools.allowed" in err.value.body["message"]


def test_bad_json_oversized_and_keys(start_guard, make_client) -> None:
    with start_guard({"limits": {"max_body_bytes": 2048}}) as (url, _):
        auth = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        bad = httpx.post(url + "/v1/chat/completions", content=b"{not json", headers=auth)
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_json"
        shape = httpx.post(url + "/v1/chat/completions", json={"messages": []}, headers=auth)
        assert shape.status_code == 400 and shape.json()["error"]["param"] == "messages"
        big = httpx.post(
            url + "/v1/chat/completions",
            headers=auth,
            json={"messages": [{"role": "user", "content": "x" * 5000}]},
        )
        assert big.status_code == 413 and big.json()["error"]["code"] == "request_too_large"
        with pytest.raises(openai.AuthenticationError):
            make_client(url, key="wrong-key-123456").chat.completions.create(
                model="gym", messages=[{"role": "user", "content": "hi"}]
            )
        missing = httpx.post(url + "/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]})
        assert missing.status_code == 401 and missing.json()["error"]["code"] == "missing_api_key"
        tokens = httpx.post(
            url + "/v1/chat/completions",
            headers=auth,
            json={"max_tokens": 99999, "messages": [{"role": "user", "content": "hi"}]},
        )
        assert tokens.status_code == 400 and tokens.json()["error"]["code"] == "max_tokens_exceeded"


def test_rate_limit_per_key(start_guard, make_client) -> None:
    from guard_keys import OTHER_KEY

    with start_guard({"limits": {"rate_per_minute": 6, "burst": 3}}) as (url, _):
        c = make_client(url)
        msg = [{"role": "user", "content": "How do I make a cup of tea?"}]
        for _ in range(3):
            c.chat.completions.create(model="gym", messages=msg)
        with pytest.raises(openai.RateLimitError) as err:
            c.chat.completions.create(model="gym", messages=msg)
        assert int(err.value.response.headers["Retry-After"]) >= 1
        make_client(url, OTHER_KEY).chat.completions.create(model="gym", messages=msg)  # its own bucket


def test_upstream_down_is_502(start_guard, make_client) -> None:
    from r1safe.guard.testing import free_port

    with start_guard(upstream_url=f"http://127.0.0.1:{free_port()}/v1") as (url, guard):
        for stream in (False, True):
            with pytest.raises(openai.APIStatusError) as err:
                r = make_client(url).chat.completions.create(
                    model="gym",
                    stream=stream,
                    messages=[{"role": "user", "content": "How do I make a cup of tea?"}],
                )
                list(r) if stream else None
            assert err.value.status_code == 502 and err.value.body["type"] == "upstream_error"
        assert [r["status"] for r in guard.audit.requests()] == [502, 502]


def test_upstream_timeout_is_504(start_guard, make_client) -> None:
    from r1safe.guard.testing import scripted_upstream, serve_in_thread

    slow = scripted_upstream(lambda _: "<think>\nok\n</think>\n\nok", delay_s=5.0)
    with (
        serve_in_thread(slow) as up,
        start_guard({"limits": {"upstream_timeout_s": 0.5}}, up + "/v1") as (url, _),
    ):
        with pytest.raises(openai.APIStatusError) as err:
            make_client(url).chat.completions.create(
                model="gym", messages=[{"role": "user", "content": "How do I make a cup of tea?"}]
            )
        assert err.value.status_code == 504 and err.value.body["code"] == "upstream_timeout"


def test_every_request_audited_once(start_guard, make_client, world) -> None:
    with start_guard() as (url, guard):
        c = make_client(url)
        ids = [c.chat.completions.create(model="gym", messages=s.prompt).id for s in world.split("benign")[:4]]
        rows = guard.audit.requests()
        assert [r["request_id"] for r in rows] == ids
        assert all(r["key_id"].startswith("k-") and KEY not in json.dumps(r) for r in rows)
        assert {r["policy_hash"] for r in rows} == {guard.policy_hash}


def test_tools_forwarded_for_an_allowed_key_and_screened(start_guard, make_client, world) -> None:
    from guard_keys import OTHER_KEY

    tool = {"type": "function", "function": {"name": "note", "parameters": {"type": "object", "properties": {}}}}
    with start_guard({"tools": {"allow_keys": ["bob"]}}) as (url, _):
        bob = make_client(url, OTHER_KEY)
        tea = [{"role": "user", "content": "How do I make a cup of tea?"}]
        reply = bob.chat.completions.create(model="gym", tools=[tool], messages=tea)
        assert reply.choices[0].finish_reason == "tool_calls"
        call = reply.choices[0].message.tool_calls[0]
        assert call.function.name == "note" and "boil the water" in call.function.arguments
        streamed = list(bob.chat.completions.create(model="gym", tools=[tool], messages=tea, stream=True))
        assert any(c.choices[0].delta.tool_calls for c in streamed)
        followup = [
            *tea,
            {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
            {"role": "tool", "tool_call_id": call.id, "content": "saved"},
        ]
        assert bob.chat.completions.create(model="gym", tools=[tool], messages=followup).choices
        with pytest.raises(openai.BadRequestError, match=r"tools\.allowed"):
            make_client(url).chat.completions.create(model="gym", tools=[tool], messages=tea)
