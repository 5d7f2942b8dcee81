"""The ``grpo`` stage: TRL's GRPOTrainer with the recipe's named, weighted rewards.

The model is passed to TRL as a *path* (the previous stage's folder), so that with ``beta`` > 0
TRL builds the KL reference from that same folder: the reference is the stage's starting model
(for the hybrid, the SFT model). Each reward is wrapped in a tap that the monitors read. The
completions are sampled by r1safe's decode loop (:mod:`r1safe.train.stages.rollout`) unless the
stage asks for TRL's ``generate`` or vLLM; TRL's loss code is the same either way.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from r1safe.train.data import load_stage_rows
from r1safe.train.monitors.tap import RolloutTap, TappedReward
from r1safe.train.recipe import GRPOStage
from r1safe.train.rewards import REWARDS
from r1safe.train.stages.common import (
    StageContext,
    StageOutcome,
    gym_paths,
    load_tokenizer,
    make_monitors,
    train_and_save,
    train_only_top_layers,
    trainer_args,
)
from r1safe.train.stages.rollout import DecodeRollout

if TYPE_CHECKING:
    from r1safe.gym.build import GymArtifacts


def build_rewards(stage: Any, gym: GymArtifacts | None) -> list[Any]:
    """The stage's reward objects, with ``model: gym`` settings bound to the gym's reward models."""
    rewards = [REWARDS.create(spec.name, **spec.params) for spec in stage.rewards]
    for r in rewards:
        r.bind_gym(gym_paths(gym))
    return rewards


def grpo_config(ctx: StageContext) -> Any:
    from trl import GRPOConfig

    s = ctx.stage
    assert isinstance(s, GRPOStage)
    fields: dict[str, Any] = dict(
        num_generations=s.num_generations,
        max_completion_length=s.max_completion_length,
        steps_per_generation=s.steps_per_generation,
        temperature=s.temperature,
        top_p=s.top_p,
        beta=s.beta,
        num_iterations=s.num_iterations,
        epsilon=s.epsilon,
        loss_type=s.loss_type,
        scale_rewards=s.scale_rewards,
        mask_truncated_completions=s.mask_truncated_completions,
        reward_weights=[r.weight for r in s.rewards],
        use_vllm=s.use_vllm,
        vllm_mode=s.vllm_mode,
        log_completions=False,
    )
    if s.ref_reset_steps:
        fields.update(sync_ref_model=True, ref_model_mixup_alpha=1.0, ref_model_sync_steps=s.ref_reset_steps)
    return GRPOConfig(**{**fields, **trainer_args(ctx, max_steps=s.max_steps)})


def run(ctx: StageContext) -> StageOutcome:
    from datasets import Dataset
    from trl import GRPOTrainer

    stage = ctx.stage
    assert isinstance(stage, GRPOStage)
    rows, data = load_stage_rows(ctx.recipe, stage, ctx.gym, ctx.index, "prompts", ctx.seed)
    source = data["source"] + "".join(f" + {m['source']} ×{m['ratio']:g}" for m in data.get("mix", []))
    rewards = build_rewards(stage, ctx.gym)
    tap = RolloutTap({r.__name__: spec.weight for r, spec in zip(rewards, stage.rewards, strict=True)})
    ctx.say(
        f"GRPO for {stage.max_steps} steps on {len(rows)} prompts from {source}; rewards "
        + ", ".join(f"{s.name}×{s.weight:g}" for s in stage.rewards)
    )
    tokenizer = load_tokenizer(ctx.parent)
    tokenizer.padding_side = "left"
    with warnings.catch_warnings():  # TRL calls rollout_func experimental: ours is pinned by tests
        warnings.filterwarnings("ignore", message=".*rollout_func.*", category=UserWarning)
        trainer = GRPOTrainer(
            model=ctx.parent,
            reward_funcs=[TappedReward(r, tap) for r in rewards],
            args=grpo_config(ctx),
            train_dataset=Dataset.from_list(rows),
            processing_class=tokenizer,
            rollout_func=DecodeRollout() if stage.rollout == "r1safe" and not stage.use_vllm else None,
        )
    train_only_top_layers(trainer.model, stage.train_top_layers)
    # TRL's KL reference is the stage's start unless it is reset: the divergence monitor reads it
    start = None if stage.ref_reset_steps else getattr(trainer, "ref_model", None)
    monitors = make_monitors(
        ctx, tokenizer, stage.max_steps, rewards=rewards, tap=tap, beta=stage.beta, num_iterations=stage.num_iterations,
        start=start,
    )
    result = train_and_save(trainer, ctx, monitors)
    monitors.compute.num_tokens = int(trainer.state.num_input_tokens_seen or monitors.compute.num_tokens)
    last = [h for h in trainer.state.log_history if "reward" in h]
    summary = {
        "train_loss": float(result.training_loss),
        "monitors": monitors.summary(),
        "rewards_last": {
            k: v for k, v in (last[-1] if last else {}).items() if k == "reward" or k.startswith("rewards/")
        },
    }
    return StageOutcome(int(trainer.state.global_step), monitors.compute.compute(), data, summary)
