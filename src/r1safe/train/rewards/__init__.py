"""Rewards for GRPO, one idea per file, all with TRL's signature and registered by name.

``REWARDS.create(name, **params)`` builds one; a recipe lists them as ``{name, weight, params}``.

==========================  ===============================================================
name                        what it rewards
==========================  ===============================================================
harmlessness                proxy harmlessness RM, P(safe); ``scope``: both | answer | reasoning
helpfulness                 proxy helpfulness RM on the answer, P(helpful)
over_refusal                ``-penalty`` for refusing a benign/borderline prompt (``kind`` column)
format                      a well-formed think block followed by an answer
language_consistency        R1's share of reasoning words in the prompt's language
correctness                 exact arithmetic answer (``reference.answer``)
oracle_harmlessness         the gym's exact judge: ablations only, never a default
judge                       one score of any evaluation judge (real-text classifiers, guard models,
                            LLM rubrics); ``invert`` for "bad" scores, ``kinds`` to limit it
==========================  ===============================================================
"""

from r1safe.train.rewards import (  # noqa: F401  (each module registers itself)
    correctness,
    format,
    harmlessness,
    helpfulness,
    judge,
    language_consistency,
    oracle_harmlessness,
    over_refusal,
)
from r1safe.train.rewards.base import (
    REWARDS,
    Reward,
    check_reward_params,
    completion_text,
    register_reward,
)

__all__ = ["REWARDS", "Reward", "check_reward_params", "completion_text", "register_reward"]
