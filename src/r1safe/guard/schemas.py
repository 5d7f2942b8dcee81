"""OpenAI chat-completions shapes: the request the guard accepts, the replies and errors it sends.

Requests are lenient about fields the guard does not use (clients send many), strict about the
ones it does. Replies carry ``message.reasoning_content`` beside ``message.content`` as
DeepSeek's API does, and a ``guard`` object (request id, verdict, reason code, flags) that
OpenAI clients keep as an extra field.
"""

from __future__ import annotations

import json
import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Content part types the guard reads, and the field that holds each one's text.
TEXT_PARTS = {"text": "text", "input_text": "text", "output_text": "text", "refusal": "refusal"}


#: what the guard did with a request
Verdict = Literal["allowed", "blocked", "flagged", "held"]

class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None

    @field_validator("content")
    @classmethod
    def _text_parts_only(cls, content: str | list[dict[str, Any]] | None) -> str | list[dict[str, Any]] | None:
        if isinstance(content, list):
            for part in content:
                if part.get("type") not in TEXT_PARTS:
                    raise ValueError(
                        f"content part type {part.get('type')!r} is not accepted: the guard screens and "
                        f"forwards text only ({', '.join(TEXT_PARTS)})"
                    )
                if not isinstance(part.get(TEXT_PARTS[part["type"]]), str):
                    raise ValueError(
                        f"content part of type {part['type']!r} needs a string {TEXT_PARTS[part['type']]!r}"
                    )
        return content

    def text(self) -> str:
        """The message's text; every text-bearing content part (see :data:`TEXT_PARTS`) is joined."""
        if isinstance(self.content, list):
            return "".join(p[TEXT_PARTS[p["type"]]] for p in self.content)
        return self.content or ""

    @property
    def tool_calls(self) -> list[Any]:
        extra = self.model_extra or {}
        calls = extra.get("tool_calls") or []
        if extra.get("function_call"):
            calls = [*calls, {"function": extra["function_call"]}]
        return calls if isinstance(calls, list) else [calls]

    def screened_text(self) -> str:
        """Everything of this message the model will read: the ``name``, the text, and the names
        and arguments of any tool calls, one per line."""
        lines = []
        name = (self.model_extra or {}).get("name")
        if isinstance(name, str) and name.strip():
            lines.append(name)
        lines.append(self.text())
        for call in self.tool_calls:
            lines.append(json.dumps(call, ensure_ascii=False) if not isinstance(call, str) else call)
        return "\n".join(line for line in lines if line)


class ResponseFormat(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: Literal["text", "json_object", "json_schema"] = "text"
    json_schema: dict[str, Any] | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class ChatRequest(BaseModel):
    """The body of ``POST /v1/chat/completions``."""

    model_config = ConfigDict(extra="allow")

    model: str = "gym"
    messages: list[ChatMessage] = Field(min_length=1)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    n: int = Field(1, ge=1, le=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    seed: int | None = None
    response_format: ResponseFormat | None = None
    tools: list[dict[str, Any]] | None = None
    functions: list[dict[str, Any]] | None = None
    tool_choice: Any = None

    @field_validator("messages")
    @classmethod
    def _last_is_user(cls, messages: list[ChatMessage]) -> list[ChatMessage]:
        if messages[-1].role not in ("user", "tool"):
            raise ValueError("the last message must be the user's")
        return messages

    @property
    def wants_tools(self) -> bool:
        return bool(
            self.tools
            or self.functions
            or self.tool_choice not in (None, "none")
            or (self.model_extra or {}).get("function_call") not in (None, "none")
            or any(m.role == "tool" or m.tool_calls for m in self.messages)
        )

    @property
    def token_limit(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens


class GuardInfo(BaseModel):
    """What the guard decided, attached to every reply (clients see it as an extra field)."""

    request_id: str
    verdict: Verdict
    reason: str | None = None
    flags: list[str] = Field(default_factory=list)
    review_id: int | None = None
    policy: str


class ReplyMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str | None
    reasoning_content: str | None = None
    tool_calls: list[dict[str, Any]] | None = None


class Choice(BaseModel):
    index: int = 0
    message: ReplyMessage
    finish_reason: str


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChatResponse(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int = Field(default_factory=lambda: int(time.time()))
    model: str
    choices: list[Choice]
    usage: Usage = Usage()
    guard: GuardInfo


def chunk(
    request_id: str,
    model: str,
    delta: dict[str, Any],
    finish_reason: str | None = None,
    guard: GuardInfo | None = None,
    created: int | None = None,
) -> dict[str, Any]:
    """One ``chat.completion.chunk`` for the SSE stream."""
    body: dict[str, Any] = {
        "id": request_id,
        "object": "chat.completion.chunk",
        "created": created or int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }
    if guard is not None:
        body["guard"] = guard.model_dump()
    return body


def error_body(message: str, type_: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    """OpenAI's error shape: ``{"error": {"message", "type", "param", "code"}}``."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


class GuardHTTPError(Exception):
    """An error the guard answers with: HTTP status plus OpenAI's error body."""

    def __init__(
        self,
        status: int,
        message: str,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type_, code, param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return error_body(self.message, self.type, self.code, self.param)
