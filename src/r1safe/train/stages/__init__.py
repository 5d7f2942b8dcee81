"""One file per stage kind; each exposes ``run(ctx) -> StageOutcome``.

- :mod:`~r1safe.train.stages.sft`: TRL SFTTrainer, loss on the assistant turn only;
- :mod:`~r1safe.train.stages.grpo`: TRL GRPOTrainer with the recipe's rewards;
- :mod:`~r1safe.train.stages.rejection_sampling`: sample, filter by judges, then SFT (R1's stage 3).
"""

from __future__ import annotations

import importlib
from typing import Any


def run_stage(ctx: Any) -> Any:
    """Run ``ctx.stage`` with the module of its kind."""
    return importlib.import_module(f"r1safe.train.stages.{ctx.stage.kind}").run(ctx)
