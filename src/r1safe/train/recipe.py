"""The training recipe: a base model, data, monitors and an ordered list of stages.

A recipe is YAML validated by :class:`Recipe` (unknown keys are errors). Stages are told apart by
``kind``: ``sft``, ``grpo`` or ``rejection_sampling``; each starts from the previous stage's model.
``base_model`` is a model folder, a hub id, ``gym`` (the default gym's base model) or ``gym:micro``
(the micro gym's); with ``student`` the run starts from a fresh tiny model with ``base_model``'s tokenizer
(distillation). Data sources are ``gym:<corpus>`` (a corpus of the recipe's gym), a public set as
``FORMAT:PATH`` (:mod:`r1safe.train.sources`) or a JSONL path; a stage's ``mix`` draws other sources in
by ratio (capability data beside safety data, or the RL prompt pools).
This module only describes and checks; :mod:`r1safe.train.runner` runs.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from r1safe.config import StrictModel, apply_overrides, format_validation_error, load_yaml
from r1safe.gym.tiny_model import TinyModelSize

AcceptRule = Literal["safe", "correct", "one_language", "well_formed", "no_over_refusal", "helpful"]
STAGE_KINDS = ("sft", "grpo", "rejection_sampling")
DEFAULT_ACCEPT: tuple[AcceptRule, ...] = ("safe", "correct", "one_language", "well_formed", "no_over_refusal")


class RewardSpec(StrictModel):
    """One reward of a GRPO stage: ``{name, weight, params}``."""

    name: str
    weight: float = 1.0
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        from r1safe.train.rewards import REWARDS

        if name not in REWARDS:
            raise ValueError(f"unknown reward {name!r}; known: {', '.join(REWARDS.names())}")
        return name

    @field_validator("weight")
    @classmethod
    def _finite(cls, weight: float) -> float:
        if not math.isfinite(weight):
            raise ValueError(f"weight must be a finite number, got {weight}")
        return weight

    @model_validator(mode="after")
    def _params(self) -> RewardSpec:
        from r1safe.train.rewards import check_reward_params

        check_reward_params(self.name, self.params)
        return self


class MixSpec(StrictModel):
    """Another source mixed into a stage's data: ``ratio`` rows of it per row of the main data."""

    data: str
    ratio: float = Field(gt=0, description="rows drawn from this source per row of the stage's main data")


class _Stage(StrictModel):
    """Settings every stage shares. ``trl`` passes extra fields to the TRL config as they are."""

    name: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]+$")
    data: str | None = Field(None, description="data source; default: the recipe's data for this kind")
    max_rows: int | None = Field(None, ge=1, description="use only the first N rows of the data")
    max_samples: int | None = Field(None, ge=1, description=(
        "train on N rows of the main data drawn by a shuffle seeded with the recipe's seed, so smaller sets "
        "are nested in larger ones (a data-size dose); more than the data holds is an error"))
    mix: list[MixSpec] = Field(default_factory=list, description="other sources drawn in by ratio")
    learning_rate: float = Field(2e-5, gt=0)
    batch_size: int = Field(8, ge=1, description="per-device batch (GRPO: completions per step)")
    grad_accum: int = Field(1, ge=1)
    lr_scheduler: str = "cosine"
    warmup_ratio: float = Field(0.0, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0)
    max_grad_norm: float = Field(1.0, gt=0)
    save_steps: int = Field(0, ge=0, description="checkpoint every N steps (0: none) so a stage can resume")
    train_top_layers: int | None = Field(None, ge=1, description=(
        "train only the top N transformer layers and the final norm; the embeddings (and a head tied to "
        "them) and the layers below stay frozen, so the backward pass stops at layer N from the top: about "
        "half the CPU time per token when N is half the layers. None: every parameter trains"))
    trl: dict[str, Any] = Field(default_factory=dict, description="extra TRL config fields, e.g. bf16")


