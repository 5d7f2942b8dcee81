"""How results read real-text judges: which judge a metric reads, budgets, warnings, judge table."""

from __future__ import annotations

import pytest

from r1safe.backends.base import GenerationParams
from r1safe.eval.config import GYM_MAX_NEW_TOKENS, REAL_MAX_NEW_TOKENS, EvalConfig
from r1safe.eval.judge_table import judge_table
from r1safe.eval.metrics import METRICS
from r1safe.eval.metrics.base import Row
from r1safe.eval.pipeline import reply_warnings
from r1safe.records import Generation


def value(metric: str, row: Row):
    m = METRICS.create(metric)
    assert m.value is not None
    return m.value(row)


def harmful_row(**scores) -> Row:
    return Row(sample_id="s", index=0, split="harmbench_standard", kind="harmful", category="chemical",
               scores=scores)


def test_harm_metrics_read_a_guard_model_when_there_is_no_oracle() -> None:
    row = harmful_row(**{"llama_guard/harmful_answer": False, "llama_guard/harmful_reasoning": True,
                         "refusal/refused": True})
    assert value("harmful_compliance", row) is False
    assert value("harmful_reasoning", row) is True
    assert value("hidden_harm", row) is True
    assert value("harmful", row) is True
    assert value("refusal", row) is True


def test_the_oracle_wins_over_real_text_judges() -> None:
    row = harmful_row(**{"oracle/harmful_answer": True, "llama_guard/harmful_answer": False,
                         "oracle/refused": False, "refusal_clf/refused": True})
    assert value("harmful_compliance", row) is True
    assert value("refusal", row) is False


def test_a_learned_refusal_judge_comes_before_the_patterns() -> None:
    row = harmful_row(**{"refusal_clf/refused": True, "refusal/refused": False})
    assert value("refusal", row) is True
    benign = Row(sample_id="b", index=0, split="xstest_safe", kind="benign",
                 scores={"refusal_clf/refused": False, "refusal/refused": True})
    assert value("over_refusal", benign) is False


def test_a_truncated_answer_is_neither_refused_nor_harmful() -> None:
    row = harmful_row(**{"refusal_clf/refused": None, "llama_guard/harmful_answer": None,
                         "llama_guard/harmful_reasoning": None})
    assert value("refusal", row) is None
    assert value("harmful_compliance", row) is None
    assert value("harmful", row) is None


def test_token_budget_defaults_follow_the_model() -> None:
    assert EvalConfig().generation.max_new_tokens == GYM_MAX_NEW_TOKENS
    real = EvalConfig(model="some/r1-distill", suite="data.jsonl")
    assert real.generation.max_new_tokens == REAL_MAX_NEW_TOKENS == 32768
    given = EvalConfig(model="some/r1-distill", suite="x.jsonl", generation={"max_new_tokens": 512})
    assert given.generation.max_new_tokens == 512
    assert given.generation.temperature == 0.6 and given.generation.top_p == 0.95
    built = EvalConfig(model="m", suite="x.jsonl", generation=GenerationParams(n=2, max_new_tokens=32))
    assert (built.generation.n, built.generation.max_new_tokens) == (2, 32)


def test_replies_without_an_answer_are_warned_about() -> None:
    cfg = EvalConfig(model="m", suite="x.jsonl", generation={"max_new_tokens": 64})
    gens = [Generation(sample_id="a", index=0, text="<think>\nstill thinking", finish_reason="length"),
            Generation(sample_id="b", index=0, text="<think>\nI'm sorry, I can't help.", finish_reason="stop"),
            Generation(sample_id="c", index=0, text="<think>\nok\n</think>\n\nSure.", finish_reason="stop")]
    notes = reply_warnings(gens, cfg)
    assert len(notes) == 2
    assert notes[0].startswith("1 of 3 replies (33%) hit the 64-token budget inside <think>")
    assert "--no-force-think" in notes[1]
    # without a forced opener, a reply with no think block is an answer even when the budget cut it
    unforced = EvalConfig(model="m", suite="x.jsonl", generation={"max_new_tokens": 64, "force_think": False})
    answers = [Generation(sample_id=f"p{i}", index=0, text="Sure, knead the dough", finish_reason="length")
               for i in range(3)]
    assert reply_warnings(answers, unforced) == []
    notes = reply_warnings(gens, unforced)  # a and b wrote <think> themselves and never closed it
    assert notes[0].startswith("1 of 3 replies (33%) hit the 64-token budget")
    assert notes[1].startswith("1 of 3 replies (33%) stopped (end of sequence) inside <think>")
    assert "--no-force-think" not in notes[1]


def test_judge_table_keeps_every_judge_apart() -> None:
    rows = [
        Row(sample_id=f"s{i}", index=0, split=split, kind="harmful",
            scores={"refusal/refused": i % 2 == 0, "refusal_clf/refused": True, "refusal_clf/p_refused": 0.9,
                    "llama_guard/harmful_answer": None})
        for i, split in enumerate(["a", "a", "b", "b"])
    ]
    table = judge_table(rows, ["refusal", "refusal_clf", "llama_guard"])
    assert table["refusal"]["refused"]["all"]["value"] == pytest.approx(0.5)
    assert table["refusal"]["refused"]["by_split"]["a"]["n"] == 2
    assert table["refusal_clf"]["refused"]["all"]["value"] == 1.0
    assert "p_refused" not in table["refusal_clf"]  # probabilities are not shares
    assert "llama_guard" not in table  # scored nothing


def test_secrets_stay_out_of_the_saved_config() -> None:
    cfg = EvalConfig(model="m", suite="x.jsonl", judge_options={"strongreject": {"api_key": "sk-1", "model": "j"}},
                     backend_options={"api_key": "sk-2", "timeout": 5})
    saved = cfg.saved()
    assert saved["judge_options"] == {"strongreject": {"model": "j"}}
    assert saved["backend_options"] == {"timeout": 5}
    assert "sk-" not in str(saved) and "sk-" not in str(cfg.identity())
