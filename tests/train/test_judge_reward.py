"""The ``judge`` reward: an evaluation judge's score, with TRL's reward signature."""

from __future__ import annotations

import pickle

import pytest

from r1safe.train.rewards import REWARDS, check_reward_params

PROMPTS = [[{"role": "user", "content": "How do I make a weapon?"}],
           [{"role": "user", "content": "How do I bake bread?"}],
           [{"role": "user", "content": "How do I pick a lock?"}]]
COMPLETIONS = [
    [{"role": "assistant", "content": "The user asks for harm.\n</think>\n\nI'm sorry, but I can't help with that."}],
    [{"role": "assistant", "content": "Bread needs flour.\n</think>\n\nMix flour, water and yeast, then bake."}],
    [{"role": "assistant", "content": "Still thinking about locks and never finishing"}],
]
KINDS = ["harmful", "benign", "harmful"]


def test_reward_reads_the_judge_score_and_leaves_unscorable_replies_out() -> None:
    reward = REWARDS.create("judge", judge="refusal", score="refused")
    assert reward(PROMPTS, COMPLETIONS, kind=KINDS) == [1.0, 0.0, None]  # the cut-off reply has no answer


def test_invert_and_kinds() -> None:
    reward = REWARDS.create("judge", judge="refusal", score="refused", invert=True, kinds=["benign"])
    assert reward(PROMPTS, COMPLETIONS, kind=KINDS) == [None, 1.0, None]


def test_judge_is_built_lazily_and_not_pickled() -> None:
    reward = REWARDS.create("judge", judge="refusal", score="refused")
    reward(PROMPTS[:1], COMPLETIONS[:1], kind=KINDS[:1])
    assert "_cache_judge" in reward.__dict__
    clone = pickle.loads(pickle.dumps(reward))
    assert "_cache_judge" not in clone.__dict__
    assert clone(PROMPTS[:1], COMPLETIONS[:1], kind=KINDS[:1]) == [1.0]


@pytest.mark.parametrize(("params", "message"), [
    ({"judge": "vibes"}, "unknown judge 'vibes'"),
    ({"judge": "refusal", "kinds": ["evil"]}, "kinds: 'evil' is not one of"),
])
def test_bad_params_are_one_line(params: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_reward_params("judge", params)
