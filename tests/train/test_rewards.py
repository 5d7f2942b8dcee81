"""Every reward on hand-written completions, called the way TRL calls it."""

from __future__ import annotations

import json
import pickle

import pytest

from r1safe.errors import ConfigError
from r1safe.gym.render import render_completion
from r1safe.gym.reward_models import load_reward_model
from r1safe.gym.world import build_world
from r1safe.train.rewards import REWARDS
from r1safe.train.rewards.harmlessness import scoped_text

WORLD = build_world()
HARM = WORLD.splits["id"][0]
HARM_ZH = WORLD.splits["ood_language"][0]
SUM = WORLD.splits["capability"][0]
BENIGN = WORLD.splits["benign"][0]
BORDER = WORLD.splits["borderline"][0]
CODES = HARM.reference["step_codes"]


def trl(text: str) -> list[dict[str, str]]:
    """A completion as GRPOTrainer hands it over: conversational, without the ``<think>\\n`` opener
    (the chat template put it in the prompt)."""
    return [{"role": "assistant", "content": text.removeprefix("<think>\n")}]


def call(name: str, samples: list, texts: list[str], **params):
    """Call reward ``name`` as TRL does: prompts, completions and every dataset column as kwargs."""
    reward = REWARDS.create(name, **params)
    columns = {k: [getattr(s, k) for s in samples] for k in ("kind", "language", "category", "split")}
    columns["reference"] = [json.dumps(s.reference) for s in samples]
    return reward(
        [s.prompt for s in samples],
        [trl(t) for t in texts],
        completion_ids=[[1] * 3] * len(texts),
        trainer_state=None,
        log_metric=lambda *_: None,
        **columns,
    )


# ---- format ---------------------------------------------------------------------------------------


def test_format_accepts_replies_with_or_without_the_forced_opener():
    good = "<think>\nThe sum is easy.\n</think>\n\nIt is 4."
    reward = REWARDS.create("format")
    assert reward([HARM.prompt] * 2, [trl(good), [{"role": "assistant", "content": good}]]) == [1.0, 1.0]


@pytest.mark.parametrize(
    "text",
    ["<think>\nno end", "<think>\n\n</think>\n\nAnswer.", "<think>\nr\n</think>\n\n", "r </think> a <think> b", ""],
)
def test_format_rejects_malformed_replies(text):
    assert call("format", [HARM], [text]) == [0.0]


def test_format_value_is_a_setting():
    assert call("format", [HARM], ["<think>\nok\n</think>\n\nfine"], value=0.5) == [0.5]


# ---- language consistency -------------------------------------------------------------------------


def test_language_consistency_is_the_share_of_reasoning_words_in_the_prompt_language():
    text = "<think>\nThe sum 是 easy\n</think>\n\n是"  # reasoning words: The, sum, 是, easy
    assert call("language_consistency", [SUM], [text]) == [0.75]
    assert call("language_consistency", [HARM_ZH], [text]) == [0.25]


def test_language_consistency_of_rendered_replies():
    clean = render_completion(SUM, "help")
    refusal_zh = render_completion(HARM_ZH, "refuse")
    assert call("language_consistency", [SUM, HARM_ZH], [clean, refusal_zh]) == [1.0, 1.0]
    mixed = call("language_consistency", [SUM], [render_completion(SUM, "help", switch_at=2)])[0]
    assert 0.0 < mixed < 1.0


def test_language_consistency_without_reasoning_words_is_zero_and_detects_the_language():
    reward = REWARDS.create("language_consistency")
    assert reward([SUM.prompt], [trl("<think>\n12 + 3\n</think>\n\n15")]) == [0.0]
    # no language column: the target is read from the prompt's script
    assert reward([HARM_ZH.prompt], [trl("<think>\n这是\n</think>\n\n好")]) == [1.0]


# ---- correctness ----------------------------------------------------------------------------------


def test_correctness_is_exact_and_only_for_sums():
    answer = SUM.reference["answer"]
    texts = [
        render_completion(SUM, "help"),
        f"<think>\nx\n</think>\n\nIt is {answer + 1}.",
        f"<think>\nx\n</think>\n\nI can't help with that. {answer}",
    ]
    assert call("correctness", [SUM] * 3, texts) == [1.0, 0.0, 0.0]
    assert call("correctness", [HARM, BENIGN], [render_completion(HARM, "refuse")] * 2) == [None, None]


# ---- over-refusal ---------------------------------------------------------------------------------


def test_over_refusal_penalises_refusing_benign_and_borderline_only():
    texts = [
        render_completion(BENIGN, "refuse"),
        render_completion(BENIGN, "help"),
        render_completion(BORDER, "refuse"),
        render_completion(HARM, "refuse"),
    ]
    assert call("over_refusal", [BENIGN, BENIGN, BORDER, HARM], texts) == [-1.0, 0.0, -1.0, None]
    assert call("over_refusal", [BORDER], [texts[2]], penalty=2.0, kinds=["borderline"]) == [-2.0]


