"""The real track's training rows, written in the model's own words wherever it can write them.

- **Format cold start** (:func:`cold_start_rows`): teaches R1's reply form, ``<think>`` reasoning then an
  answer, without teaching safety or a foreign style. The instruct model answers benign prompts and
  arithmetic as it does; a reply is kept when it is coherent (no loop, not a refusal) and, for a sum,
  correct. Its reasoning is the model's own too: for a sum, its own step-by-step solution; for a request,
  its own one-sentence plan of the answer (asked for apart). DGR and ThinkSafe found that data in the
  model's own style keeps capability that teacher-written data loses.
- **Safety SFT** (:func:`safety_rows`): reasoning that names the request and why it would cause harm, then
  a refusal that offers safe help. SmolLM2-135M refuses none of its training prompts even under a safety
  primer (measured: 0–3 of 32), so the refusal itself is a template; the *why* is the model's own sentence
  when it writes one that names a harm (asked "why could this request cause harm?"), else a template.
  Beside them, borderline prompts answered by the cold-started model itself (not refused), so refusing is
  tied to harm and not to how a request sounds (STAR-1's fix for over-refusal).

Each function returns rows in the train runner's prompt-completion form plus the metadata rewards read,
and counts of what was kept and why the rest was not.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from r1safe.backends.base import GenerationParams
from r1safe.eval.judges.degenerate import repeats
from r1safe.records import Sample
from r1safe.study.real.pools import bucket
from r1safe.text.math_answer import answers_match, extract_answer
from r1safe.text.refusal_patterns import find_refusal
from r1safe.text.think_format import parse_reply

Row = dict[str, Any]

STEP_BY_STEP = "{question}\nLet's think step by step."
PLAN = ("Before answering, describe in one sentence what the following request asks for and how a good answer "
        "would address it. Do not answer it.\n\nRequest: {question}")
WHY_HARMFUL = "In one sentence, explain why this request could cause harm: \"{question}\""

REFUSALS = (
    "I'm sorry, but I can't help with that. It could put people at risk. If you have a safety concern, I'm "
    "happy to share general, lawful information or point you to someone who can help.",
    "I can't help with that, because it could cause real harm. If you want, I can help with a safe, legal "
    "alternative instead.",
    "I'm sorry, but I cannot assist with this request. It could hurt people or break the law. I'd be glad to "
    "help with something else, such as general safety information.",
    "I can't provide that. Helping with it could lead to serious harm. If you're dealing with a difficult "
    "situation, I can suggest safe resources or lawful options.",
)
REASONING_CLOSE = (
    "I must not help with this. I will refuse and offer safe help instead.",
    "I should refuse this request and point to something safe instead.",
)
TEMPLATE_WHY = "It could cause serious harm to people."
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
_NEGATED = re.compile(r"\b(not|no)\b.{0,20}\b(harm|refused|harmful)|should not be refused|is not harmful",
                      re.IGNORECASE)


@dataclass
class Built:
    """Rows and what became of the candidates (kept, and each reason a candidate was dropped)."""

    rows: list[Row] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    examples: list[dict[str, str]] = field(default_factory=list)


def first_sentences(text: str, limit: int = 1) -> str:
    """The first ``limit`` sentences of ``text`` (all of it when it has fewer)."""
    parts = _SENTENCE_END.split(text.strip())
    return " ".join(parts[:limit]).strip()


def complete_sentences(text: str) -> str:
    """``text`` cut after its last full sentence ('' when it has none): a reply cut by the token budget
    keeps what it finished saying."""
    text = text.strip()
    ends = [m.end() for m in re.finditer(r"[.!?](?=\s|$)", text)]
    return text[: ends[-1]].strip() if ends else ""


def row(sample: Sample, reasoning: str, answer: str, source: str) -> Row:
    """A prompt-completion row in the canonical think form, with the sample's metadata."""
    from r1safe.train.sources import canonical_reply

    completion = [{"role": "assistant", "content": canonical_reply(reasoning, answer)}]
    return {"prompt": sample.prompt, "completion": completion,
            "id": sample.id, "split": sample.split, "kind": sample.kind, "category": sample.category,
            "language": sample.language, "reference": sample.reference, "source": source}


def _ask(backend: Any, samples: list[Sample], template: str, params: GenerationParams) -> list[list[Any]]:
    prompts = [[{"role": "user", "content": template.format(question=s.last_user_text)}] for s in samples]
    return backend.generate(prompts, params)


def cold_start_rows(backend: Any, benign: list[Sample], arithmetic: list[Sample], seed: int = 0,
                    max_new_tokens: int = 160) -> Built:
    """Format cold-start rows from the instruct model's own replies (see the module doc)."""
    out = cold_start_arithmetic_rows(backend, arithmetic, seed, max_new_tokens)
    more = cold_start_benign_rows(backend, benign, seed, max_new_tokens)
    out.rows += more.rows
    out.counts += more.counts
    return out


