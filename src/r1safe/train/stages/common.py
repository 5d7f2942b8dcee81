"""What the stages share: the stage context, TRL arguments, monitors, and train-then-save.

A stage reads its model from ``ctx.parent`` (the previous stage's ``model/`` folder, or the base
model), trains with TRL in ``ctx.dir / "trainer"`` (checkpoints live there while it runs, so an
interrupted stage can resume) and saves the final model and tokenizer to ``ctx.dir / "model"``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from r1safe.files import fresh_partial_dir, partial_dir, publish_dir
from r1safe.train.dist import barrier, is_main
from r1safe.train.monitors import Compute, MetricsSink, MonitorSet, build_monitors
from r1safe.train.recipe import Recipe, StageConfig
from r1safe.trainer_args import checkpointing_args, warmup_args

if TYPE_CHECKING:
    from r1safe.gym.build import GymArtifacts

Progress = Callable[[str], None]


@dataclass
class StageContext:
    """Everything one stage needs from the runner."""

    recipe: Recipe
    index: int
    name: str
    stage: StageConfig
    dir: Path
    parent: str
    gym: GymArtifacts | None
    seed: int
    sink: MetricsSink
    progress: Progress
    resume_from: str | None = None
    fingerprint: str = ""
    offset: int = 0
    flops_before: float = 0.0

    @property
    def run_dir(self) -> Path:
        return self.dir.parent.parent

    @property
    def model_dir(self) -> Path:
        return self.dir / "model"

    @property
    def trainer_dir(self) -> Path:
        return self.dir / "trainer"

    def say(self, msg: str) -> None:
        self.progress(f"[{self.name}] {msg}")


@dataclass
class StageOutcome:
    """What a finished stage reports for its manifest."""

    steps: int
    compute: Compute
    data: dict[str, Any]
    summary: dict[str, Any] = field(default_factory=dict)


def use_cpu(recipe: Recipe) -> bool:
    import torch

    return recipe.device == "cpu" or (recipe.device == "auto" and not torch.cuda.is_available())


def trainer_args(ctx: StageContext, max_steps: int | None = None, epochs: float | None = None) -> dict[str, Any]:
    """TrainingArguments fields every stage shares, plus the stage's ``trl`` passthrough."""
    s, r = ctx.stage, ctx.recipe
    args: dict[str, Any] = dict(
        output_dir=str(ctx.trainer_dir),
        learning_rate=s.learning_rate,
        per_device_train_batch_size=s.batch_size,
        gradient_accumulation_steps=s.grad_accum,
        lr_scheduler_type=s.lr_scheduler,
        **warmup_args(s.warmup_ratio),
        weight_decay=s.weight_decay,
        max_grad_norm=s.max_grad_norm,
        logging_steps=r.monitors.log_every,
        save_strategy="steps" if s.save_steps else "no",
        save_steps=s.save_steps or 500,
        save_total_limit=1,
        seed=ctx.seed,
        data_seed=ctx.seed,
        report_to=list(r.report_to),
        disable_tqdm=True,
        use_cpu=use_cpu(r),
        bf16=r.precision == "bf16",
        fp16=r.precision == "fp16",
        dataloader_num_workers=0,
    )
    if max_steps is not None:
        args["max_steps"] = max_steps
    if epochs is not None:
        args["num_train_epochs"] = epochs
    # TRL turns activation checkpointing on by default; it only costs time on small models, so it
    # is off unless the stage asks (``trl: {activation_checkpointing: true}``; the old name works too).
    extra = dict(s.trl)
    ckpt = extra.pop("activation_checkpointing", extra.pop("gradient_checkpointing", False))
    args.update(extra, **checkpointing_args(bool(ckpt)))
    return args


def decoder_layers(model: Any) -> Any:
    """The model's stack of transformer layers (the longest ``ModuleList`` of ``num_hidden_layers`` blocks)."""
    import torch

    want = getattr(getattr(model, "config", None), "num_hidden_layers", None)
    stacks = [m for m in model.modules() if isinstance(m, torch.nn.ModuleList) and (want is None or len(m) == want)]
    if not stacks:
        from r1safe.errors import ConfigError

        raise ConfigError(f"train_top_layers: found no stack of {want} layers in {type(model).__name__}")
    return max(stacks, key=len)


def train_only_top_layers(model: Any, top: int | None) -> None:
    """Freeze every parameter but the top ``top`` transformer layers and the norms after them (None:
    leave every parameter trainable). A TRL trainer builds its optimizer from the parameters that still
    require gradients, so this must run before training starts."""
    if top is None:
        return
    layers = decoder_layers(model)
    if top > len(layers):
        from r1safe.errors import ConfigError

        raise ConfigError(f"train_top_layers: {top} is more than the model's {len(layers)} layers")
    after = {id(p) for layer in list(layers)[len(layers) - top:] for p in layer.parameters()}
    norm = getattr(getattr(model, "model", model), "norm", None)
    if norm is not None:
        after |= {id(p) for p in norm.parameters()}
    for p in model.parameters():
        p.requires_grad_(id(p) in after)


