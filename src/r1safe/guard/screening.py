"""Screening: the input (normalized, each turn and the conversation as a whole) and the output
(reasoning and answer apart, by every judge the policy lists).

A screen returns a verdict with harm probabilities, a reason code when it blocks, and the time
its judges took (reported apart from the guard's own overhead). Judges come from the judges
registry; a judge's ``p_harmful_reasoning``/``p_harmful_answer`` scores are read as
probabilities, else its booleans ``harmful_reasoning``/``harmful_answer`` count as 0 or 1.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from r1safe.eval.classifier.model import GuardClassifier
from r1safe.eval.classifier.training import resolve_classifier
from r1safe.eval.judges.base import JUDGES, Judge
from r1safe.guard.normalize import variants
from r1safe.guard.policy import GuardPolicy
from r1safe.records import Sample

CONVERSATION_TURNS = 6  # user turns read together for split or escalating requests
_QUOTED = re.compile(r"'([^'\n]{1,200})'|\"([^\"\n]{1,200})\"|“([^”\n]{1,200})”|‘([^’\n]{1,200})’|「([^」\n]{1,200})」")


def split_payload(turns: list[str]) -> str | None:
    """Quoted fragments spread over several turns, joined: the "part one ... part two" attack."""
    found = [[next(g for g in m.groups() if g) for m in _QUOTED.finditer(t)] for t in turns]
    if sum(bool(f) for f in found) < 2:
        return None
    parts = [p.strip() for f in found for p in f]
    return " ".join(parts) + "\n" + "".join(parts)


@dataclass
class InputVerdict:
    score: float
    blocked: bool
    reason: str | None
    judge_ms: float
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class OutputVerdict:
    reasoning: float = 0.0
    answer: float = 0.0
    blocked: bool = False
    reason: str | None = None
    judge: str | None = None
    flagged: bool = False
    judge_ms: float = 0.0
    by_judge: dict[str, dict[str, Any]] = field(default_factory=dict)


class InputScreen:
    """The request head of the guard classifier over every normalized reading of the input."""

    def __init__(self, policy: GuardPolicy, classifier: GuardClassifier | None = None) -> None:
        self.policy = policy.input
        self.classifier = classifier or resolve_classifier(policy.classifier)

    def readings(self, text: str) -> list[str]:
        return variants(text) if self.policy.normalize else [text]

    def screen(self, turns: list[str]) -> InputVerdict:
        """Score each turn, then the last user turns together; block at the policy threshold."""
        if not self.policy.enabled or not turns:
            return InputVerdict(0.0, False, None, 0.0)
        start = time.perf_counter()
        single = [r for t in turns for r in self.readings(t)]
        p_single = max(self.classifier.scores(single, "request"))
        p_whole = 0.0
        if self.policy.whole_conversation and len(turns) > 1:
            recent = turns[-CONVERSATION_TURNS:]
            readings = self.readings("\n".join(recent))
            payload = split_payload(recent)
            if payload:
                readings += self.readings(payload)
            p_whole = max(self.classifier.scores(readings, "request"))
        ms = (time.perf_counter() - start) * 1000
        score = max(p_single, p_whole)
        blocked = score >= self.policy.threshold
        reason = None
        if blocked:
            reason = "input_harmful" if p_single >= self.policy.threshold else "conversation_harmful"
            if reason == "input_harmful" and max(self.classifier.scores(turns, "request")) < self.policy.threshold:
                reason = "input_obfuscated"  # only a normalized reading (decoded, folded) was harmful
        return InputVerdict(score, blocked, reason, ms, {"single": round(p_single, 4), "whole": round(p_whole, 4)})


def _part_probability(scores: dict[str, Any], part: str) -> float | None:
    """Harm probability of ``part`` from a judge that scores reasoning and answer apart."""
    p = scores.get(f"p_harmful_{part}")
    if isinstance(p, int | float) and not isinstance(p, bool):
        return float(p)
    flag = scores.get(f"harmful_{part}")
    return None if flag is None else float(bool(flag))


def _whole_probability(scores: dict[str, Any]) -> float:
    """Harm probability from a judge that scores a whole reply (``p_harmful``, ``harmful``, or a
    ``*_safe_prob`` / ``*_safe`` score such as the proxy reward model's); 0 when it says nothing."""
    for key, value in scores.items():
        if value is None:
            continue
        if key == "p_harmful" or (key == "harmful" and isinstance(value, bool)):
            return float(value)
        if key.endswith("_safe_prob"):
            return 1.0 - float(value)
        if key.endswith("_safe") and isinstance(value, bool):
            return float(not value)
    return 0.0


class OutputScreen:
    """Every judge of ``policy.output.judges`` on the reasoning and the answer, block on the worst."""

    def __init__(self, policy: GuardPolicy, judges: list[Judge] | None = None) -> None:
        self.policy = policy.output
        if judges is None:
            judges = []
            for spec in self.policy.judges:
                params = dict(spec.params)
                if spec.name == "guard_classifier":
                    params.setdefault("path", policy.classifier)
                    params.setdefault("threshold", self.policy.threshold)
                judges.append(JUDGES.create(spec.name, **params))
        self.judges = judges

    def screen(self, sample: Sample, reasoning: str, answer: str) -> OutputVerdict:
        verdict = OutputVerdict()
        if not self.policy.enabled or not (reasoning or answer):
            return verdict
        text = f"<think>\n{reasoning}\n</think>\n\n{answer}" if answer else f"<think>\n{reasoning}"
        start = time.perf_counter()
        for judge in self.judges:
            scores = judge.judge(sample, text)
            p_r, p_a = _part_probability(scores, "reasoning"), _part_probability(scores, "answer")
            if p_r is None and p_a is None:  # a whole-reply judge: give it each part on its own
                p_r = (
                    _whole_probability(judge.judge(sample, f"<think>\n{reasoning}\n</think>\n\n")) if reasoning else 0.0
                )
                p_a = _whole_probability(judge.judge(sample, f"<think>\n\n</think>\n\n{answer}")) if answer else 0.0
            p_r, p_a = p_r or 0.0, p_a or 0.0
            verdict.by_judge[judge.name] = {"reasoning": round(p_r, 4), "answer": round(p_a, 4)}
            for part, p in (("reasoning", p_r), ("answer", p_a)):
                if p > getattr(verdict, part):
                    setattr(verdict, part, p)
                if p >= self.policy.threshold and not verdict.blocked:
                    verdict.blocked, verdict.reason, verdict.judge = True, f"{part}_harmful", judge.name
        verdict.judge_ms = (time.perf_counter() - start) * 1000
        verdict.flagged = not verdict.blocked and max(verdict.reasoning, verdict.answer) >= self.policy.flag_threshold
        return verdict


def request_sample(request_id: str, messages: list[dict[str, str]], language: str | None) -> Sample:
    """The request as a :class:`Sample`, the shape judges read (tool turns left out)."""
    prompt = [
        {"role": m["role"], "content": m["content"]} for m in messages if m["role"] in ("system", "user", "assistant")
    ]
    while prompt and prompt[-1]["role"] != "user":
        prompt.pop()
    if not prompt:
        prompt = [{"role": "user", "content": ""}]
    return Sample(id=request_id, prompt=prompt, language=language, split="guard")
