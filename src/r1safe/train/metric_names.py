"""The names under which the monitors log to ``metrics.jsonl``, for whoever reads a run's curves.

A monitor logs ``monitor/<monitor>/<stat>``; :func:`r1safe.train.monitors.reward_hacking.hacking_curve`
and :func:`r1safe.train.monitors.divergence.goodhart_curve` hand back probe points keyed by the bare
stat names below, so a reader (the study's curves, the Goodhart fits) never spells a prefix.
"""

from __future__ import annotations

REWARD_HACKING = "monitor/reward_hacking/"
DIVERGENCE = "monitor/divergence/"

# reward hacking, harmful probe prompts: the proxy's P(safe), the independent judge's safe share,
# their gap and the alarm (this probe point; since the stage started)
PROXY_SAFE, JUDGE_SAFE, GAP, ALARM, ALARM_SINCE_START = "proxy_safe", "judge_safe", "gap", "alarm", "alarm_since_start"
# reward hacking, the other probe prompts (benign, borderline, arithmetic): the same for helpfulness
HELPFUL_PROXY, HELPFUL_JUDGE, HELPFUL_GAP = "helpful_proxy", "helpful_judge", "helpful_gap"
HELPFUL_ALARM, HELPFUL_ALARM_SINCE_START = "helpful_alarm", "helpful_alarm_since_start"
# divergence: KL and d = sqrt(KL) against the stage's start and the recipe's base model
KL_INIT, D_INIT, KL_BASE, D_BASE = "kl_init", "d_init", "kl_base", "d_base"


def reward_hacking(stat: str) -> str:
    """The ``metrics.jsonl`` key of a reward-hacking stat (``proxy_safe`` → ``monitor/reward_hacking/proxy_safe``)."""
    return REWARD_HACKING + stat
