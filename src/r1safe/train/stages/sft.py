"""The ``sft`` stage: TRL's SFTTrainer on prompt-completion rows, loss on the completion only.

Rows come from the stage's ``data`` (default: the recipe's ``data.sft``, the gym's curated safety
set). Rejection sampling reuses :func:`train_sft` on the replies it accepted.
"""

from __future__ import annotations

from typing import Any

from r1safe.train.chat_format import fit_to_template
from r1safe.train.data import load_stage_rows
from r1safe.train.monitors import Compute
from r1safe.train.recipe import GRPOStage
from r1safe.train.stages.common import (
    StageContext,
    StageOutcome,
    load_tokenizer,
    make_monitors,
    train_and_save,
    train_only_top_layers,
)


def train_sft(ctx: StageContext, rows: list[dict[str, Any]], base: Compute | None = None) -> tuple[int, Compute, dict]:
    """SFT ``ctx.parent`` on ``rows``; returns (steps, compute, summary)."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    stage = ctx.stage
    assert not isinstance(stage, GRPOStage)  # an SFT stage, or rejection sampling's SFT on what it kept
    tokenizer = load_tokenizer(ctx.parent)
    config = SFTConfig(
        **ctx_args(ctx),
        max_length=stage.max_length,
        completion_only_loss=True,
        packing=False,
        dataset_num_proc=None,
    )
    data = Dataset.from_list(fit_to_template(tokenizer, rows))
    trainer = SFTTrainer(model=ctx.parent, args=config, train_dataset=data, processing_class=tokenizer)
    train_only_top_layers(trainer.model, stage.train_top_layers)
    monitors = make_monitors(ctx, tokenizer, max_steps=stage.max_steps or 1, base=base)
    result = train_and_save(trainer, ctx, monitors)
    trained = int(getattr(trainer, "_total_train_tokens", 0) or 0)
    monitors.compute.num_tokens = trained or monitors.compute.num_tokens
    summary = {"train_loss": float(result.training_loss), "rows": len(rows), "monitors": monitors.summary()}
    return int(trainer.state.global_step), monitors.compute.compute(), summary


def ctx_args(ctx: StageContext) -> dict[str, Any]:
    from r1safe.train.stages.common import trainer_args

    stage = ctx.stage
    assert not isinstance(stage, GRPOStage)
    if stage.max_steps is not None:
        return trainer_args(ctx, max_steps=stage.max_steps)
    return trainer_args(ctx, epochs=stage.epochs)


def run(ctx: StageContext) -> StageOutcome:
    rows, data = load_stage_rows(ctx.recipe, ctx.stage, ctx.gym, ctx.index, "sft", ctx.seed)
    mixed = "".join(f" + {m['source']} ×{m['ratio']:g}" for m in data.get("mix", []))
    ctx.say(f"SFT on {len(rows)} rows from {data['source']}{mixed}")
    steps, compute, summary = train_sft(ctx, rows)
    return StageOutcome(steps, compute, data, summary)
