"""Turn a client's chat request into what the upstream model sees, under R1's usage rules.

System (and developer) messages are folded into the first user turn, temperature is clamped
into the policy's range, top-p is fixed, few-shot examples are detected (flagged, not removed),
and the output format and language are stated in the last user turn. Screening is elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from r1safe.guard.language import expected_language, language_instruction
from r1safe.guard.policy import GuardPolicy
from r1safe.guard.schemas import ChatMessage, ChatRequest, GuardHTTPError

_EXAMPLE_Q = re.compile(r"(?im)^\s*(?:q|question|input|user|example\s*\d*|问题?|输入)\s*\d*\s*[:：]")
_EXAMPLE_A = re.compile(r"(?im)^\s*(?:a|answer|output|assistant|答案?|输出)\s*\d*\s*[:：]")
JSON_INSTRUCTION = "Reply with one valid JSON object only, with no text outside it."


@dataclass
class Prepared:
    """The upstream request after policy: messages plus sampling settings and what was flagged."""

    messages: list[dict[str, str]]
    temperature: float
    top_p: float
    max_tokens: int
    seed: int | None
    json_mode: bool = False
    json_schema: dict[str, Any] | None = None
    language: str | None = None
    flags: list[str] = field(default_factory=list)
    tools: dict[str, Any] | None = None

    @property
    def user_texts(self) -> list[str]:
        return [m["content"] for m in self.messages if m["role"] == "user"]


def _message(m: ChatMessage) -> dict[str, Any]:
    """role and text, plus a tool turn's fields (``tool_calls``, ``tool_call_id``, ``name``)."""
    out: dict[str, Any] = {"role": "system" if m.role == "developer" else m.role, "content": m.text()}
    out.update({k: v for k, v in (m.model_extra or {}).items() if k in ("tool_calls", "tool_call_id", "name") and v})
    return out


def few_shot(messages: list[dict[str, str]]) -> bool:
    """True when a message carries two or more worked question/answer examples."""
    return any(
        len(_EXAMPLE_Q.findall(m["content"])) >= 2 and len(_EXAMPLE_A.findall(m["content"])) >= 2 for m in messages
    )


def fold_system(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """Move system text into the next user turn, as R1's recommendations ask."""
    out: list[dict[str, str]] = []
    pending = ""
    for m in messages:
        if m["role"] == "system":
            pending += m["content"].strip() + "\n\n"
        elif m["role"] == "user":
            out.append({"role": "user", "content": pending + m["content"]})
            pending = ""
        else:
            out.append(m)
    return out


def prepare(request: ChatRequest, policy: GuardPolicy) -> Prepared:
    """Apply the usage policy; a token limit over the policy's maximum is a 400."""
    limits, usage = policy.limits, policy.usage
    if len(request.messages) > limits.max_messages:
        raise GuardHTTPError(
            400,
            f"{len(request.messages)} messages exceed limits.max_messages={limits.max_messages}",
            code="too_many_messages",
            param="messages",
        )
    max_tokens = request.token_limit or limits.default_max_tokens
    if max_tokens > limits.max_tokens:
        raise GuardHTTPError(
            400,
            f"max_tokens {max_tokens} exceeds the policy limit limits.max_tokens={limits.max_tokens}",
            code="max_tokens_exceeded",
            param="max_tokens",
        )
    messages = [_message(m) for m in request.messages]
    flags: list[str] = []
    if usage.flag_few_shot and few_shot(messages):
        flags.append("few_shot")
    if usage.fold_system_prompt and any(m["role"] == "system" for m in messages):
        messages = fold_system(messages)
        flags.append("system_folded")
    t = usage.temperature
    temperature = t.default if request.temperature is None else min(max(request.temperature, t.min), t.max)
    if request.temperature is not None and temperature != request.temperature:
        flags.append("temperature_clamped")
    fmt = request.response_format
    json_mode = fmt is not None and fmt.type in ("json_object", "json_schema")
    schema = (fmt.json_schema or {}).get("schema") if fmt is not None and fmt.type == "json_schema" else None
    user_turns = [m["content"] for m in messages if m["role"] == "user"]
    language = expected_language(policy.language.expected, user_turns[-1] if user_turns else "")
    notes = []
    if json_mode and policy.format.state_in_prompt:
        notes.append(JSON_INSTRUCTION)
    if language and policy.language.state_in_prompt:
        notes.append(language_instruction(language))
    if notes and messages[-1]["role"] == "user":
        messages[-1] = {"role": "user", "content": messages[-1]["content"] + "\n\n" + " ".join(notes)}
    tools = {k: v for k in ("tools", "functions", "tool_choice") if (v := getattr(request, k)) is not None}
    return Prepared(
        messages, temperature, usage.top_p, max_tokens, request.seed, json_mode, schema, language, flags, tools or None
    )
