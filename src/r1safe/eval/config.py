"""The evaluation's config: what to evaluate, how to sample, which judges and metrics.

Defaults follow R1's usage recommendations (k=4 samples per prompt, temperature 0.6, top-p
0.95, no system prompt, ``<think>\\n`` forced). The token budget follows R1's evaluation setting
(32,768 new tokens) for real models, and is gym-sized (160) when the model or suite is the gym's;
a budget given explicitly always wins. :meth:`EvalConfig.identity` is the part that
decides the records: a run folder holds one identity, and re-running it resumes.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from pydantic import Field, field_validator, model_validator

from r1safe.backends.base import GenerationParams
from r1safe.config import StrictModel

# R1's evaluation budget ("maximum generation length of 32,768 tokens") and the gym's replies' size.
REAL_MAX_NEW_TOKENS = 32_768
GYM_MAX_NEW_TOKENS = 160

# Option names never written to a run folder.
SECRET_OPTIONS = frozenset({"api_key", "token", "hf_token"})


def without_secrets(judge_options: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each judge's options less the secret ones (:data:`SECRET_OPTIONS`)."""
    return {name: {k: v for k, v in opts.items() if k not in SECRET_OPTIONS} for name, opts in judge_options.items()}


# Fields that change how or where a run executes, not which records it produces.
RUNTIME_FIELDS = {"out", "batch_size", "progress", "threads", "report", "bootstrap", "metrics", "judges",
                  "backend_options", "base_url"}


class EvalConfig(StrictModel):
    """Everything ``r1safe eval`` needs; ``r1safe.eval.pipeline.run(EvalConfig(...))`` runs it."""

    model: str = Field("gym", description="local model folder, hub id, or 'gym' (the gym's base model)")
    suite: str = Field("gym", description="comma-separated: 'gym', a .jsonl of samples, a public benchmark's "
                                          "name or NAME=PATH (see r1safe.eval.datasets)")
    dataset_files: dict[str, str] = Field(default_factory=dict, description="public benchmark name -> local file")
    dataset_options: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="public benchmark name -> loader parameters (e.g. multijail languages)")
    splits: list[str] | None = Field(None, description="splits to keep (all when None)")
    limit: int | None = Field(None, ge=1, description="at most this many prompts per split")
    generation: GenerationParams = Field(default_factory=GenerationParams)
    backend: str = "transformers"
    base_url: str | None = Field(None, description="server URL for the openai backend")
    backend_options: dict[str, Any] = Field(default_factory=dict, description="extra backend parameters")
    batch_size: int = Field(64, ge=1, description="sequences per forward pass (prompts x samples)")
    judges: list[str] | None = Field(None, description="default: oracle, refusal, format (+ proxy on gym)")
    judge_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    metrics: list[str] | None = Field(None, description="metric names (all when None)")
    gym: str | None = Field(None, description="a built gym folder (default gym when None)")
    out: str | None = Field(None, description="run folder (default: runs/eval/<model>-<suite>-<hash>)")
    bootstrap: int = Field(1000, ge=0, description="bootstrap resamples for the intervals")
    threads: int | None = Field(None, ge=1, description="torch CPU threads")
    progress: bool = False
    report: bool = True

    @model_validator(mode="before")
    @classmethod
    def _default_budget(cls, data: Any) -> Any:
        """Fill ``generation.max_new_tokens`` when unset: gym-sized on the gym, R1's budget otherwise."""
        if not isinstance(data, dict):
            return data
        generation = data.get("generation")
        if generation is not None and not isinstance(generation, dict):
            return data  # a built GenerationParams already holds its budget
        generation = dict(generation or {})
        if generation.get("max_new_tokens") is None:
            on_gym = data.get("model", "gym") == "gym" or data.get("suite", "gym") == "gym"
            generation["max_new_tokens"] = GYM_MAX_NEW_TOKENS if on_gym else REAL_MAX_NEW_TOKENS
            data = {**data, "generation": generation}
        return data

    @field_validator("splits")
    @classmethod
    def _no_empty_split(cls, splits: list[str] | None) -> list[str] | None:
        if splits is not None and (not splits or any(not s.strip() for s in splits)):
            raise ValueError("splits must be non-empty names")
        return splits

    def identity(self) -> dict[str, Any]:
        """The fields that decide the generated records (the run folder's key)."""
        out = self.model_dump(mode="json", exclude=RUNTIME_FIELDS)
        for key in ("dataset_files", "dataset_options"):  # left out when unused: older run folders keep their key
            if not out[key]:
                del out[key]
        out["judge_options"] = without_secrets(out["judge_options"])
        return out

    def saved(self) -> dict[str, Any]:
        """The config as written to the run folder: secrets (``api_key``, tokens) left out of the
        judge and backend options, so a shared run folder leaks no key (set them in the env)."""
        out = self.model_dump(mode="json")
        out["judge_options"] = without_secrets(out["judge_options"])
        out["backend_options"] = {k: v for k, v in out["backend_options"].items() if k not in SECRET_OPTIONS}
        return out

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.identity(), sort_keys=True).encode()).hexdigest()[:10]

    def default_out(self) -> str:
        """``runs/eval/<model>-<suite>-<hash of the identity>``."""
        def slug(text: str) -> str:
            return re.sub(r"[^A-Za-z0-9._-]+", "_", text.rstrip("/").split("/")[-1])[:40] or "x"

        return f"runs/eval/{slug(self.model)}-{slug(self.suite)}-{self.digest()}"
