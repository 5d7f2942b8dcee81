"""The real track's config: which model, how much data, which arms, how hard to evaluate."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from r1safe.config import StrictModel

RealArm = Literal["instruct", "base", "sft", "rl", "hybrid"]
REAL_ARMS: tuple[RealArm, ...] = ("instruct", "base", "sft", "rl", "hybrid")
TRAINED_ARMS = ("sft", "rl", "hybrid")
REAL_JUDGES = ("refusal_clf", "refusal", "format", "correctness", "degenerate", "guard_classifier")


class CorporaConfig(StrictModel):
    """How many training prompts each corpus draws from its pool (None: all of them)."""

    cold_start_benign: int | None = Field(160, ge=1, description="benign prompts the cold start samples")
    cold_start_arithmetic: int | None = Field(240, ge=1, description="sums the cold start samples (2 tries each)")
    safety_harmful: int | None = Field(160, ge=1, description="harmful prompts with a safety SFT row")
    safety_borderline: int | None = Field(80, ge=1, description="borderline prompts answered in the safety SFT")
    rl_harmful: int = Field(96, ge=1, description="RL prompt pool: harmful prompts")
    rl_benign: int = Field(48, ge=1, description="RL prompt pool: benign prompts")
    rl_borderline: int = Field(48, ge=1, description="RL prompt pool: borderline prompts")
    rl_arithmetic: int = Field(48, ge=1, description="RL prompt pool: sums")
    probe_per_split: int = Field(4, ge=1, description="probe prompts per development split")
    max_chars: int = Field(600, ge=50, description="training prompts longer than this are left out")
    test_max_chars: int = Field(1000, ge=50, description="test prompts longer than this are left out")


class RealEvalConfig(StrictModel):
    """Evaluation of every arm on the held-out and in-distribution test splits."""

    limit: int | None = Field(20, ge=1, description="prompts per test split (None: all)")
    samples: int = Field(2, ge=1, description="replies per prompt")
    temperature: float = Field(0.6, ge=0)
    top_p: float = Field(0.95, gt=0, le=1)
    max_new_tokens: int = Field(160, ge=8)
    judges: list[str] = Field(default_factory=lambda: list(REAL_JUDGES))
    batch_size: int = Field(64, ge=1)
    bootstrap: int = Field(1000, ge=0)
    transcripts: int = Field(3, ge=0, description="sampled transcripts per arm and split in the report")


class RealStudyConfig(StrictModel):
    """``r1safe study --real``: see :mod:`r1safe.study.real.runner`."""

    model: str = Field("smollm2-135m", description="the instruct model the track starts from: a named model "
                       "(r1safe.backends.named_models) or a local model folder")
    recipes: str = Field("smollm2-135m", description="the shipped recipe family: <family>/{cold_start,sft,rl,hybrid}")
    data_dir: str | None = Field(None, description="the public data folder (shared/data layout); default: "
                                 "$R1SAFE_DATA_DIR, else a shared/data folder beside or above the working directory")
    out: str = "studies/real"
    seed: int = 0
    arms: list[Literal["instruct", "base", "sft", "rl", "hybrid"]] = Field(
        default_factory=lambda: list(REAL_ARMS), min_length=1)
    corpora: CorporaConfig = Field(default_factory=CorporaConfig)
    eval: RealEvalConfig = Field(default_factory=RealEvalConfig)
    train_overrides: dict[str, list[str]] = Field(default_factory=dict, description=(
        "recipe overrides per recipe (cold_start, sft, rl, hybrid), e.g. {rl: [stages.0.max_steps=20]}"))
    jobs: int = Field(2, ge=1, le=8, description="arms trained and evaluated side by side, one process each")

    @model_validator(mode="after")
    def _check(self) -> RealStudyConfig:
        unknown = [k for k in self.train_overrides if k not in ("cold_start", *TRAINED_ARMS)]
        if unknown:
            raise ValueError(f"train_overrides: {unknown[0]!r} is not a recipe; use cold_start, sft, rl or hybrid")
        return self
