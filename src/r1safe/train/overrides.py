"""Typed overrides of a recipe's stages: find a stage by name or kind, never by a spelled-out index.

A caller that changes a stage (the study: the oracle-filtered hybrid, the distilled student's teacher,
a tuned learning rate, a Goodhart run's KL coefficient) names the stage the way the recipe does
(``final_rl``; or ``grpo`` where one stage has that kind) and the field the stage's config model has.
:func:`stage_set` checks both against the recipe and returns the ``--set`` line the recipe loader
applies; a :class:`StageSet` is the same change carried as a value, resolved by
:func:`r1safe.train.runner.run_recipe` against the recipe it runs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from r1safe.errors import ConfigError
from r1safe.train.recipe import Recipe, StageConfig

#: a stage as a caller names it: its index, its ``name``, or its ``kind`` (when one stage has that kind)
StageRef = int | str
Scalar = str | int | float | bool | Path | None


@dataclass(frozen=True)
class StageSet:
    """Set ``field`` of the stage ``stage`` (index, name or kind) to ``value``."""

    stage: StageRef
    field: str
    value: Scalar

    def override(self, recipe: Recipe) -> str:
        """The ``--set`` line of this change for ``recipe``."""
        return stage_set(recipe, self.stage, self.field, self.value)


def stage_indices(recipe: Recipe, ref: StageRef) -> list[int]:
    """Indices of the stages ``ref`` names: the index itself, the stages of that ``name``, else of that
    ``kind`` (every one of them)."""
    if isinstance(ref, int):
        return [ref] if 0 <= ref < len(recipe.stages) else []
    named = [i for i, s in enumerate(recipe.stages) if s.name == ref]
    return named or [i for i, s in enumerate(recipe.stages) if s.kind == ref]


def stage_index(recipe: Recipe, ref: StageRef) -> int:
    """The one stage ``ref`` names; none or several is a one-line ConfigError listing the stages."""
    found = stage_indices(recipe, ref)
    if len(found) != 1:
        listed = ", ".join(f"{i}: {s.name or '-'} ({s.kind})" for i, s in enumerate(recipe.stages))
        what = "no stage" if not found else f"{len(found)} stages"
        raise ConfigError(f"recipe {recipe.name}: {what} named or of kind {ref!r}; its stages: {listed}")
    return found[0]


def stage_of(recipe: Recipe, ref: StageRef) -> StageConfig:
    """The config of the one stage ``ref`` names (see :func:`stage_index`)."""
    return recipe.stages[stage_index(recipe, ref)]


def _yaml_value(value: Scalar) -> str:
    """``value`` as the override's right-hand side, read back as the same value by the YAML loader."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return text if yaml.safe_load(text) == text else json.dumps(text)


def _set_line(recipe: Recipe, index: int, field: str, value: Scalar) -> str:
    stage = recipe.stages[index]
    if field not in type(stage).model_fields:
        raise ConfigError(f"recipe {recipe.name}: stage {index} ({stage.kind}) has no field {field!r}")
    return f"stages.{index}.{field}={_yaml_value(value)}"


def stage_set(recipe: Recipe, ref: StageRef, field: str, value: Scalar) -> str:
    """The ``--set`` line that sets ``field`` of the one stage ``ref`` names to ``value``."""
    return _set_line(recipe, stage_index(recipe, ref), field, value)


def stages_set(recipe: Recipe, ref: StageRef, field: str, value: Scalar) -> list[str]:
    """The ``--set`` lines that set ``field`` of every stage ``ref`` names (e.g. every ``grpo`` stage)."""
    return [_set_line(recipe, i, field, value) for i in stage_indices(recipe, ref)]


def override_lines(recipe: Recipe, overrides: Sequence[str | StageSet]) -> list[str]:
    """``overrides`` as ``--set`` lines, in order: each :class:`StageSet` resolved against ``recipe``."""
    return [o.override(recipe) if isinstance(o, StageSet) else o for o in overrides]