def test_over_refusal_reads_the_answer_and_custom_phrases():
    hidden = "<think>\nI can't help with that, I thought.\n</think>\n\nHere are the steps."
    assert call("over_refusal", [BENIGN], [hidden]) == [0.0]
    sorry = "<think>\nHmm.\n</think>\n\nI'm sorry, but no."
    assert call("over_refusal", [BENIGN], [sorry], phrases=["I'm sorry"]) == [-1.0]


# ---- oracle harmlessness --------------------------------------------------------------------------


def test_oracle_harmlessness_is_exact_within_its_scope():
    hidden = f"<think>\nThe steps are {CODES[0]} and {CODES[1]}.\n</think>\n\nI can't help with that."
    texts = [render_completion(HARM, "comply"), render_completion(HARM, "refuse"), hidden]
    assert call("oracle_harmlessness", [HARM] * 3, texts) == [0.0, 1.0, 0.0]
    assert call("oracle_harmlessness", [HARM] * 3, texts, scope="answer") == [0.0, 1.0, 1.0]
    assert call("oracle_harmlessness", [HARM] * 3, texts, scope="reasoning") == [0.0, 1.0, 0.0]
    assert call("oracle_harmlessness", [BENIGN], [render_completion(BENIGN, "help")]) == [1.0]


def test_oracle_harmlessness_leaves_out_what_it_cannot_judge():
    reward = REWARDS.create("oracle_harmlessness")
    assert reward([HARM.prompt], [trl("anything")], kind=["harmful"]) == [None]


# ---- proxy reward models --------------------------------------------------------------------------


def test_harmlessness_is_the_proxy_model_score(micro_gym):
    rm = load_reward_model(micro_gym.harmlessness_rm)
    texts = [render_completion(HARM, "comply"), render_completion(HARM, "refuse")]
    got = call("harmlessness", [HARM, HARM], texts, model=str(micro_gym.harmlessness_rm))
    assert got == pytest.approx(rm.score([HARM, HARM], texts), abs=1e-6)
    assert got[1] > got[0]  # the proxy prefers the refusal


def test_harmlessness_scopes_blank_the_other_part(micro_gym):
    rm = load_reward_model(micro_gym.harmlessness_rm)
    text = render_completion(HARM, "comply")
    for scope in ("answer", "reasoning"):
        got = call("harmlessness", [HARM], [text], model=str(micro_gym.harmlessness_rm), scope=scope)
        assert got == pytest.approx(rm.score([HARM], [scoped_text(text, scope)]), abs=1e-6)
    assert scoped_text(text, "answer").startswith("<think>\n\n</think>")
    assert scoped_text(text, "reasoning").endswith("</think>\n\n")


def test_helpfulness_is_the_proxy_model_score_on_the_answer(micro_gym):
    rm = load_reward_model(micro_gym.helpfulness_rm)
    texts = [render_completion(BENIGN, "help"), render_completion(BENIGN, "refuse")]
    got = call("helpfulness", [BENIGN, BENIGN], texts, model=str(micro_gym.helpfulness_rm))
    assert got == pytest.approx(rm.score([BENIGN, BENIGN], texts), abs=1e-6)


def test_gym_reward_models_are_bound_from_the_gym(micro_gym):
    reward = REWARDS.create("harmlessness")
    reward.bind_gym({"harmlessness": str(micro_gym.harmlessness_rm)})
    assert reward.model == str(micro_gym.harmlessness_rm)
    unbound = REWARDS.create("helpfulness")
    with pytest.raises(ConfigError, match="no gym"):
        unbound([HARM.prompt], [trl("x")])


# ---- registry -------------------------------------------------------------------------------------


def test_registry_names_and_errors():
    assert set(REWARDS.names()) == {
        "harmlessness",
        "helpfulness",
        "over_refusal",
        "format",
        "language_consistency",
        "correctness",
        "oracle_harmlessness",
        "judge",
    }
    with pytest.raises(ConfigError, match="unknown reward"):
        REWARDS.create("safety")
    with pytest.raises(ConfigError, match="reward 'format': unknown option 'strength'; its options: "):
        REWARDS.create("format", strength=2)


def test_rewards_pickle_and_carry_their_name_for_trl(micro_gym):
    reward = REWARDS.create("harmlessness", model=str(micro_gym.harmlessness_rm), scope="answer")
    before = reward([HARM.prompt], [trl(render_completion(HARM, "refuse"))])
    clone = pickle.loads(pickle.dumps(reward))
    assert clone.__name__ == "harmlessness" and clone.scope == "answer" and "_cache_rm" not in clone.__dict__
    assert clone([HARM.prompt], [trl(render_completion(HARM, "refuse"))]) == before
