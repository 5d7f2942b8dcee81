"""What every reward shares: TRL's signature, the registry, and reading completions and columns.

A reward is called as TRL calls it, ``reward(prompts, completions, **columns) -> list[float | None]``,
where ``completions`` are conversational (``[{"role": "assistant", "content": text}]``) or plain
strings, and every extra dataset column (``kind``, ``language``, ``reference``...) arrives as a
keyword list. ``None`` means "does not apply to this sample" (TRL turns it into NaN and leaves it
out). Rewards with settings are classes, so they pickle for data-parallel workers; heavy state
(reward models) loads on first call and is dropped when pickled.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any, ClassVar

from r1safe.errors import ConfigError
from r1safe.records import Sample
from r1safe.registry import Registry

RewardOutput = list[float | None]

REWARDS: Registry[Reward] = Registry("reward")


class Reward:
    """Base of every reward: a picklable callable with TRL's reward signature."""

    name: ClassVar[str] = "reward"
    #: Which gym reward model fills the ``model`` parameter when it is left at ``"gym"``.
    gym_reward_model: ClassVar[str | None] = None

    def __init__(self) -> None:
        self.__name__ = self.name  # TRL logs rewards/<__name__>/mean

    def __call__(self, prompts: list[Any], completions: list[Any], **kwargs: Any) -> RewardOutput:
        raise NotImplementedError

    def bind_gym(self, paths: dict[str, str]) -> None:
        """Fill settings that point into a gym build (reward models); a no-op by default."""

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_cache")}

    def __repr__(self) -> str:
        params = {k: v for k, v in self.__dict__.items() if not k.startswith(("_", "__"))}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in params.items())})"


def register_reward(name: str) -> Callable[[type[Reward]], type[Reward]]:
    """Class decorator: register a reward class in :data:`REWARDS` under ``name`` (its ``name`` too)."""

    def decorate(cls: type[Reward]) -> type[Reward]:
        cls.name = name
        REWARDS.register(name)(cls)
        return cls

    return decorate


def check_reward_params(name: str, params: dict[str, Any]) -> None:
    """Raise ``ValueError`` (one line) when ``name`` is unknown or ``params`` do not fit it."""
    try:
        cls = REWARDS.get(name)
    except ConfigError as err:
        raise ValueError(str(err)) from None
    valid = REWARDS.params(name)
    unknown = [k for k in params if valid is not None and k not in valid]
    if unknown:
        raise ValueError(f"reward {name!r}: unknown param {unknown[0]!r}; its params: {', '.join(valid or [])}")
    try:
        inspect.signature(cls).bind(**params)
    except TypeError as err:
        raise ValueError(f"reward {name!r}: {err}") from None
    try:
        cls(**params)  # constructors validate values and load nothing
    except (ValueError, ConfigError) as err:
        raise ValueError(f"reward {name!r}: {err}") from None


# ---- reading TRL's inputs ----------------------------------------------------------------------


def completion_text(completion: Any) -> str:
    """The assistant text of one TRL completion (conversational or plain)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list):
        parts = [m.get("content") or "" for m in completion if m.get("role", "assistant") == "assistant"]
        return "".join(parts)
    if isinstance(completion, dict):
        return str(completion.get("content") or "")
    return str(completion)


def column(kwargs: dict[str, Any], key: str, n: int) -> list[Any]:
    """Dataset column ``key`` as a list of ``n`` values (``None`` when the dataset lacks it)."""
    values = kwargs.get(key)
    return list(values) if values is not None else [None] * n


def decode_reference(value: Any) -> dict[str, Any]:
    """A ``reference`` cell, stored as a JSON string so it survives ``datasets``; {} when absent."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            out = json.loads(value)
        except json.JSONDecodeError:
            return {}
        return out if isinstance(out, dict) else {}
    return dict(value)


def as_messages(prompt: Any) -> list[dict[str, str]]:
    """A prompt as chat messages (a plain-text prompt becomes one user turn)."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    return [{"role": m["role"], "content": m["content"]} for m in prompt]


def as_sample(prompt: Any, index: int = 0, **meta: Any) -> Sample:
    """A :class:`Sample` for scoring: the prompt plus whatever metadata columns are known."""
    messages = as_messages(prompt)
    if messages[-1]["role"] != "user":  # a template may end on an assistant prefill; keep the user turn last
        messages = [*messages[:-1], {"role": "user", "content": messages[-1]["content"]}]
    fields = {k: v for k, v in meta.items() if v is not None and k in Sample.model_fields}
    fields["reference"] = decode_reference(meta.get("reference"))
    if fields.get("kind") not in (None, "harmful", "benign", "borderline"):
        fields.pop("kind")
    fields.pop("id", None)
    return Sample(id=str(meta.get("id") or index), prompt=messages, **fields)
