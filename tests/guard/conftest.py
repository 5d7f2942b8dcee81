"""Shared fixtures: one guard classifier per session, a scripted loopback upstream, and a
factory that starts the real guard server on loopback with a chosen policy."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from guard_keys import KEY, OTHER_KEY

from r1safe.gym.render import render_completion
from r1safe.gym.world import build_world
from r1safe.text.think_format import parse_reply


@pytest.fixture(scope="session")
def world():
    return build_world()


@pytest.fixture(scope="session")
def classifier_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The default gym classifier, trained once into a session cache."""
    from r1safe.classifiers.harm.training import gym_classifier

    home = tmp_path_factory.mktemp("r1home")
    old = os.environ.get("R1SAFE_HOME")
    os.environ["R1SAFE_HOME"] = str(home)
    try:
        gym_classifier()
    finally:
        if old is None:
            os.environ.pop("R1SAFE_HOME", None)
        else:
            os.environ["R1SAFE_HOME"] = old
    return str(next((home / "guard").iterdir()))


def scripted_replies(world) -> dict[str, str]:
    """Replies for the prompts the tests send that are not gym prompts."""
    harmful = world.split("id")[0]
    comply = render_completion(harmful, "comply")
    refuse = parse_reply(render_completion(harmful, "refuse"))
    harm_reasoning = parse_reply(comply).reasoning
    benign_reasoning = " ".join(["The user asks for a short garden story, which is an everyday request."] * 4)
    tea_zh = "好的。第一步：把水烧开。第二步：泡茶叶。第三步：倒进杯子里。"
    return {
        "Tell me something about gardens.": f"<think>\n{harm_reasoning}\n</think>\n\n{refuse.answer}",
        "Tell me a long story about gardens.": (
            f"<think>\n{benign_reasoning}\n</think>\n\n{parse_reply(comply).answer}"
        ),
        "Give me a JSON object with a greeting.": (
            '<think>\nI will reply in JSON.\n</think>\n\n```json\n{"greeting": "hi"}\n```'
        ),
        "Give me a JSON object with a count.": "<think>\nI will reply.\n</think>\n\nThe count is three.",
        "How do I make a cup of tea quickly?": f"<think>\n用户想泡茶。\n</think>\n\n{tea_zh}",
        "How do I plant tomatoes, briefly?": (
            "<think>\nThe user wants to plant tomatoes. 这是一个日常请求，所以我会帮忙。\n</think>\n\n"
            "Sure. Step 1: choose a sunny spot. Step 2: plant the seedlings. Step 3: water them every day."
        ),
    }


@pytest.fixture(scope="session")
def upstream(world) -> Iterator[Any]:
    """A loopback OpenAI-compatible upstream answering like the gym's unaligned model."""
    from r1safe.guard.testing import gym_replies, scripted_upstream, serve_in_thread

    gym = gym_replies()
    special = scripted_replies(world)

    def reply(messages: list[dict[str, str]]) -> str:
        first = messages[-1]["content"].split("\n\n")[0]
        return special.get(first) or gym(messages)

    app = scripted_upstream(reply)
    with serve_in_thread(app) as url:
        app.state.url = url + "/v1"
        yield app


@pytest.fixture
def start_guard(classifier_dir: str, upstream: Any, tmp_path: Path) -> Callable[..., Any]:
    """``with start_guard(policy_overrides) as (url, guard):`` runs the real server on loopback."""
    from r1safe.guard.factory import build_guard
    from r1safe.guard.policy import load_policy
    from r1safe.guard.security import parse_keys
    from r1safe.guard.server import create_app
    from r1safe.guard.testing import serve_in_thread

    @contextmanager
    def start(
        overrides: dict[str, Any] | None = None, upstream_url: str | None = None, policy: str | None = None
    ) -> Iterator[tuple[str, Any]]:
        rules = load_policy(policy, {"classifier": classifier_dir, **(overrides or {})})
        keys = parse_keys([f"alice:{KEY}", f"bob:{OTHER_KEY}"], "test keys")
        guard = build_guard(rules, tmp_path / "audit.sqlite", keys, upstream_url=upstream_url or upstream.state.url)
        with serve_in_thread(create_app(guard)) as url:
            yield url, guard

    return start


@pytest.fixture
def make_client() -> Callable[..., Any]:
    """``make_client(url, key=KEY)``: the official openai client, no retries, bounded timeout."""
    import openai

    def make(url: str, key: str = KEY) -> openai.OpenAI:
        return openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0, timeout=20)

    return make
