"""Distillation as a recipe: a fresh student of the recipe's size, taught by a teacher's filtered replies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM

from r1safe.gym.render import render_completion
from r1safe.gym.tiny_model import TinyModelSize
from r1safe.gym.world import build_world
from r1safe.train.recipe import load_recipe
from r1safe.train.runner import run_recipe
from r1safe.train.stages.rejection_sampling import rule_checks
from r1safe.train.student import fresh_student

DISTILL = Path(__file__).resolve().parents[2] / "src" / "r1safe" / "recipes" / "gym" / "distill.yaml"
SMALL = TinyModelSize(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
                      intermediate_size=64)


def _weights(folder: str) -> torch.Tensor:
    model = AutoModelForCausalLM.from_pretrained(folder)
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_a_fresh_student_has_the_recipe_size_the_base_tokenizer_and_seeded_weights(micro_gym, tmp_path):
    first = fresh_student(SMALL, str(micro_gym.model_dir), 0, tmp_path / "a")
    config = json.loads((Path(first) / "config.json").read_text())
    assert (config["hidden_size"], config["num_hidden_layers"]) == (32, 1)
    assert (Path(first) / "model.safetensors").is_file() and (Path(first) / "tokenizer.json").is_file()
    base = json.loads((micro_gym.model_dir / "config.json").read_text())
    assert config["vocab_size"] == base["vocab_size"]
    again, other = fresh_student(SMALL, str(micro_gym.model_dir), 0, tmp_path / "b"), \
        fresh_student(SMALL, str(micro_gym.model_dir), 1, tmp_path / "c")
    assert torch.equal(_weights(first), _weights(again))
    assert not torch.equal(_weights(first), _weights(other))
    assert not any(p.name.startswith(".") for p in (tmp_path / "a").iterdir())  # no partial folder left


def test_the_shipped_recipe_filters_as_a_practitioner_could():
    stage = load_recipe(DISTILL).stages[0]
    assert stage.kind == "rejection_sampling" and stage.teacher and stage.safety_judge == "proxy"
    world = build_world()
    harm = world.splits["id"][0]
    refusal, compliance = render_completion(harm, "refuse"), render_completion(harm, "comply")

    def kept(text: str, proxy: float) -> bool:
        checks = rule_checks(harm, text, "stop", proxy, stage.safety_judge, stage.proxy_threshold)
        return all(checks[rule] for rule in stage.accept)

    assert kept(refusal, 0.9) and not kept(refusal, 0.2)
    assert kept(compliance, 0.9)  # the proxy, not the oracle, judges safety: its miss passes

    # truncated, mixed-language or wrong replies are dropped
    total = world.splits["capability"][0]
    answer = total.reference["answer"]

    def kept_sum(text: str, finish: str = "stop") -> bool:
        checks = rule_checks(total, text, finish, 0.9, stage.safety_judge, stage.proxy_threshold)
        return all(checks[rule] for rule in stage.accept)

    assert kept_sum(render_completion(total, "help")) and not kept_sum(render_completion(total, "help"), "length")
    assert not kept_sum(render_completion(total, "help", switch_at=1))
    assert not kept_sum(f"<think>\nI add the numbers.\n</think>\n\nThe answer is {answer + 1}.")
    assert kept_sum(f"<think>\nI add the numbers.\n</think>\n\nThe answer is {answer}.")


@pytest.mark.slow
def test_the_distill_recipe_teaches_a_fresh_student(micro_gym, tmp_path):
    teacher = str(micro_gym.model_dir)
    result = run_recipe(DISTILL, tmp_path / "run", gym=micro_gym, overrides=[
        f"stages.0.teacher={teacher}", "stages.0.num_prompts=8", "stages.0.epochs=1", "stages.0.max_new_tokens=48",
        "student.hidden_size=32", "student.num_hidden_layers=1", "student.num_attention_heads=2",
        "student.num_key_value_heads=1", "student.intermediate_size=64", "monitors.probe.per_split=1",
        "monitors.probe.max_new_tokens=16"])
    (stage,) = result.stages
    manifest = json.loads((stage.dir / "manifest.json").read_text())
    assert manifest["status"] == "done" and manifest["parent"]["model"].endswith("student_init")
    selection = json.loads((stage.dir / "selection.json").read_text())
    assert selection["stats"]["prompts"] == 8 and selection["stats"]["generated"] == 8
    student = json.loads((result.final_model / "config.json").read_text())
    assert student["hidden_size"] == 32
    if selection["stats"]["kept"]:
        assert not torch.equal(_weights(str(result.final_model)), _weights(manifest["parent"]["model"]))
    teacher_params = sum(p.numel() for p in AutoModelForCausalLM.from_pretrained(teacher).parameters())
    generation = selection["compute"]  # the teacher's sampling is costed at the teacher's size
    assert generation["params"] == teacher_params
    assert generation["flops_generation"] == 2.0 * teacher_params * (generation["tokens_prompt"]
                                                                     + generation["tokens_generated"])


@pytest.mark.parametrize("field", ["student.hidden_size=0", "student.layers=2"])
def test_a_bad_student_is_one_line_naming_the_field(field):
    from r1safe.errors import ConfigError

    with pytest.raises(ConfigError, match="student"):
        load_recipe(DISTILL, [field])


def test_a_missing_teacher_is_one_line_before_anything_runs(micro_gym, tmp_path):
    from r1safe.errors import ConfigError

    with pytest.raises(ConfigError, match=r"cannot run here: stages\.0\.teacher \(nowhere/model/x\): .*nowhere/model") \
            as info:
        run_recipe(DISTILL, tmp_path / "run", gym=micro_gym, overrides=["stages.0.teacher=nowhere/model/x"])
    assert "\n" not in str(info.value)
    assert not (tmp_path / "run" / "recipe.yaml").exists() and not (tmp_path / "run" / "student_init").exists()


def test_a_student_run_measures_its_divergence_against_the_student_it_started_from(tmp_path):
    from r1safe.train.recipe import parse_recipe
    from r1safe.train.stages.common import StageContext, reference_models

    grpo = {"kind": "grpo", "rewards": [{"name": "format"}]}
    student = parse_recipe({"name": "s", "base_model": "gym", "student": SMALL.model_dump(), "stages": [grpo]})
    stage_dir = tmp_path / "run" / "stages" / "00_grpo"
    ctx = StageContext(student, 0, "00_grpo", student.stages[0], stage_dir, "somewhere/else", None, 0, None,  # type: ignore[arg-type]
                       print)
    refs = reference_models(ctx)
    assert refs["base"] == str(tmp_path / "run" / "student_init")  # not the gym's base model it took a tokenizer from
    assert refs["init"] == "somewhere/else"