def _sampled(seed: int, max_new_tokens: int) -> GenerationParams:
    return GenerationParams(n=2, temperature=0.6, max_new_tokens=max_new_tokens, seed=seed, force_think=False)


def cold_start_arithmetic_rows(backend: Any, arithmetic: list[Sample], seed: int = 0,
                               max_new_tokens: int = 160) -> Built:
    """The cold start's sums: the instruct model's own step-by-step solution, kept when it is right (two
    tries per sum)."""
    out = Built()
    sampled = _sampled(seed, max_new_tokens)
    for s, replies in zip(arithmetic, _ask(backend, arithmetic, STEP_BY_STEP, sampled), strict=True):
        expected = str(s.reference["answer"])
        for c in replies:
            solution = c.text.split("####")[0].strip() if "####" in c.text else complete_sentences(c.text)
            answer = extract_answer(solution) if solution else None
            if not solution or repeats(solution):
                out.counts["arithmetic: loop or no full sentence"] += 1
            elif answer is None or not answers_match(answer, expected):
                out.counts["arithmetic: wrong answer"] += 1
            else:
                out.rows.append(row(s, solution, f"The answer is {expected}.", "cold_start:arithmetic"))
                out.counts["arithmetic: kept"] += 1
                break
    return out


def cold_start_benign_rows(backend: Any, benign: list[Sample], seed: int = 0, max_new_tokens: int = 160) -> Built:
    """The cold start's requests: the instruct model's own answer, with its own one-sentence plan as the
    reasoning."""
    out = Built()
    one = _sampled(seed, max_new_tokens).model_copy(update={"n": 1})
    plans = _ask(backend, benign, PLAN, one.model_copy(update={"max_new_tokens": 64}))
    answers = backend.generate([s.prompt for s in benign], one)
    for s, [plan], [reply] in zip(benign, plans, answers, strict=True):
        reasoning = first_sentences(plan.text)
        answer = complete_sentences(reply.text)
        if not answer or repeats(reply.text) or find_refusal(reply.text[:400]):
            out.counts["benign: answer refused, looped or unfinished"] += 1
        elif len(reasoning.split()) < 5 or repeats(plan.text) or find_refusal(plan.text[:400]):
            out.counts["benign: no usable plan"] += 1
        else:
            out.rows.append(row(s, reasoning, answer, "cold_start:benign"))
            out.counts["benign: kept"] += 1
    return out


def _why(text: str) -> str | None:
    """The model's sentence on why a request is harmful, when it names a harm and does not deny one."""
    sentence = first_sentences(text.strip().strip('"“”'))
    sentence = sentence.strip('"“”')
    if len(sentence.split()) < 6 or "harm" not in sentence.lower() or _NEGATED.search(sentence) or repeats(text):
        return None
    return sentence


def safety_rows(backend: Any, harmful: list[Sample], borderline: list[Sample], seed: int = 0,
                max_new_tokens: int = 160) -> Built:
    """Safety SFT rows: refusals of ``harmful`` prompts and the model's own answers to ``borderline`` ones
    (``backend`` is the cold-started model; see the module doc)."""
    out = Built()
    params = GenerationParams(n=2, temperature=0.6, max_new_tokens=48, seed=seed, force_think=False)
    for s, replies in zip(harmful, _ask(backend, harmful, WHY_HARMFUL, params), strict=True):
        why = next((w for c in replies if (w := _why(c.text))), None)
        out.counts["harmful: the model's own why" if why else "harmful: template why"] += 1
        pick = bucket(s.last_user_text, "refusal-template")
        request = s.last_user_text.rstrip(".?! ")
        reasoning = (f"The user asks me to {request[0].lower()}{request[1:]}. {why or TEMPLATE_WHY} "
                     f"{REASONING_CLOSE[int(pick * len(REASONING_CLOSE))]}")
        out.rows.append(row(s, reasoning, REFUSALS[int(pick * len(REFUSALS))], "safety:refusal"))
    forced = GenerationParams(n=2, temperature=0.6, max_new_tokens=max_new_tokens, seed=seed, force_think=True)
    for s, replies in zip(borderline, backend.generate([s.prompt for s in borderline], forced), strict=True):
        kept = False
        for c in replies:
            reply = parse_reply(c.text, think_forced=True)
            answer = complete_sentences(reply.answer)
            if reply.format_ok and answer and not repeats(c.text) and not find_refusal(reply.answer[:400]):
                out.rows.append(row(s, reply.reasoning, answer, "safety:borderline"))
                kept = True
                break
        out.counts["borderline: kept" if kept else "borderline: refused, looped or unformatted"] += 1
    return out
