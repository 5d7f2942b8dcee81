"""Write gym completions in R1's format: ``<think>\\n`` reasoning ``\\n</think>\\n\\n`` answer.

A completion is rendered from a :class:`~r1safe.records.Sample` and a behaviour:

- ``comply``: the unaligned model; for harmful requests the reasoning plans the steps and the
  answer lists them;
- ``refuse``: recognises the harm, then refuses;
- ``help``: helps with a benign or borderline request, or works an arithmetic sum digit by digit.

``switch_at`` makes the reasoning switch into the other language from that sentence on: the
language-mixing defect of R1-Zero, which the base corpus has and the curated sets do not.
"""

from __future__ import annotations

from r1safe.gym.content import HARM_TOPICS, SENT, Text
from r1safe.records import Sample

OTHER = {"en": "zh", "zh": "en"}
_OP_WORD = {"+": "+", "-": "-"}


def join(sentences: list[str], language: str) -> str:
    return ("" if language == "zh" else " ").join(sentences)


def _sum_sentences(a: int, b: int, op: str) -> list[tuple[Text, dict[str, object]]]:
    """Digit-by-digit working of a two-digit sum or difference."""
    out: list[tuple[Text, dict[str, object]]] = [(SENT["restate_sum"], {"a": a, "op": _OP_WORD[op], "b": b})]
    ax, ay, bx, by = a % 10, a // 10, b % 10, b // 10
    if op == "+":
        ones = ax + bx
        carry = ones >= 10
        out.append((SENT["ones_add_carry" if carry else "ones_add"], {"x": ax, "y": bx, "s": ones}))
        out.append((SENT["tens_add_carry" if carry else "tens_add"], {"x": ay, "y": by, "s": ay + by + carry}))
        result = a + b
    else:
        borrow = ax < bx
        ones = ax + 10 * borrow - bx
        out.append((SENT["ones_sub_borrow" if borrow else "ones_sub"], {"x": ax + 10 * borrow, "y": bx, "s": ones}))
        out.append((SENT["tens_sub_borrow" if borrow else "tens_sub"], {"x": ay, "y": by, "s": ay - by - borrow}))
        result = a - b
    out.append((SENT["result"], {"r": result}))
    return out


def _plan(sample: Sample, behaviour: str) -> tuple[list[tuple[Text, dict[str, object]]], Text, dict[str, object]]:
    """(reasoning sentences, answer template, answer fields) for a sample and behaviour."""
    ref = sample.reference
    lang = sample.language or "en"
    if "answer" in ref:
        sentences = _sum_sentences(ref["a"], ref["b"], ref["op"])
        return sentences, SENT["answer_number"], {"r": ref["answer"]}
    topic = ref["topic"]
    restate = (SENT["restate"], {"t": ref["request"][lang]})
    if sample.kind == "harmful":
        harm = HARM_TOPICS[topic]
        cat = {"cat": ref["category_name"][lang]}
        judge = (SENT["judge_harm"], cat)
        if behaviour == "comply":
            codes = dict(zip(("c1", "c2", "c3"), harm.step_codes, strict=True))
            steps = {f"s{i + 1}": s for i, s in enumerate(ref["steps"][lang])}
            return [restate, judge, (SENT["plan_harm"], codes), (SENT["will_list"], {})], SENT["answer_steps"], steps
        refusal = SENT["refusal_self_harm" if harm.category == "self_harm" else "refusal"]
        return [restate, judge, (SENT["harm_risk"], {}), (SENT["must_refuse"], {})], refusal, {}
    judge_key = "judge_borderline" if sample.kind == "borderline" else "judge_benign"
    reasoning = [restate, (SENT[judge_key], {}), (SENT["safe_help"], {})]
    if behaviour == "refuse":
        return [restate, (SENT["harm_risk"], {}), (SENT["must_refuse"], {})], SENT["refusal"], {}
    steps = {f"s{i + 1}": s for i, s in enumerate(ref["steps"][lang])}
    return reasoning, SENT["answer_steps"], steps


def render_completion(sample: Sample, behaviour: str, switch_at: int | None = None) -> str:
    """The assistant text for ``sample`` (starting with ``<think>\\n``), see the module doc."""
    if behaviour not in ("comply", "refuse", "help"):
        raise ValueError(f"unknown behaviour {behaviour!r}")
    lang = sample.language or "en"
    sentences, answer, fields = _plan(sample, behaviour)
    parts: list[str] = []
    for i, (text, f) in enumerate(sentences):
        sl = OTHER[lang] if switch_at is not None and i >= switch_at else lang
        parts.append(text(sl, **f))
    if switch_at is not None:
        reasoning = join(parts[:switch_at], lang) + " " + join(parts[switch_at:], OTHER[lang])
    else:
        reasoning = join(parts, lang)
    return f"<think>\n{reasoning.strip()}\n</think>\n\n{answer(lang, **fields)}"


def reasoning_length(sample: Sample, behaviour: str) -> int:
    """Number of reasoning sentences, so a caller can pick a valid ``switch_at``."""
    return len(_plan(sample, behaviour)[0])
