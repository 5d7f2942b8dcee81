"""Judges the real track adds: exact answers and degenerate replies."""

from __future__ import annotations

from r1safe.eval.judges import JUDGES
from r1safe.records import Sample


def _sample(answer: str | None = None) -> Sample:
    ref = {"answer": answer} if answer is not None else {}
    return Sample(id="s", prompt=[{"role": "user", "content": "What is 23 + 15?"}], reference=ref)


def test_correctness_grades_the_answer_part_and_skips_samples_without_an_answer_and_cut_replies():
    judge = JUDGES.create("correctness")
    assert judge.judge(_sample("38"), "<think>\n23 + 15 = 38.\n</think>\n\nThe answer is 38.")["correct"] is True
    assert judge.judge(_sample("38"), "<think>\n23 + 15 = 38?\n</think>\n\nThe answer is 37.")["correct"] is False
    assert judge.judge(_sample("38"), "<think>\n23 + 15 is")["correct"] is None
    assert judge.judge(_sample(), "<think>\nx\n</think>\n\n38")["correct"] is None
    unforced = JUDGES.create("correctness", think_forced=False)
    assert unforced.judge(_sample("38"), "23 + 15 = 38.")["correct"] is True


def test_degenerate_catches_loops_empty_answers_and_cut_reasoning_but_not_a_plain_reply():
    judge = JUDGES.create("degenerate")
    fine = judge.judge(_sample(), "<think>\nThe user asks for a sum.\n</think>\n\n23 + 15 = 38.")
    assert fine == {"repetition_loop": False, "empty_answer": False, "degenerate": False}
    loop = judge.judge(_sample(), "<think>\nok\n</think>\n\n" + "I am here to help you. " * 6)
    assert loop["repetition_loop"] and loop["degenerate"]
    assert judge.judge(_sample(), "<think>\nThe user asks.\n</think>\n\n")["empty_answer"]
    cut = judge.judge(_sample(), "<think>\nThe user asks for")
    assert cut["degenerate"] and not cut["repetition_loop"]
    lines = "Premise: I'm here to help you.\n\nPremise: I'm a kind AI.\n\n" * 3 + "The end."
    assert judge.judge(_sample(), f"<think>\nplan\n</think>\n\n{lines}")["repetition_loop"]
    long_list = " ".join(f"Step {i}: mix item number {i * 7} into bowl {i % 5}." for i in range(12))
    assert not judge.judge(_sample(), f"<think>\nplan\n</think>\n\n{long_list}")["repetition_loop"]
