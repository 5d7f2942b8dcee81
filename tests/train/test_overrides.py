"""Typed stage overrides: a stage found by name or kind, checked against the recipe, as a --set line."""

import pytest

from r1safe.errors import ConfigError
from r1safe.train.overrides import StageSet, override_lines, stage_index, stage_of, stage_set, stages_set
from r1safe.train.recipe import load_recipe


def test_a_stage_is_found_by_name_then_by_kind():
    hybrid = load_recipe("gym/hybrid")
    assert stage_index(hybrid, "final_rl") == 3
    assert stage_index(hybrid, "rejection_sampling") == 2
    assert stage_index(hybrid, "sft") == 0  # the one SFT stage, by kind
    assert stage_of(hybrid, "cold_start").kind == "sft"
    assert stages_set(hybrid, "grpo", "beta", 0.0) == ["stages.1.beta=0.0", "stages.3.beta=0.0"]


def test_an_ambiguous_or_unknown_stage_or_field_is_one_line_naming_the_stages():
    hybrid = load_recipe("gym/hybrid")
    with pytest.raises(ConfigError, match=r"2 stages named or of kind 'grpo'.*1: reasoning_rl \(grpo\)"):
        stage_index(hybrid, "grpo")
    with pytest.raises(ConfigError, match="no stage named or of kind 'nope'"):
        stage_set(hybrid, "nope", "beta", 0.1)
    with pytest.raises(ConfigError, match="stage 0 \\(sft\\) has no field 'beta'"):
        stage_set(hybrid, "cold_start", "beta", 0.1)


def test_values_read_back_as_themselves():
    hybrid = load_recipe("gym/hybrid")
    lines = override_lines(hybrid, [StageSet("rejection_sampling", "teacher", "/runs/a b: c/model"),
                                    StageSet("final_rl", "learning_rate", 1e-05),
                                    StageSet("rejection_sampling", "safety_judge", "oracle"), "scale=0.5"])
    assert lines[2:] == ["stages.2.safety_judge=oracle", "scale=0.5"]
    applied = load_recipe("gym/hybrid", lines)
    assert applied.stages[2].teacher == "/runs/a b: c/model"
    assert applied.stages[3].learning_rate == 1e-05
    assert applied.scale == 0.5


def test_run_recipe_resolves_stage_sets_against_the_recipe_it_runs():
    from r1safe.train.runner import _resolve_recipe

    recipe = _resolve_recipe("gym/hybrid", [StageSet("final_rl", "max_steps", 3), "stages.3.max_steps=4"], seed=7)
    assert recipe.stages[3].max_steps == 4 and recipe.seed == 7  # in order: the later line wins
    recipe = _resolve_recipe(load_recipe("gym/rl"), [StageSet("grpo", "beta", 0.5)], seed=None)
    assert recipe.stages[0].beta == 0.5
