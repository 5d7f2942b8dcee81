"""The study's config: which arms, how many seeds, how hard to evaluate, where to write."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from r1safe.config import StrictModel
from r1safe.errors import ConfigError
from r1safe.gym.build import GymConfig
from r1safe.paths import shipped_recipe, shipped_recipe_names
from r1safe.train.overrides import StageSet

if TYPE_CHECKING:
    from r1safe.train.recipe import Recipe

BUILTIN_ARMS = ("base", "sft", "rl", "hybrid", "distill", "hybrid_oracle")
DEFAULT_ARMS = ("base", "sft", "rl", "hybrid", "distill")
#: Arms that are a shipped recipe with overrides: ``hybrid_oracle`` is the hybrid whose
#: rejection-sampling stage keeps what the gym oracle calls safe (an ablation: privileged truth);
#: ``distill`` a fresh student taught by the same seed's hybrid (its teacher, set by the study).
RECIPE_ARMS: dict[str, tuple[str, tuple[StageSet, ...]]] = {
    "sft": ("sft", ()), "rl": ("rl", ()), "hybrid": ("hybrid", ()),
    "hybrid_oracle": ("hybrid", (StageSet("rejection_sampling", "safety_judge", "oracle"),)),
    "distill": ("distill", ()),
}


DOSE_ARMS = ("sft", "rl", "hybrid", "hybrid_oracle")
GOODHART_ARMS: tuple[Literal["rl", "hybrid"], ...] = ("rl", "hybrid")
SIZE_ARMS = ("sft", "hybrid", "hybrid_oracle")


class DoseConfig(StrictModel):
    """Dose-response: snapshots along each arm evaluated against cumulative FLOPs, and the safety-SFT
    data size as a dose (see :mod:`r1safe.study.dose`)."""

    enabled: bool = False
    every_fraction: float = Field(0.25, gt=0, le=1, description="snapshot every this share of each stage's steps")
    arms: list[str] = Field(default_factory=lambda: ["sft", "rl", "hybrid"], description="arms with curves")
    limit: int = Field(8, ge=1, description="prompts per split at each snapshot (fewer than the end point)")
    samples: int = Field(1, ge=1, description="replies per prompt at each snapshot")
    threshold: float = Field(0.05, ge=0, le=1, description="held-out harm an arm must first reach")
    sizes: list[int] = Field(default_factory=lambda: [125, 250, 500, 1000],
                             description="safety-SFT rows for the data-size dose ([]: none)")
    size_arms: list[str] = Field(default_factory=lambda: ["sft", "hybrid"], description="arms with a size dose")

    @model_validator(mode="after")
    def _check(self) -> DoseConfig:
        for field, allowed in (("arms", DOSE_ARMS), ("size_arms", SIZE_ARMS)):
            unknown = [a for a in getattr(self, field) if a not in allowed]
            if unknown:
                raise ValueError(f"dose.{field}: {unknown[0]!r} has no dose; choose from {', '.join(allowed)}")
        if any(n < 1 for n in self.sizes) or len(set(self.sizes)) != len(self.sizes):
            raise ValueError("dose.sizes: sizes must be distinct positive row counts")
        return self


class GoodhartConfig(StrictModel):
    """The Goodhart section (:mod:`r1safe.study.goodhart_runs`): long GRPO runs at several KL
    coefficients and best-of-n sweeps against the proxy, after Gao, Schulman & Hilton (2022)."""

    enabled: bool = False
    arms: list[Literal["rl", "hybrid"]] = Field(default_factory=lambda: list(GOODHART_ARMS), min_length=1)
    betas: list[float] = Field(default_factory=lambda: [0.0, 0.001, 0.04], min_length=1,
                               description="KL coefficients (0, R1's 0.001, TRL's old default 0.04)")
    steps_factor: float = Field(4.0, gt=0, description="every GRPO stage runs this many times its recipe's steps")
    probe_every: int = Field(20, ge=1, description="probe (KL, proxy, oracle) every N steps")
    probe_per_split: int = Field(8, ge=1)
    bon_n: int = Field(64, ge=1, description="replies per prompt for best-of-n (n = 1, 2, 4, ... this); 1: off")
    bon_splits: list[str] = Field(default_factory=lambda: ["id", "ood_category", "ood_wrapper", "ood_language",
                                                           "borderline", "capability"])
    bon_per_split: int = Field(4, ge=1, description="prompts per split for best-of-n (N replies each)")
    bon_temperature: float = Field(1.0, gt=0, description="sampling temperature of best-of-n (GRPO's)")


class StudyConfig(StrictModel):
    mode: Literal["quick", "full"] = "quick"
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    arms: list[str] = Field(default_factory=lambda: list(DEFAULT_ARMS), min_length=1)
    recipes: list[str] = Field(default_factory=list, description="extra recipe YAML files, one arm each")
    samples: int = Field(2, ge=1, description="replies per prompt (R1: several, averaged)")
    limit: int | None = Field(16, ge=1, description="prompts per split (None: all)")
    train_overrides: list[str] = Field(default_factory=list, description="--set overrides for every recipe")
    dose: DoseConfig = Field(default_factory=DoseConfig)
    gym: GymConfig = Field(default_factory=GymConfig)
    base_per_seed: bool = Field(False, description=(
        "build the gym's base model, corpora and proxy reward models anew for each seed (gym seed = study "
        "seed), so intervals include the base model's own variance; the world and its test splits stay the same"))
    goodhart: GoodhartConfig = Field(default_factory=GoodhartConfig)
    out: str = "studies/quick"
    bootstrap: int = Field(1000, ge=0)
    jobs: int = Field(1, ge=1, le=64, description=(
        "independent work side by side, each in its own process with its own torch threads: the seeds "
        "(gym build, training and evaluation of every arm), the Goodhart runs and the data-size arms; 2 on a "
        "2-core machine. "
        "Everything is seeded, so the results do not depend on it"))

    @model_validator(mode="after")
    def _check_arms(self) -> StudyConfig:
        unknown = [a for a in self.arms if a not in BUILTIN_ARMS]
        if unknown:
            raise ValueError(f"unknown arm {unknown[0]!r}; built-in arms: {', '.join(BUILTIN_ARMS)} "
                             "(add your own with --recipe FILE)")
        if "distill" in self.arms and "hybrid" not in self.arms:
            raise ValueError("arm 'distill' needs arm 'hybrid' (its teacher)")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError("seeds must be distinct")
        return self

    def gym_for(self, seed: int) -> GymConfig:
        """The gym build that study seed ``seed`` trains from. Seeds are offsets of the gym config's:
        the world is drawn from the first study seed (one world, shared test splits); the base model,
        corpora and reward models from ``seed`` (``base_per_seed``) or from the first seed."""
        first = self.seeds[0]
        world = self.gym.world.model_copy(update={"draw_seed": self.gym.world.draw_seed + first})
        gym_seed = self.gym.seed + (seed if self.base_per_seed else first)
        return self.gym.model_copy(update={"seed": gym_seed, "world": world})


def study_config(mode: str, seeds: int | list[int], **fields: object) -> StudyConfig:
    """Quick mode: 1 seed, 2 samples, 16 prompts per split, on up to 2 cores. Full: N seeds, each with its own base
    model, 4 samples, every prompt, the oracle-filtered hybrid as an ablation arm, the dose-response and
    the Goodhart section, on every core (up to 4 processes). ``seeds``: how many (0, 1, …) or which."""
    if mode == "full":
        base = {"mode": "full", "samples": 4, "limit": None, "out": "studies/full", "base_per_seed": True,
                "arms": list(BUILTIN_ARMS),
                "dose": {"enabled": True}, "goodhart": {"enabled": True},
                # every core: the seeds, Goodhart runs and size arms are independent pieces
                "jobs": max(1, min(4, os.cpu_count() or 1))}
    else:
        # two cores where there are: after the gym build, the arms train in two groups side by side
        base = {"mode": "quick", "samples": 2, "limit": 16, "out": "studies/quick",
                "jobs": max(1, min(2, os.cpu_count() or 1))}
    base["seeds"] = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    for key, value in fields.items():
        if value is None:
            continue
        mode_value = base.get(key)
        base[key] = {**mode_value, **value} if isinstance(mode_value, dict) and isinstance(value, dict) else value
    return StudyConfig.model_validate(base)


def recipe_path(name: str) -> Path:
    """The shipped gym recipe ``gym/<name>`` (package data: a wheel install has it too)."""
    path = shipped_recipe(f"gym/{name}")
    if path is None:
        raise ConfigError(f"gym/{name}: no such shipped recipe; shipped: {', '.join(shipped_recipe_names())}")
    return path


def arm_recipe(arm: str) -> Recipe:
    """The recipe a built-in arm trains (its shipped recipe with the arm's fixed changes), or the
    recipe file ``arm`` (an arm the user added with ``--recipe``)."""
    from r1safe.train.overrides import override_lines
    from r1safe.train.recipe import load_recipe

    if arm not in RECIPE_ARMS:
        return load_recipe(arm)
    name, fixed = RECIPE_ARMS[arm]
    path = recipe_path(name)
    return load_recipe(path, override_lines(load_recipe(path), fixed))
