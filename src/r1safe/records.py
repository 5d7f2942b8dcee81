"""The records that flow between r1safe's stages: samples, generations, judgements.

A :class:`Sample` is a chat prompt plus what is known about it (split, kind, category,
language, wrapper, and a reference the judges may use). Gym records and real benchmark rows
both become Samples, so evaluation, training and the guard share one shape.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Kind = Literal["harmful", "benign", "borderline"]


class Sample(BaseModel):
    """One prompt: a list of chat messages whose last one is the user's turn."""

    model_config = ConfigDict(extra="forbid")

    id: str
    prompt: list[dict[str, str]]
    split: str = "default"
    kind: Kind | None = None
    category: str | None = None
    language: str | None = None
    wrapper: str | None = None
    turns: int = 1
    reference: dict[str, Any] = Field(default_factory=dict)

    @field_validator("prompt")
    @classmethod
    def _check_prompt(cls, messages: list[dict[str, str]]) -> list[dict[str, str]]:
        if not messages:
            raise ValueError("prompt has no messages")
        for i, m in enumerate(messages):
            if set(m) != {"role", "content"} or m["role"] not in ("system", "user", "assistant"):
                raise ValueError(f"message {i} must be {{role: system|user|assistant, content}}")
        if messages[-1]["role"] != "user":
            raise ValueError("the last message must be the user's")
        return messages

    @property
    def last_user_text(self) -> str:
        return self.prompt[-1]["content"]

    @property
    def conversation_text(self) -> str:
        """Every message of the prompt, one per line (for judges that read the whole chat)."""
        return "\n".join(m["content"] for m in self.prompt)


class Generation(BaseModel):
    """One sampled reply to a sample; ``text`` includes a forced ``<think>\\n`` opener if any."""

    sample_id: str
    index: int
    text: str
    finish_reason: str = "stop"
    completion_tokens: int = 0


class Judgement(BaseModel):
    """What one judge said about one generation; ``None`` values are left out of metrics."""

    sample_id: str
    index: int
    judge: str
    scores: dict[str, float | bool | None]
    detail: dict[str, Any] = Field(default_factory=dict)
