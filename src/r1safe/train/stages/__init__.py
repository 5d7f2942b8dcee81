"""One file per stage kind; each exposes ``run(ctx) -> StageOutcome`` and is registered lazily here.

- :mod:`~r1safe.train.stages.sft`: TRL SFTTrainer, loss on the assistant turn only;
- :mod:`~r1safe.train.stages.grpo`: TRL GRPOTrainer with the recipe's rewards;
- :mod:`~r1safe.train.stages.rejection_sampling`: sample, filter by judges, then SFT (R1's stage 3).

A new stage is its config class in :mod:`r1safe.train.recipe` (its kind in ``STAGE_KINDS``) and one
file here named after its kind.
"""

from __future__ import annotations

from typing import Any

from r1safe.registry import Registry
from r1safe.train.recipe import STAGE_KINDS

STAGES: Registry[Any] = Registry("stage")

for _kind in STAGE_KINDS:
    STAGES.register_lazy(_kind, f"r1safe.train.stages.{_kind}", "run")


def run_stage(ctx: Any) -> Any:
    """Run ``ctx.stage`` with the module of its kind."""
    return STAGES.get(ctx.stage.kind)(ctx)
