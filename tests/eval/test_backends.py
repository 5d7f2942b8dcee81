"""Backends on the micro gym's real (tiny) model, and the OpenAI backend against a local server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from r1safe.backends import BACKENDS, GenerationParams
from r1safe.backends.openai import rebuild_reply
from r1safe.errors import ConfigError, R1SafeError
from r1safe.text.think_format import parse_reply


@pytest.fixture(scope="module")
def backend(model_dir: str):
    return BACKENDS.create("transformers", model=model_dir, batch_size=8)


@pytest.fixture(scope="module")
def prompts(world) -> list[list[dict[str, str]]]:
    chosen = world.splits["id"][:3] + world.splits["multi_turn"][:2] + world.splits["capability"][:1]
    return [s.prompt for s in chosen]


def test_transformers_backend_shapes_and_opener(backend, prompts) -> None:
    params = GenerationParams(n=3, max_new_tokens=24, seed=1)
    out = backend.generate(prompts, params)
    assert [len(c) for c in out] == [3] * len(prompts)
    for completions in out:
        for c in completions:
            assert c.text.startswith("<think>\n")
            assert 1 <= c.completion_tokens <= 24 and c.finish_reason in ("stop", "length")
            assert (c.finish_reason == "length") == (c.completion_tokens == 24)
    assert backend.render(prompts[0]).endswith("<|assistant|><think>\n")


def test_sampling_is_seeded_per_sample_not_per_batch(backend, model_dir, prompts) -> None:
    params = GenerationParams(n=2, max_new_tokens=20, seed=7)
    batched = backend.generate(prompts, params)
    one_by_one = BACKENDS.create("transformers", model=model_dir, batch_size=2)  # one prompt per batch
    single = one_by_one.generate(prompts, params)
    assert [[c.text for c in row] for row in batched] == [[c.text for c in row] for row in single]
    other_seed = backend.generate(prompts, params.model_copy(update={"seed": 8}))
    assert [[c.text for c in row] for row in other_seed] != [[c.text for c in row] for row in batched]
    # samples of one prompt differ from each other
    assert any(row[0].text != row[1].text for row in batched)


def test_greedy_is_deterministic(backend, prompts) -> None:
    params = GenerationParams(n=2, temperature=0.0, max_new_tokens=16)
    out = backend.generate(prompts[:2], params)
    assert all(row[0].text == row[1].text for row in out)


def test_generate_iter_covers_every_prompt_once(backend, prompts) -> None:
    seen = []
    for idx, batch in backend.generate_iter(prompts, GenerationParams(n=2, max_new_tokens=8)):
        assert len(idx) == len(batch) <= 4  # batch_size 8 sequences / 2 samples
        seen.extend(idx)
    assert sorted(seen) == list(range(len(prompts)))


def test_missing_dir_and_offline_hub_id_are_one_line_errors(tmp_path) -> None:
    with pytest.raises(ConfigError, match="does not exist") as info:
        BACKENDS.create("transformers", model=str(tmp_path / "nope"))
    assert "\n" not in str(info.value)
    with pytest.raises(R1SafeError, match=r"hub downloads are not possible here.*pass a local model"):
        BACKENDS.create("transformers", model="deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B")


def test_vllm_is_import_guarded() -> None:
    """vllm is not installed here: building the backend must say so in one line."""
    try:
        import vllm  # noqa: F401
    except ImportError:
        with pytest.raises(R1SafeError, match=r"pip install 'r1safe\[vllm\]'") as info:
            BACKENDS.create("vllm", model="gym")
        assert "\n" not in str(info.value)
    else:
        pytest.skip("vllm is installed")


# -- the OpenAI-compatible backend against a real local server -------------------------------------

class _Server:
    """A tiny OpenAI-compatible server that samples from the micro gym model."""

    def __init__(self, backend: Any, fail_first: int, reasoning: bool) -> None:
        self.backend, self.fail_left, self.reasoning = backend, fail_first, reasoning
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def handle(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests.append(body)
            if self.fail_left > 0:
                self.fail_left -= 1
                return 503, {"error": "busy"}
            params = GenerationParams(n=1, temperature=body["temperature"], top_p=body["top_p"],
                                      max_new_tokens=body["max_tokens"], seed=body["seed"])
            text = self.backend.generate([body["messages"]], params)[0][0].text
        reply = parse_reply(text)
        message = ({"role": "assistant", "reasoning_content": reply.reasoning, "content": reply.answer}
                   if self.reasoning else {"role": "assistant", "content": text.removeprefix("<think>\n")})
        choice = {"message": message, "finish_reason": "stop"}
        return 200, {"choices": [choice], "usage": {"completion_tokens": 5}}


@pytest.fixture
def server(backend) -> Iterator[_Server]:
    state = _Server(backend, fail_first=2, reasoning=True)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            code, data = state.handle(body) if self.path == "/v1/chat/completions" else (404, {})
            payload = json.dumps(data).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"  # type: ignore[attr-defined]
    yield state
    httpd.shutdown()


def test_openai_backend_retries_and_rebuilds_reasoning(server, prompts) -> None:
    client = BACKENDS.create("openai", model="gym", base_url=server.url, concurrency=2, backoff=0.01)
    out = client.generate(prompts[:2], GenerationParams(n=2, max_new_tokens=12, seed=3))
    assert [len(row) for row in out] == [2, 2]
    assert len(server.requests) == 4 + 2  # two 503s were retried
    assert {r["seed"] for r in server.requests} == {3, 4} and all(r["n"] == 1 for r in server.requests)
    for row in out:
        for c in row:
            assert c.text.startswith("<think>\n") and "\n</think>\n\n" in c.text and c.completion_tokens == 5


def test_openai_backend_gives_up_with_one_line(prompts) -> None:
    client = BACKENDS.create("openai", model="m", base_url="http://127.0.0.1:9/v1", max_retries=1,
                             backoff=0.01, timeout=2.0)
    with pytest.raises(R1SafeError, match="failed after 2 tries") as info:
        client.generate(prompts[:1], GenerationParams(n=1))
    assert "\n" not in str(info.value)


def test_rebuild_reply_forms() -> None:
    rebuilt = rebuild_reply({"reasoning_content": " think ", "content": "answer"})
    assert rebuilt == "<think>\nthink\n</think>\n\nanswer"
    assert rebuild_reply({"content": "r\n</think>\n\na"}) == "<think>\nr\n</think>\n\na"
    assert rebuild_reply({"content": "<think>\nr\n</think>\n\na"}) == "<think>\nr\n</think>\n\na"
    assert rebuild_reply({"content": "plain"}, force_think=False) == "plain"
    withheld = rebuild_reply({"content": "I can't help with that.", "reasoning_content": None})
    assert withheld == "<think>\n\n</think>\n\nI can't help with that."


def test_nucleus_shortcut_picks_the_same_tokens_as_a_full_sort(monkeypatch) -> None:
    import torch

    import r1safe.backends.decoding as tb

    g = torch.Generator().manual_seed(0)
    peaked = torch.randn(200, 2000, generator=g) * 6  # nucleus inside the top 64: the shortcut runs
    flat = torch.randn(20, 2000, generator=g) * 0.1  # nucleus far wider: the full sort runs
    for logits in (peaked, flat):
        u = torch.rand(len(logits), generator=g)
        fast = tb.sample_tokens(logits, u, 0.6, 0.95)
        monkeypatch.setattr(tb, "TOP_K", 10**9)
        full = tb.sample_tokens(logits, u, 0.6, 0.95)
        monkeypatch.setattr(tb, "TOP_K", 64)
        assert torch.equal(fast, full)
