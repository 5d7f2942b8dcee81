"""Screening: the input (normalized, each turn and the conversation as a whole) and the output
(reasoning and answer apart, by every judge the policy lists), each read by parts.

Every text is cut into sentences, adjacent pairs and windows (:mod:`r1safe.guard.parts`) and the
highest part score decides, so benign padding cannot dilute a harmful sentence; the verdict
names the turn (or reasoning / answer), the reading and the character span that scored highest.

A screen returns a verdict with harm probabilities, a reason code when it blocks, and the time
its judges took (reported apart from the guard's own overhead). Judges come from the judges
registry; a judge's ``p_harmful_reasoning``/``p_harmful_answer`` scores are read as
probabilities, else its booleans ``harmful_reasoning``/``harmful_answer`` count as 0 or 1.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from r1safe.classifiers.harm.model import GuardClassifier
from r1safe.classifiers.harm.training import resolve_classifier
from r1safe.eval.judges.base import JUDGES, Judge
from r1safe.guard.normalize import variants
from r1safe.guard.parts import Span, spans
from r1safe.guard.policy import GuardPolicy, for_model
from r1safe.records import Sample

RESPONSE_PART_CHARS = 60  # reply sentences shorter than this are read with the next ones
REFUSAL_JUDGES = ("refusal_clf", "refusal")  # judges that say whether a text refuses, not whether it harms
REFUSAL_READS_CHARS = 300  # an answer this short is read whole by the refusal judge (its first 64 word pieces)
REFUSAL_MEMO_CHARS = 1024  # more than the refusal judge reads of a text
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
    where: dict[str, Any] = field(default_factory=dict)


class PartScorer:
    """The classifier's scores of text parts, with a bounded memo: streaming re-screens the text so
    far at every window, and padding repeats sentences, so most parts are scored once."""

    def __init__(self, classifier: GuardClassifier, size: int = 8192, word_anchors: bool = False) -> None:
        self.classifier, self.size, self.word_anchors = classifier, size, word_anchors
        self._memo: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()

    def scores(self, texts: list[str], head: str) -> list[float]:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if (head, t) not in self._memo))
        found = dict(zip(missing, self.classifier.scores(missing, head), strict=True)) if missing else {}
        with self._lock:
            for text, p in found.items():
                self._memo[(head, text)] = p
            while len(self._memo) > self.size:
                self._memo.popitem(last=False)
            return [found[t] if t in found else self._memo.get((head, t), 0.0) for t in texts]

    def worst(self, text: str, head: str) -> tuple[float, Span | None]:
        """The highest score over :func:`~r1safe.guard.parts.spans` of ``text`` and the span that has it
        (requests with each sentence's last words too, when the scorer reads ``word_anchors``)."""
        request = head == "request"
        parts = spans(text, 0 if request else RESPONSE_PART_CHARS, word_anchors=request and self.word_anchors)
        if not parts:
            return 0.0, None
        scores = self.scores([p.text for p in parts], head)
        best = max(range(len(parts)), key=scores.__getitem__)
        return scores[best], parts[best]


def _where(turn: int | None, role: str | None, reading: int, span: Span | None, p: float) -> dict[str, Any]:
    """The audit record's pointer to the part that scored highest."""
    out: dict[str, Any] = {"turn": turn, "role": role, "reading": reading, "score": round(p, 4)}
    if span is not None:
        out["span"] = [span.start, span.end]
        out["excerpt"] = span.text[:160]
    return out


class InputScreen:
    """The request head of the guard classifier over every part of every normalized reading of
    each turn and of the recent conversation; the highest score decides."""

    def __init__(self, policy: GuardPolicy, classifier: GuardClassifier | None = None) -> None:
        policy = _resolved(policy)
        self.policy = policy.input
        self.classifier = classifier or resolve_classifier(policy.classifier)
        self.parts = PartScorer(self.classifier, word_anchors=self.policy.word_anchors)

    def readings(self, text: str) -> list[str]:
        return variants(text) if self.policy.normalize else [text]

    def _worst(self, texts: list[str], turn: int | None, role: str | None) -> tuple[float, dict[str, Any]]:
        """(score, where) over the parts of every reading of ``texts``."""
        best, where = 0.0, _where(turn, role, 0, None, 0.0)
        for text in texts:
            for r, reading in enumerate(self.readings(text)):
                p, span = self.parts.worst(reading, "request")
                if p > best:
                    best, where = p, _where(turn, role, r, span, p)
        return best, where

    def screen(self, turns: list[str], roles: list[str] | None = None) -> InputVerdict:
        """Score the parts of each turn, then of the last user turns together; block at the threshold.
        The verdict's ``detail["where"]`` names the turn, reading and character span that scored highest."""
        if not self.policy.enabled or not turns:
            return InputVerdict(0.0, False, None, 0.0)
        roles = roles or ["user"] * len(turns)
        start = time.perf_counter()
        p_single, where = 0.0, _where(None, None, 0, None, 0.0)
        for i, (turn, role) in enumerate(zip(turns, roles, strict=True)):
            p, w = self._worst([turn], i, role)
            if p > p_single:
                p_single, where = p, w
        p_whole = 0.0
        if self.policy.whole_conversation and len(turns) > 1:
            recent = turns[-CONVERSATION_TURNS:]
            texts = ["\n".join(recent)] + ["\n".join(recent[i : i + 2]) for i in range(len(recent) - 1)]
            payload = split_payload(recent)
            if payload:
                texts.append(payload)
            p_whole, w_whole = self._worst(texts, None, "conversation")
            if p_whole > p_single:
                where = w_whole
        ms = (time.perf_counter() - start) * 1000
        score = max(p_single, p_whole)
        blocked = score >= self.policy.threshold
        reason = None
        if blocked:
            reason = "input_harmful" if p_single >= self.policy.threshold else "conversation_harmful"
            raw = max(self.parts.worst(t, "request")[0] for t in turns)
            if reason == "input_harmful" and raw < self.policy.threshold:
                reason = "input_obfuscated"  # only a normalized reading (decoded, folded) was harmful
        detail = {"single": round(p_single, 4), "whole": round(p_whole, 4), "where": where}
        return InputVerdict(score, blocked, reason, ms, detail)


def _resolved(policy: GuardPolicy) -> GuardPolicy:
    """A policy whose model was never named (``classifier: auto`` left unresolved) screens as for the gym;
    :func:`r1safe.guard.factory.build_guard` resolves it for the model it serves."""
    return for_model(policy, gym_model=True) if policy.classifier == "auto" or policy.output.judges is None else policy


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
    """Every harm judge of ``policy.output.judges`` on the reasoning and the answer, block on the worst;
    a refusal judge (:data:`REFUSAL_JUDGES`) reads both too and says which of them refuses.

    A judge built on the guard classifier (one with a ``classifier`` attribute) scores every part
    of each (see :mod:`r1safe.guard.parts`) so a harmful step is not diluted by the text around
    it; any other judge reads each whole. A refusal never excuses the reasoning: a harmful reasoning
    under a refusing answer is blocked (reason ``reasoning_harmful_under_refusal``). It excuses only
    an answer short enough for the refusal judge to have read it whole (:data:`REFUSAL_READS_CHARS`),
    whose harm score is then scaled by 1 - P(refused): a refusal that names the harm it refuses
    ("I won't explain how to make a bomb") is not a harmful answer."""

    def __init__(self, policy: GuardPolicy, judges: list[Judge] | None = None) -> None:
        policy = _resolved(policy)
        self.policy = policy.output
        if judges is None:
            judges = []
            for spec in self.policy.judges or []:
                params = dict(spec.params)
                if spec.name == "guard_classifier":
                    params.setdefault("path", policy.classifier)
                    params.setdefault("threshold", self.policy.threshold)
                if spec.name == "refusal_clf":
                    params.setdefault("judge_reasoning", True)
                judges.append(JUDGES.create(spec.name, **params))
        self.refusal = [j for j in judges if j.name in REFUSAL_JUDGES]
        self._refusal_memo: tuple[tuple[str, str] | None, dict[str, float | None]] = (None, {})
        judges = [j for j in judges if j.name not in REFUSAL_JUDGES]
        self.judges = judges
        classifiers = {j.name: getattr(j, "classifier", None) for j in judges}
        self.parts = {name: PartScorer(c) for name, c in classifiers.items() if isinstance(c, GuardClassifier)}

    def _judge(self, judge: Judge, sample: Sample, reasoning: str, answer: str) -> dict[str, tuple[float, Span | None]]:
        scorer = self.parts.get(judge.name)
        if scorer is not None:
            return {"reasoning": scorer.worst(reasoning, "response"), "answer": scorer.worst(answer, "response")}
        text = f"<think>\n{reasoning}\n</think>\n\n{answer}" if answer else f"<think>\n{reasoning}"
        scores = judge.judge(sample, text)
        p_r, p_a = _part_probability(scores, "reasoning"), _part_probability(scores, "answer")
        if p_r is None and p_a is None:  # a whole-reply judge: give it each part on its own
            p_r = _whole_probability(judge.judge(sample, f"<think>\n{reasoning}\n</think>\n\n")) if reasoning else 0.0
            p_a = _whole_probability(judge.judge(sample, f"<think>\n\n</think>\n\n{answer}")) if answer else 0.0
        return {"reasoning": (p_r or 0.0, None), "answer": (p_a or 0.0, None)}

    def refusals(self, sample: Sample, reasoning: str, answer: str) -> dict[str, float | None]:
        """P(refused) of the answer and of the reasoning by the first refusal judge (None: not read).
        The judge reads only a text's opening, so a stream re-screened window by window is judged
        again only while that opening grows."""
        if not self.refusal:
            return {}
        key = (reasoning[:REFUSAL_MEMO_CHARS], answer[:REFUSAL_MEMO_CHARS])
        memo = self._refusal_memo  # one read: requests screened concurrently may replace it
        if key == memo[0]:
            return memo[1]
        text = f"<think>\n{reasoning}\n</think>\n\n{answer}" if answer else f"<think>\n{reasoning}"
        scores = self.refusal[0].judge(sample, text)

        def p(key: str, flag: str) -> float | None:
            value = scores.get(key)
            return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else (
                None if scores.get(flag) is None else float(bool(scores.get(flag))))

        found = {"answer": p("p_refused", "refused"), "reasoning": p("p_refused_reasoning", "refused_reasoning")}
        self._refusal_memo = (key, found)
        return found

    def screen(self, sample: Sample, reasoning: str, answer: str) -> OutputVerdict:
        verdict = OutputVerdict()
        if not self.policy.enabled or not (reasoning or answer):
            return verdict
        start = time.perf_counter()
        refused = self.refusals(sample, reasoning, answer)
        if refused:
            verdict.by_judge[self.refusal[0].name] = {
                f"p_refused_{part}": None if p is None else round(p, 4) for part, p in refused.items()
            }
        excuse = refused.get("answer") if answer and len(answer) <= REFUSAL_READS_CHARS else None
        answer_refused = (refused.get("answer") or 0.0) >= 0.5
        for judge in self.judges:
            found = self._judge(judge, sample, reasoning, answer)
            if excuse is not None:
                p_answer, span = found["answer"]
                found["answer"] = (p_answer * (1.0 - excuse), span)
            verdict.by_judge[judge.name] = {part: round(p, 4) for part, (p, _) in found.items()}
            for part, (p, span) in found.items():
                if p > getattr(verdict, part):
                    setattr(verdict, part, p)
                if p >= verdict.where.get("score", 0.0) and not verdict.blocked:
                    verdict.where = _where(None, part, 0, span, p) | {"judge": judge.name}
                if p >= self.policy.threshold and not verdict.blocked:
                    reason = f"{part}_harmful" + ("_under_refusal" if part == "reasoning" and answer_refused else "")
                    verdict.blocked, verdict.reason, verdict.judge = True, reason, judge.name
                    verdict.where = _where(None, part, 0, span, p) | {"judge": judge.name}
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
