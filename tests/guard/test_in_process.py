"""``--model``: the guard serving a real (micro gym) transformers model in-process, batched."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.timeout(180)


def test_serves_a_local_model_in_process(micro_gym, classifier_dir, make_client, world, tmp_path) -> None:
    from r1safe.guard.factory import build_guard
    from r1safe.guard.policy import load_policy
    from r1safe.guard.server import create_app
    from r1safe.guard.testing import serve_in_thread

    policy = load_policy(None, {"classifier": classifier_dir, "limits": {"default_max_tokens": 24}})
    guard = build_guard(policy, tmp_path / "audit.sqlite", None, model=str(micro_gym.model_dir))
    calls: list[int] = []
    streams: list[int] = []
    backend = guard.upstream.backend
    generate, stream = backend.generate, backend.stream
    backend.generate = lambda prompts, params: calls.append(len(prompts)) or generate(prompts, params)
    backend.stream = lambda messages, params, **kw: streams.append(1) or stream(messages, params, **kw)
    prompts = [s.prompt for s in world.split("benign")[:4] + world.split("capability")[:4]]
    with serve_in_thread(create_app(guard)) as url:
        client = make_client(url)
        with ThreadPoolExecutor(8) as pool:
            replies = list(pool.map(lambda p: client.chat.completions.create(model="gym", messages=p), prompts))
        stream = list(client.chat.completions.create(model="gym", messages=prompts[0], stream=True))
        audited = len(guard.audit.requests())
    assert all(r.choices[0].finish_reason in ("stop", "length", "content_filter") for r in replies)
    assert stream[-1].choices[0].finish_reason in ("stop", "length", "content_filter")
    assert sum(calls) == 8 and max(calls) > 1  # concurrent requests shared a forward pass
    assert streams == [1]  # the streamed one was sampled token by token
    assert audited == 9