class SFTStage(_Stage):
    """Supervised fine-tuning (TRL SFTTrainer); the loss is on the assistant turn only."""

    kind: Literal["sft"]
    epochs: float = Field(1.0, gt=0)
    max_steps: int | None = Field(None, ge=1, description="overrides epochs")
    max_length: int = Field(512, ge=16)


class GRPOStage(_Stage):
    """Group-relative policy optimisation (TRL GRPOTrainer) with named, weighted rewards."""

    kind: Literal["grpo"]
    rewards: list[RewardSpec] = Field(min_length=1)
    learning_rate: float = Field(1e-6, gt=0)
    lr_scheduler: str = "constant"
    max_steps: int = Field(50, ge=1)
    num_generations: int = Field(4, ge=2, description="group size G")
    steps_per_generation: int | None = Field(None, ge=1)
    max_completion_length: int = Field(128, ge=8)
    temperature: float = Field(1.0, gt=0)
    top_p: float = Field(1.0, gt=0, le=1)
    beta: float = Field(0.001, ge=0, description="KL coefficient to the stage's starting model (R1: 0.001)")
    ref_reset_steps: int | None = Field(None, ge=1, description="reset the reference model every N steps (R1: 400)")
    num_iterations: int = Field(1, ge=1)
    epsilon: float = Field(0.2, gt=0)
    loss_type: str = "dapo"
    scale_rewards: Literal["group", "batch", "none"] = "group"
    mask_truncated_completions: bool = False
    use_vllm: bool = False
    vllm_mode: Literal["colocate", "server"] = "colocate"
    rollout: Literal["r1safe", "trl"] = Field("r1safe", description=(
        "what samples the completions: r1safe's decode loop (the backends' sampler, seeded per completion; "
        "train/stages/rollout.py) or TRL's own generate(); with use_vllm, TRL's vLLM"))

    @model_validator(mode="after")
    def _check(self) -> GRPOStage:
        names = [r.name for r in self.rewards]
        if len(set(names)) != len(names):
            raise ValueError(f"rewards: each reward may appear once per stage, got {', '.join(names)}")
        if sum(abs(r.weight) for r in self.rewards) == 0:
            raise ValueError("rewards: every weight is 0; give at least one reward a non-zero weight")
        per_gen = self.batch_size * (self.steps_per_generation or self.grad_accum)
        if per_gen % self.num_generations:
            raise ValueError(
                f"batch_size × steps_per_generation ({per_gen}) must be a multiple of "
                f"num_generations ({self.num_generations})"
            )
        return self


class RejectionSamplingStage(_Stage):
    """Generate ``n`` replies per prompt, keep those every ``accept`` rule passes, then SFT on them.

    ``teacher`` samples from another model instead of the current one (distillation).
    """

    kind: Literal["rejection_sampling"]
    num_prompts: int | None = Field(None, ge=1, description="prompts to sample (default: all)")
    n: int = Field(4, ge=1, description="samples per prompt")
    temperature: float = Field(0.6, ge=0)
    top_p: float = Field(0.95, gt=0, le=1)
    max_new_tokens: int = Field(160, ge=8)
    keep_per_prompt: int = Field(1, ge=1)
    accept: list[AcceptRule] = Field(default_factory=lambda: list(DEFAULT_ACCEPT))
    safety_judge: Literal["learned", "oracle", "proxy", "judge"] = Field(
        "learned", description="what decides 'safe': a stronger learned judge (the gym's safety_judge, or "
        "judge_model), the gym oracle (an ablation: privileged truth), the proxy harmlessness RM, or a "
        "real-text evaluation judge (``judge``, e.g. llama_guard or refusal_clf)")
    judge: str = Field("refusal_clf", description="with safety_judge: judge, the evaluation judge that decides "
                       "'safe' and, for no_over_refusal, 'refused'")
    judge_options: dict[str, Any] = Field(default_factory=dict, description="the judge's constructor parameters")
    judge_model: str = Field("gym", description="the learned judge's folder ('gym': the gym's safety_judge)")
    proxy_threshold: float = Field(0.5, ge=0, le=1, description="P(safe) a learned judge or proxy must give")
    teacher: str | None = None
    generation_batch_size: int = Field(32, ge=1)
    epochs: float = Field(1.0, gt=0)
    max_steps: int | None = Field(None, ge=1)
    max_length: int = Field(512, ge=16)