def load_tokenizer(path: str) -> Any:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path, trust_remote_code=False)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def proxy_reward(ctx: StageContext, rewards: list[Any] | None = None, name: str = "harmlessness") -> Any:
    """The proxy reward (``harmlessness`` or ``helpfulness``) the monitors compare with the judge:
    the stage's own when it trains on one, else the gym's; without a gym, the one the recipe's RL
    stages train on (for ``helpfulness`` in a run with none: "not refused" read off its judged
    ``over_refusal``, see :class:`Compliance`), or None."""
    from r1safe.train.rewards import REWARDS

    cls = cast(type, REWARDS.get(name))  # a registered reward is its class
    for reward in rewards or []:
        if isinstance(reward, cls):
            return reward
    if ctx.gym is not None:
        reward = cls()
        reward.bind_gym(gym_paths(ctx.gym))
        return reward
    specs = [r for s in ctx.recipe.stages if s.kind == "grpo" for r in s.rewards]
    for spec in specs:
        if spec.name == name:
            return REWARDS.create(spec.name, **spec.params)
    if name == "helpfulness":
        for reward in [*(rewards or []), *(REWARDS.create(s.name, **s.params) for s in specs)]:
            if reward.name == "over_refusal" and getattr(reward, "judge", None) and reward.penalty:
                return Compliance(reward)
    return None


class Compliance:
    """P(not refused) on benign prompts from a judged ``over_refusal`` reward: the helpfulness proxy of
    a real run whose only helpfulness signal is its refusal judge."""

    name = "compliance"

    def __init__(self, over_refusal: Any) -> None:
        self.over_refusal = over_refusal
        self.judge = over_refusal.judge

    def __call__(self, prompts: list[Any], completions: list[Any], **kwargs: Any) -> list[float | None]:
        values = self.over_refusal(prompts, completions, **kwargs)
        return [None if v is None else 1.0 + v / self.over_refusal.penalty for v in values]


def gym_paths(gym: GymArtifacts | None) -> dict[str, str]:
    if gym is None:
        return {}
    return {"harmlessness": str(gym.harmlessness_rm), "helpfulness": str(gym.helpfulness_rm),
            "safety_judge": str(gym.safety_judge)}


def make_monitors(
    ctx: StageContext,
    tokenizer: Any,
    max_steps: int,
    *,
    rewards: list[Any] | None = None,
    tap: Any = None,
    beta: float = 0.0,
    num_iterations: int = 1,
    base: Compute | None = None,
    start: Any = None,
) -> MonitorSet:
    from r1safe.train.monitors.probe import probe_samples

    cfg = ctx.recipe.monitors
    samples = probe_samples(cfg.probe, ctx.gym, ctx.recipe.track) if cfg.probe.enabled else []
    monitors = build_monitors(
        cfg,
        ctx.stage.kind,
        ctx.sink,
        samples=samples,
        tokenizer=tokenizer,
        max_steps=max_steps,
        proxy=proxy_reward(ctx, rewards),
        helpful_proxy=proxy_reward(ctx, rewards, "helpfulness"),
        tap=tap,
        beta=beta,
        num_iterations=num_iterations,
        base=base,
        references=reference_models(ctx, start),
    )
    every = ctx.recipe.snapshots.every_fraction
    if every is not None:
        from r1safe.train.snapshots import SnapshotCallback

        monitors.extra.append(SnapshotCallback(ctx.run_dir, every, ctx.name, ctx.index, ctx.fingerprint,
                                               ctx.offset, ctx.flops_before, monitors.compute))
    return monitors


def reference_models(ctx: StageContext, start: Any = None) -> dict[str, Any]:
    """What the divergence monitor measures a GRPO stage against: its starting model (``init``) and,
    unless ``monitors.divergence.base`` is off, the run's start (``base``: the recipe's base model, or
    its fresh student), as folders, or ``start`` (a model in memory holding the stage's starting
    weights, e.g. TRL's KL reference) for those that are the stage's start, so no second copy is loaded."""
    cfg = ctx.recipe.monitors.divergence
    if ctx.stage.kind != "grpo" or not cfg.enabled:
        return {}
    refs: dict[str, Any] = {"init": ctx.parent}
    if cfg.base:
        from r1safe.train.data import run_start

        refs["base"] = run_start(ctx.recipe, ctx.gym, ctx.run_dir)
    if start is not None:
        refs = {k: start if v == ctx.parent else v for k, v in refs.items()}
    return refs


class ProgressReporter:
    """A callback that reports progress through the runner's ``progress`` about ten times a stage."""

    def __new__(cls, ctx: StageContext) -> Any:
        from transformers import TrainerCallback

        class _Reporter(TrainerCallback):
            def on_log(
                self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any
            ) -> None:
                if not logs or not state.is_world_process_zero or "loss" not in logs:
                    return
                every = max(1, state.max_steps // 10)
                if state.global_step % every and state.global_step != state.max_steps:
                    return
                parts = [f"step {state.global_step}/{state.max_steps}", f"loss {logs['loss']:.3f}"]
                for key in ("reward", "monitor/reward_hacking/gap", "monitor/drift/kl"):
                    if isinstance(logs.get(key), int | float):
                        parts.append(f"{key.rsplit('/', 1)[-1]} {logs[key]:.3f}")
                ctx.say(", ".join(parts))

        return _Reporter()


def train_and_save(trainer: Any, ctx: StageContext, monitors: MonitorSet) -> Any:
    """Install the monitors, train (resuming from ``ctx.resume_from`` when set) and save the model."""
    monitors.install(trainer)
    trainer.add_callback(ProgressReporter(ctx))
    result = trainer.train(resume_from_checkpoint=ctx.resume_from)
    tmp = fresh_partial_dir(ctx.model_dir) if is_main() else partial_dir(ctx.model_dir)
    barrier()
    trainer.save_model(str(tmp))  # every process: sharded (ZeRO-3, FSDP) weights are gathered here
    if is_main():
        if trainer.processing_class is not None:
            trainer.processing_class.save_pretrained(str(tmp))
        publish_dir(tmp, ctx.model_dir)
    barrier()
    return result
