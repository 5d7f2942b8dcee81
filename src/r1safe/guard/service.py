"""The guard's request flow, independent of HTTP: policy → input screen → upstream → output
screen → format and language checks → review → audit → reply.

:class:`Guard` owns the policy, the screens, the upstream, the audit log, auth and rate limits.
``server.py`` only turns HTTP into calls here; streaming is in :mod:`r1safe.guard.streaming`.
Every request leaves exactly one audit record, written before its reply is sent.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from r1safe.guard.audit import AuditLog
from r1safe.guard.formats import check_json
from r1safe.guard.language import check as check_language
from r1safe.guard.policy import GuardPolicy, policy_hash
from r1safe.guard.prompting import JSON_INSTRUCTION, Prepared, prepare
from r1safe.guard.schemas import (
    ChatRequest,
    ChatResponse,
    Choice,
    GuardHTTPError,
    GuardInfo,
    ReplyMessage,
    Usage,
    Verdict,
)
from r1safe.guard.screening import InputScreen, InputVerdict, OutputScreen, OutputVerdict, request_sample
from r1safe.guard.security import ApiKey, Authenticator, RateLimiter
from r1safe.guard.upstream import Upstream, UpstreamCall, UpstreamError, UpstreamReply, UpstreamTimeout
from r1safe.text.think_format import ParsedReply, parse_reply


def new_request_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex[:24]


@dataclass
class Outcome:
    """Everything decided about one request; becomes the reply and the audit record."""

    request_id: str
    key: ApiKey
    started: float
    model: str
    stream: bool = False
    prepared: Prepared | None = None
    reasoning: str = ""
    answer: str = ""
    finish_reason: str = "stop"
    verdict: Verdict = "allowed"
    reason: str | None = None
    judge: str | None = None
    flags: list[str] = field(default_factory=list)
    verdicts: dict[str, Any] = field(default_factory=dict)
    language_detected: str | None = None
    review_id: int | None = None
    upstream_ms: float = 0.0
    judge_ms: float = 0.0
    completion_tokens: int = 0
    prompt_tokens: int = 0
    tool_calls: list[dict[str, Any]] | None = None

    def block(self, reason: str, judge: str | None, refusal: str) -> None:
        self.verdict, self.reason, self.judge = "blocked", reason, judge
        self.reasoning, self.answer, self.finish_reason = "", refusal, "content_filter"

    def note_ending(self, reply: ParsedReply, finish_reason: str) -> None:
        """Flag a reply that has no answer because it ended inside its reasoning: ``reasoning_cut``
        (the token budget ran out: ``finish_reason`` is ``length``) or ``think_unclosed`` (the model
        stopped without closing ``</think>``), so an empty answer never reads as a complete one."""
        if reply.answer:
            return
        if finish_reason == "length":
            flag = "reasoning_cut"
        elif not reply.has_close and reply.reasoning:
            flag = "think_unclosed"
        else:
            return
        if flag not in self.flags:
            self.flags.append(flag)


class Guard:
    """A configured guard: call :meth:`admit`, then :meth:`chat` or the streaming flow."""

    def __init__(
        self,
        policy: GuardPolicy,
        upstream: Upstream,
        audit: AuditLog,
        keys: list[ApiKey] | None,
        served_model: str = "gym",
        input_screen: InputScreen | None = None,
        output_screen: OutputScreen | None = None,
    ) -> None:
        self.policy, self.upstream, self.audit = policy, upstream, audit
        self.policy_hash = policy_hash(policy)
        self.served_model = served_model
        self.auth = Authenticator(keys)
        self.limiter = RateLimiter(policy.limits.rate_per_minute, policy.limits.burst)
        self.input_screen = input_screen or InputScreen(policy)
        self.output_screen = output_screen or OutputScreen(policy)

    # -- admission -------------------------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> ApiKey:
        key = self.auth.check(authorization)
        self.limiter.take(key.key_id)
        return key

    def admit(self, outcome: Outcome, request: ChatRequest) -> None:
        """Tools policy and usage rules; fills ``outcome.prepared`` or raises a 400."""
        tools = self.policy.tools
        if request.wants_tools and not (
            tools.allowed or outcome.key.name in tools.allow_keys or outcome.key.key_id in tools.allow_keys
        ):
            raise GuardHTTPError(
                400,
                "tool calls and agentic use are refused by the guard policy "
                "(tools.allowed=false; allow a key with tools.allow_keys)",
                code="tools_not_allowed",
                param="tools",
            )
        if request.wants_tools and not getattr(self.upstream, "accepts_tools", False):
            raise GuardHTTPError(
                400,
                "this guard's model runs in-process and takes no tools; serve an "
                "OpenAI-compatible server with --upstream to forward them",
                code="tools_unsupported",
                param="tools",
            )
        outcome.prepared = prepare(request, self.policy)
        outcome.flags.extend(outcome.prepared.flags)

    def screen_input(self, outcome: Outcome, request: ChatRequest) -> InputVerdict:
        turns = [(m.screened_text(), m.role) for m in request.messages]
        verdict = self.input_screen.screen([t for t, _ in turns], [r for _, r in turns])
        outcome.judge_ms += verdict.judge_ms
        outcome.verdicts["input"] = {"score": round(verdict.score, 4), **verdict.detail}
        if verdict.blocked and verdict.reason:
            outcome.block(verdict.reason, "guard_classifier", self.refusal(outcome))
        return verdict

    def refusal(self, outcome: Outcome) -> str:
        return self.policy.refusal.text(outcome.prepared.language if outcome.prepared else None)

    # -- upstream and output -------------------------------------------------------------------------
    def call(self, prepared: Prepared, extra_note: str | None = None) -> UpstreamCall:
        messages = [dict(m) for m in prepared.messages]
        if extra_note:
            messages[-1]["content"] += "\n\n" + extra_note
        return UpstreamCall(
            messages,
            prepared.temperature,
            prepared.top_p,
            prepared.max_tokens,
            prepared.seed,
            self.policy.usage.force_think,
            prepared.tools,
        )

    async def generate(self, outcome: Outcome, note: str | None = None) -> UpstreamReply:
        assert outcome.prepared is not None
        start = time.perf_counter()
        try:
            return await self.upstream.complete(self.call(outcome.prepared, note))
        except UpstreamTimeout as err:
            raise GuardHTTPError(504, str(err), "upstream_error", "upstream_timeout") from None
        except UpstreamError as err:
            raise GuardHTTPError(502, str(err), "upstream_error", "upstream_error") from None
        finally:
            outcome.upstream_ms += (time.perf_counter() - start) * 1000

    def parse(self, text: str) -> ParsedReply:
        """The reply's reasoning and answer; without a forced opener, a reply with no think block
        is all answer (a model that does not reason in ``<think>``)."""
        return parse_reply(text, think_forced=self.policy.usage.force_think)

    def screen_output(self, outcome: Outcome, reasoning: str, answer: str) -> OutputVerdict:
        assert outcome.prepared is not None
        sample = request_sample(outcome.request_id, outcome.prepared.messages, outcome.prepared.language)
        verdict = self.output_screen.screen(sample, reasoning, answer)
        outcome.judge_ms += verdict.judge_ms
        outcome.verdicts["output"] = {
            "reasoning": round(verdict.reasoning, 4),
            "answer": round(verdict.answer, 4),
            "by_judge": verdict.by_judge,
            "where": verdict.where,
        }
        return verdict

    def language_ok(self, outcome: Outcome, answer: str, reasoning: str = "") -> bool:
        """Is the answer in the expected language? Mixed reasoning is flagged (``reasoning_mixed``)
        but never blocks: it hurts readability and audits, and the answer is what the client reads."""
        prepared, rules = outcome.prepared, self.policy.language
        if not (rules.check and prepared and prepared.language):
            return True
        if reasoning and rules.check_reasoning:
            mixed = check_language(reasoning, prepared.language, rules.max_mixed)
            outcome.verdicts["reasoning_language"] = {"detected": mixed.detected, "share": mixed.share}
            if not mixed.ok and "reasoning_mixed" not in outcome.flags:
                outcome.flags.append("reasoning_mixed")
        if not answer:
            return True
        result = check_language(answer, prepared.language, rules.max_mixed)
        outcome.language_detected = result.detected
        outcome.verdicts["language"] = {
            "expected": result.expected,
            "detected": result.detected,
            "share": None if result.share is None else round(result.share, 4),
        }
        return result.ok

    async def chat(self, outcome: Outcome, request: ChatRequest) -> None:
        """The non-stream flow after admission and input screening; fills ``outcome``."""
        prepared = outcome.prepared
        assert prepared is not None
        attempts = 1 + max(
            self.policy.format.json_retries if prepared.json_mode else 0,
            1 if self.policy.language.action == "regenerate" else 0,
        )
        note, problem = None, None
        for attempt in range(attempts):
            reply = await self.generate(outcome, note)
            outcome.completion_tokens += reply.completion_tokens
            outcome.prompt_tokens += reply.prompt_tokens
            parsed = self.parse(reply.text)
            reasoning, answer = parsed.reasoning, parsed.answer
            calls = json.dumps(reply.tool_calls, ensure_ascii=False) if reply.tool_calls else ""
            verdict = await asyncio.to_thread(self.screen_output, outcome, reasoning, f"{answer}\n{calls}".strip())
            if verdict.blocked and verdict.reason:
                outcome.block(verdict.reason, verdict.judge, self.refusal(outcome))
                return
            if verdict.flagged:
                outcome.flags.append("output_flagged")
            if prepared.json_mode:
                fixed, problem = check_json(answer, prepared.json_schema)
                if fixed is None:
                    note = f"Your previous answer was not valid ({problem}). {JSON_INSTRUCTION}"
                    if attempt < self.policy.format.json_retries:
                        outcome.flags.append("json_retry")
                        continue
                    raise GuardHTTPError(
                        502,
                        f"the model's answer is not the JSON asked for by response_format "
                        f"({problem}) after {attempt + 1} attempts",
                        "upstream_error",
                        "response_format_violation",
                        "response_format",
                    )
                answer = fixed
            if not self.language_ok(outcome, answer, reasoning):
                action = self.policy.language.action
                if action == "regenerate" and attempt + 1 < attempts and "language_retry" not in outcome.flags:
                    outcome.flags.append("language_retry")
                    continue
                outcome.flags.append("language_mismatch")
                if action == "block":
                    outcome.block("language_mismatch", "language", self.refusal(outcome))
                    return
            outcome.reasoning, outcome.answer, outcome.finish_reason = reasoning, answer, reply.finish_reason
            outcome.tool_calls = reply.tool_calls
            outcome.note_ending(parsed, reply.finish_reason)
            break
        self.maybe_hold(outcome)

    def maybe_hold(self, outcome: Outcome) -> None:
        """Queue a flagged answer for review; in domain-expert mode, hold it until approved."""
        review = self.policy.review
        reasons = [f for f in outcome.flags if f in ("output_flagged", "language_mismatch")]
        if outcome.verdict == "blocked" or not reasons or not review.queue_flags:
            return
        held = review.domain_expert
        payload = {
            "key_id": outcome.key.key_id,
            "messages": outcome.prepared.messages if outcome.prepared else [],
            "reasoning": outcome.reasoning,
            "answer": outcome.answer,
            "finish_reason": outcome.finish_reason,
            "verdicts": outcome.verdicts,
        }
        outcome.review_id = self.audit.add_review(outcome.request_id, ",".join(reasons), held, payload)
        outcome.verdict = "held" if held else "flagged"
        if held:
            outcome.reasoning, outcome.finish_reason = "", "content_filter"
            outcome.answer = self.policy.refusal.held.format(review_id=outcome.review_id)
            outcome.reason = "held_for_review"

    # -- reply and audit ------------------------------------------------------------------------------
    def info(self, outcome: Outcome) -> GuardInfo:
        return GuardInfo(
            request_id=outcome.request_id,
            verdict=outcome.verdict,
            reason=outcome.reason,
            flags=outcome.flags,
            review_id=outcome.review_id,
            policy=f"{self.policy.version}@{self.policy_hash}",
        )

    def response(self, outcome: Outcome) -> ChatResponse:
        reasoning = outcome.reasoning if (self.policy.reasoning.returned and outcome.reasoning) else None
        calls = outcome.tool_calls if outcome.verdict != "held" else None
        message = ReplyMessage(content=outcome.answer, reasoning_content=reasoning, tool_calls=calls)
        return ChatResponse(
            id=outcome.request_id,
            model=outcome.model,
            guard=self.info(outcome),
            choices=[Choice(message=message, finish_reason=outcome.finish_reason)],
            usage=self.usage(outcome),
        )

    @staticmethod
    def usage(outcome: Outcome) -> Usage:
        tokens, prompt = outcome.completion_tokens, outcome.prompt_tokens
        return Usage(prompt_tokens=prompt, completion_tokens=tokens, total_tokens=prompt + tokens)

    def record(self, outcome: Outcome, status: int, error: str | None = None) -> None:
        latency = (time.perf_counter() - outcome.started) * 1000
        if error:
            outcome.verdicts["error"] = error
        self.audit.record(
            request_id=outcome.request_id,
            key_id=outcome.key.key_id,
            policy_version=self.policy.version,
            policy_hash=self.policy_hash,
            model=outcome.model,
            stream=int(outcome.stream),
            status=status,
            verdict=outcome.verdict if status == 200 else "error",
            reason=outcome.reason,
            judge=outcome.judge,
            flags=outcome.flags,
            verdicts=outcome.verdicts,
            language_expected=outcome.prepared.language if outcome.prepared else None,
            language_detected=outcome.language_detected,
            latency_ms=round(latency, 3),
            upstream_ms=round(outcome.upstream_ms, 3),
            judge_ms=round(outcome.judge_ms, 3),
            guard_ms=round(max(latency - outcome.upstream_ms - outcome.judge_ms, 0.0), 3),
        )

    def held_answer(self, review_id: int, key: ApiKey) -> dict[str, Any]:
        """The answer of an approved held review, for the key that asked for it."""
        review = self.audit.review(review_id)
        if review is None or review["payload"].get("key_id") != key.key_id:
            raise GuardHTTPError(404, f"no held answer {review_id} for this key", code="not_found")
        if review["decision"] is None:
            raise GuardHTTPError(409, f"held answer {review_id} is still awaiting review", code="review_pending")
        if review["decision"] == "reject":
            raise GuardHTTPError(403, f"held answer {review_id} was rejected by a reviewer", code="review_rejected")
        payload = review["payload"]
        reasoning = payload.get("reasoning") if self.policy.reasoning.returned else None
        return {
            "review_id": review_id,
            "request_id": review["request_id"],
            "approved_by": review["by"],
            "message": {
                "role": "assistant",
                "content": payload.get("answer"),
                "reasoning_content": reasoning,
            },
        }