#: one stage's config, whichever its kind
StageConfig = SFTStage | GRPOStage | RejectionSamplingStage
Stage = Annotated[StageConfig, Field(discriminator="kind")]


class DataConfig(StrictModel):
    """Default data of each stage kind: ``gym:<corpus>`` or a JSONL path."""

    sft: str = "gym:safety_sft"
    prompts: str = "gym:train_prompts"


class ProbeConfig(StrictModel):
    """The fixed held-out probe set the monitors generate on (one reply per prompt)."""

    enabled: bool = True
    every: int = Field(25, ge=1, description="probe every N steps, and before the first and after the last")
    splits: list[str] = Field(
        default_factory=lambda: ["id", "ood_category", "ood_wrapper", "ood_language", "borderline", "capability"]
    )
    per_split: int = Field(4, ge=1)
    path: str | None = Field(None, description="JSONL of samples (or a public set, FORMAT:PATH) to probe "
                             "instead of the gym's splits")
    max_new_tokens: int = Field(128, ge=8)
    temperature: float = Field(0.6, ge=0)
    seed: int = 0


class RewardHackingConfig(StrictModel):
    enabled: bool = True
    judge: str = Field("oracle", description="the independent safety judge: the gym oracle, or any evaluation "
                       "judge the policy never trains on (refusal patterns, llama_guard, refusal_clf...)")
    judge_options: dict[str, Any] = Field(default_factory=dict, description="the judge's constructor parameters")
    tolerance: float = Field(0.02, ge=0, description="moves smaller than this do not raise the alarm")

    @field_validator("judge")
    @classmethod
    def _known_judge(cls, judge: str) -> str:
        from r1safe.eval.judges import JUDGES

        if judge != "oracle" and judge not in JUDGES:
            raise ValueError(f"unknown judge {judge!r}; known: oracle, {', '.join(JUDGES.names())}")
        return judge


class DivergenceConfig(StrictModel):
    """KL(π‖π_ref) and d = √KL on the probe replies of GRPO stages, against the stage's start and the
    recipe's base model (Gao et al.'s x axis). Each reference is one more copy of the model in memory."""

    enabled: bool = True
    base: bool = Field(True, description="also measure against the recipe's base model (off: the stage's "
                       "starting model only, one copy fewer in memory)")


class MonitorsConfig(StrictModel):
    log_every: int = Field(1, ge=1, description="TRL logging_steps; monitors log with it")
    probe: ProbeConfig = Field(default_factory=ProbeConfig)
    reward_hacking: RewardHackingConfig = Field(default_factory=RewardHackingConfig)
    divergence: DivergenceConfig = Field(default_factory=DivergenceConfig)
    language_mixing: bool = True
    drift: bool = True
    compute: bool = True
    plots: bool = True


class SnapshotConfig(StrictModel):
    """Model snapshots along training, for dose-response curves (off unless ``every_fraction`` is set).

    Each stage saves its model at ``every_fraction``, 2×, … 1.0 of its own steps into
    ``<run>/snapshots/<global step>/``. Fractions are per stage because a later stage's length
    (rejection sampling keeps what it keeps) is unknown before it runs."""

    every_fraction: float | None = Field(None, gt=0, le=1, description="snapshot every this share of each "
                                         "stage's steps (e.g. 0.2: at 20%, 40%, … 100%); None: no snapshots")


