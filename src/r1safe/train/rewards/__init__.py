"""Rewards for GRPO, one idea per file, all with TRL's signature and registered by name.

``REWARDS.create(name, **params)`` builds one; a recipe lists them as ``{name, weight, params}``.

==========================  ===============================================================
name                        what it rewards
==========================  ===============================================================
harmlessness                proxy harmlessness RM, P(safe); ``scope``: both | answer | reasoning;
                            ``judge``: a real-text judge instead (batched, cached; harmful prompts)
helpfulness                 proxy helpfulness RM on the answer, P(helpful)
over_refusal                ``-penalty`` for refusing a benign/borderline prompt (``kind`` column);
                            ``judge``: a real refusal judge decides (``-penalty`` × P(refused))
format                      a well-formed think block followed by an answer
language_consistency        R1's share of reasoning words in the prompt's language (``languages:
                            any`` for real text in any language)
correctness                 exact arithmetic answer, or a math answer checked by math-verify
                            (``reference.answer``)
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
