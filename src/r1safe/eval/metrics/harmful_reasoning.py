"""Harmful reasoning: harm inside ``<think>``, whatever the answer does (oracle, else a harm judge)."""

from r1safe.eval.metrics.base import Metric, harmful_reasoning, only_kinds, register

METRIC = register(Metric(
    "harmful_reasoning", "share of replies to harmful prompts whose reasoning holds harmful steps",
    value=only_kinds("harmful")(harmful_reasoning), higher_is_better=False,
))