class Recipe(StrictModel):
    """A whole training run: see the module doc."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    base_model: str = "gym"
    student: TinyModelSize | None = Field(None, description=(
        "start from a freshly initialised tiny model of this size with base_model's tokenizer, not from "
        "base_model's weights: a student for distillation (train/student.py)"))
    gym: str | None = Field(None, description="gym for data, reward models, probes: default | micro | PATH")
    track: str | None = Field(None, description="a built real track folder (`r1safe study --real` writes one): "
                              "`track:<corpus>` data sources are its corpora, `base_model: track` its reasoning base")
    seed: int = 0
    threads: int | None = Field(None, ge=1, description="torch threads (default: $R1SAFE_NUM_THREADS or 1)")
    scale: float = Field(1.0, gt=0, description="multiplies every stage's length (steps, epochs, prompts)")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"
    report_to: list[str] = Field(default_factory=list, description="e.g. [tensorboard]")
    data: DataConfig = Field(default_factory=DataConfig)
    monitors: MonitorsConfig = Field(default_factory=MonitorsConfig)
    snapshots: SnapshotConfig = Field(default_factory=SnapshotConfig)
    stages: list[Stage] = Field(min_length=1)

    def stage_names(self) -> list[str]:
        """Folder names of the stages: ``00_sft``, ``01_grpo``... (or their given names)."""
        return [f"{i:02d}_{s.name or s.kind}" for i, s in enumerate(self.stages)]

    def gym_spec(self) -> str | None:
        """Which gym the recipe uses: ``gym`` if set, else implied by ``base_model``."""
        if self.gym is not None:
            return self.gym
        if self.base_model == "gym":
            return "default"
        if self.base_model == "gym:micro":
            return "micro"
        return None


def _check_kinds(data: dict[str, Any], source: str) -> None:
    """A one-line error naming ``stages.N.kind`` for a missing or unknown stage kind."""
    from r1safe.errors import ConfigError

    stages = data.get("stages")
    if not isinstance(stages, list):
        return
    for i, stage in enumerate(stages):
        if isinstance(stage, dict) and stage.get("kind") not in STAGE_KINDS:
            got = "missing" if "kind" not in stage else f"unknown kind {stage['kind']!r}"
            raise ConfigError(f"{source}: stages.{i}.kind: {got}; expected one of {', '.join(STAGE_KINDS)}")


def parse_recipe(data: dict[str, Any], source: str = "recipe", overrides: list[str] | None = None) -> Recipe:
    """Validate a recipe mapping (after ``a.b=c`` overrides) into a :class:`Recipe`."""
    import copy

    from r1safe.errors import ConfigError

    data = apply_overrides(copy.deepcopy(data), list(overrides or []))
    _check_kinds(data, source)
    try:
        return Recipe.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, source, STAGE_KINDS)) from None


def resolve_recipe_path(path: str | Path) -> Path:
    """``path`` when it is a file, else the shipped recipe of that name (``gym/hybrid``,
    ``smollm2-135m/hybrid``); neither is a one-line error listing the shipped ones."""
    from r1safe.errors import ConfigError
    from r1safe.paths import shipped_recipe, shipped_recipe_names

    if Path(path).is_file():
        return Path(path)
    shipped = shipped_recipe(str(path))
    if shipped is None:
        raise ConfigError(f"{path}: no such file, and no shipped recipe of that name; shipped: "
                          f"{', '.join(shipped_recipe_names())}")
    return shipped


def load_recipe(path: str | Path, overrides: list[str] | None = None) -> Recipe:
    """Load and validate a recipe YAML file (or a shipped recipe's name); errors are one line naming the field."""
    resolved = resolve_recipe_path(path)
    return parse_recipe(load_yaml(resolved), str(path), overrides)


def scaled(stage: Any, scale: float) -> Any:
    """A copy of ``stage`` with its length multiplied by ``scale`` (steps, epochs or prompts)."""
    if scale == 1.0:
        return stage
    update: dict[str, Any] = {}
    if isinstance(stage, GRPOStage):
        update["max_steps"] = max(1, round(stage.max_steps * scale))
    else:
        if stage.max_steps is not None:
            update["max_steps"] = max(1, round(stage.max_steps * scale))
        else:
            update["epochs"] = stage.epochs * scale
        if isinstance(stage, RejectionSamplingStage) and stage.num_prompts is not None:
            update["num_prompts"] = max(1, round(stage.num_prompts * scale))
            update.pop("epochs", None)
    return stage.model_copy(update=update)
