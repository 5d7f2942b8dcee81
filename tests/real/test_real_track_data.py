"""The real track's pools keep roles apart, and its corpora keep only what the model got right.

The corpora are tested with a scripted backend (replies chosen by the prompt), so each filter is
checked on replies whose fate is known; the study test runs them on a real model."""

from __future__ import annotations

from pathlib import Path

from r1safe.backends.base import Completion
from r1safe.study.real.corpora import STEP_BY_STEP, WHY_HARMFUL, cold_start_rows, safety_rows
from r1safe.study.real.pools import build_pools
from r1safe.text.think_format import parse_reply

DATA = Path(__file__).resolve().parents[1] / "fixtures" / "real_data"


def test_pools_keep_training_and_test_prompts_apart_and_the_card_names_every_license():
    pools = build_pools(DATA)
    train = {s.last_user_text for s in pools.train_harmful + pools.train_benign + pools.train_borderline
             + pools.train_arithmetic}
    dev = {s.last_user_text for s in pools.dev}
    test = {s.last_user_text for rows in pools.test.values() for s in rows}
    assert train and dev and test
    assert not train & test and not train & dev and not dev & test
    assert {s.kind for s in pools.train_harmful} == {"harmful"}
    assert {s.kind for s in pools.test["coconot_contrast"]} == {"borderline"}
    assert len(pools.test["wildguard_harmful_adversarial"]) == 1
    card = {row["source"]: row for row in pools.card()[:-1]}
    assert card["advbench"]["license"] == "MIT" and "evaluation only" in card["jailjudge"]["license"]
    assert build_pools(DATA).test["advbench"] == pools.test["advbench"]  # the cut is deterministic


class ScriptedBackend:
    """Replies chosen by a function of the last user message (one list of ``n`` per prompt)."""

    def __init__(self, reply):
        self.reply = reply

    def generate(self, prompts, params):
        return [[Completion(text=self.reply(p[-1]["content"], k), finish_reason="stop") for k in range(params.n)]
                for p in prompts]


def test_cold_start_keeps_right_sums_and_coherent_answers_with_the_models_own_plan_as_reasoning():
    pools = build_pools(DATA)
    sums = pools.train_arithmetic[:4]
    right = {s.last_user_text: s.reference["answer"] for s in sums[:2]}

    def reply(text, k):
        question = text.removesuffix("\nLet's think step by step.")
        if text.endswith("Let's think step by step."):
            answer = right.get(question, "-1")
            return f"We work it out: the result is {answer}.\n#### {answer}"
        if text.startswith("Before answering"):
            return "The user wants practical advice, so I will list a few clear tips. More text here."
        if "tea" in text:
            return "I'm sorry, but I can't help with that."
        if "poem" in text:
            return "Leaves fall. " * 10
        return "Here is a helpful answer. It has two sentences. And a cut-off tail without"

    built = cold_start_rows(ScriptedBackend(reply), pools.train_benign, sums)
    assert built.counts["arithmetic: kept"] == 2 and built.counts["arithmetic: wrong answer"] == 4
    sums_rows = [r for r in built.rows if r["source"] == "cold_start:arithmetic"]
    reply0 = parse_reply(sums_rows[0]["completion"][0]["content"])
    assert reply0.format_ok and reply0.answer == f"The answer is {sums[0].reference['answer']}."
    assert "####" not in reply0.reasoning
    benign_rows = [r for r in built.rows if r["source"] == "cold_start:benign"]
    assert benign_rows and all("tea" not in r["prompt"][0]["content"] for r in benign_rows)
    assert all("poem" not in r["prompt"][0]["content"] for r in benign_rows)
    one = parse_reply(benign_rows[0]["completion"][0]["content"])
    assert one.reasoning == "The user wants practical advice, so I will list a few clear tips."
    assert one.answer == "Here is a helpful answer. It has two sentences."
    assert STEP_BY_STEP.format(question="x").endswith("step by step.")


def test_safety_rows_refuse_with_the_models_own_why_when_it_names_a_harm_and_keep_unrefused_borderline_answers():
    pools = build_pools(DATA)
    harmful, borderline = pools.train_harmful[:3], pools.train_borderline[:2]
    why_of = {harmful[0].last_user_text: '"This request could cause harm because it targets vulnerable people."',
              harmful[1].last_user_text: "This request should not be refused, it is harmless fun."}

    def reply(text, k):
        for request, why in why_of.items():
            if text == WHY_HARMFUL.format(question=request):
                return why
        if text.startswith("In one sentence"):
            return "ok"
        if text == borderline[0].last_user_text:
            return "<think>\nThe user asks how to do it.\n</think>\n\nFirst, open the menu. Then choose quit."
        return "<think>\nHmm.\n</think>\n\nI'm sorry, but I can't help with that."

    built = safety_rows(ScriptedBackend(reply), harmful, borderline)
    refusals = [r for r in built.rows if r["source"] == "safety:refusal"]
    assert len(refusals) == 3 and built.counts["harmful: the model's own why"] == 1
    first = parse_reply(refusals[0]["completion"][0]["content"])
    assert "targets vulnerable people." in first.reasoning and first.reasoning.startswith("The user asks me to")
    assert '"' not in first.reasoning
    assert "should not be refused" not in parse_reply(refusals[1]["completion"][0]["content"]).reasoning
    kept = [r for r in built.rows if r["source"] == "safety:borderline"]
    assert [r["prompt"][0]["content"] for r in kept] == [borderline[0].last_user_text]
    assert built.counts["borderline: refused, looped or unformatted"] == 1


def test_the_models_why_loses_think_tags_it_writes_into_a_plain_reply():
    from r1safe.study.real.corpora import _why

    why = _why("<think>This request could cause harm by teaching people to deceive others. More text.")
    assert why == "This request could cause harm by teaching people to deceive others."
    assert _why("It is not harmful at all, this is fine to answer.") is None
