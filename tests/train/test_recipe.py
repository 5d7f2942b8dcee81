"""Recipe validation: shipped recipes parse, bad ones fail with one line naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from r1safe.errors import ConfigError
from r1safe.train.recipe import GRPOStage, load_recipe, parse_recipe, scaled

RECIPES = Path(__file__).resolve().parents[2] / "src" / "r1safe" / "recipes"
GYM = ["sft", "rl", "hybrid", "distill", "micro"]


def recipe(*stages: dict, **top) -> dict:
    return {"name": "t", **top, "stages": list(stages)}


GRPO = {"kind": "grpo", "rewards": [{"name": "format"}]}


def error(data: dict, overrides: list[str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        parse_recipe(data, "r.yaml", overrides)
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("name", GYM)
def test_shipped_gym_recipes_validate(name):
    r = load_recipe(RECIPES / "gym" / f"{name}.yaml")
    assert r.name == name and r.stages


def test_rl_recipe_is_r1_style_and_no_recipe_uses_the_oracle_reward():
    rl = load_recipe(RECIPES / "gym" / "rl.yaml")
    assert [s.kind for s in rl.stages] == ["grpo"]
    hybrid = load_recipe(RECIPES / "gym" / "hybrid.yaml")
    # the arms differ only in SFT and rejection sampling: every GRPO stage has the same rewards
    for stage in [rl.stages[0], hybrid.stages[1], hybrid.stages[3]]:
        assert [(x.name, x.weight, x.params) for x in stage.rewards] == [
            (x.name, x.weight, x.params) for x in rl.stages[0].rewards]
    assert {x.name for x in rl.stages[0].rewards} == {"harmlessness", "helpfulness", "over_refusal", "format",
                                                      "language_consistency", "correctness"}
    assert hybrid.stages[2].safety_judge == "learned"
    for path in RECIPES.rglob("*.yaml"):
        assert "oracle_harmlessness" not in path.read_text(), path


def test_hybrid_recipe_has_the_four_r1_stages():
    hybrid = load_recipe(RECIPES / "gym" / "hybrid.yaml")
    assert [s.kind for s in hybrid.stages] == ["sft", "grpo", "rejection_sampling", "grpo"]
    assert hybrid.stages[1].beta == 0.001
    names = {x.name for x in hybrid.stages[1].rewards}
    assert names == {"harmlessness", "helpfulness", "over_refusal", "format", "language_consistency", "correctness"}


REAL = ["deepseek-r1-distill-qwen-1.5b/sft.yaml", "deepseek-r1-distill-qwen-1.5b/rl.yaml",
        "deepseek-r1-distill-qwen-1.5b/hybrid.yaml", "deepseek-r1-distill-qwen-7b/hybrid.yaml"]


@pytest.mark.parametrize("name", REAL)
def test_real_model_recipes_validate_and_build_trl_configs(name, tmp_path):
    """The GPU recipes cannot train here, but they validate, read only real data and real judges, and every
    stage's TRL config (its ``trl`` passthrough included) builds, once moved to the CPU."""
    from r1safe.train.stages.common import StageContext, trainer_args
    from r1safe.train.stages.grpo import grpo_config

    r = load_recipe(RECIPES / name)
    assert r.base_model.startswith("deepseek-ai/DeepSeek-R1-Distill-Qwen-") and r.precision == "bf16"
    assert r.gym_spec() is None and r.monitors.reward_hacking.judge == "llama_guard"
    for stage in r.stages:
        if isinstance(stage, GRPOStage):
            assert stage.use_vllm and stage.vllm_mode == ("server" if "7b" in name else "colocate")
            judged = {x.name: x.params.get("judge") for x in stage.rewards}
            assert judged["harmlessness"] == "qwen3guard" and judged["over_refusal"] == "refusal_clf"
    cpu = load_recipe(RECIPES / name, ["device=cpu", "precision=fp32"])
    from trl import SFTConfig

    for i, stage in enumerate(cpu.stages):
        ctx = StageContext(cpu, i, f"s{i}", stage, tmp_path, "model", None, 0, None, print)  # type: ignore[arg-type]
        if stage.kind == "grpo":
            config = grpo_config(ctx)
            assert config.use_vllm and config.beta == 0.001 and len(config.reward_weights) == len(stage.rewards)
        else:
            args = trainer_args(ctx, epochs=stage.epochs)
            assert SFTConfig(**args, max_length=stage.max_length).activation_checkpointing


def test_the_monitor_judge_must_be_independent_of_the_proxy():
    from r1safe.errors import ConfigError
    from r1safe.train.monitors.reward_hacking import RewardHackingMonitor
    from r1safe.train.rewards import REWARDS

    proxy = REWARDS.create("harmlessness", judge="refusal_clf")
    with pytest.raises(ConfigError, match="'refusal_clf' is the judge the policy is trained on"):
        RewardHackingMonitor(None, None, proxy, judge="refusal_clf")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="unknown judge 'nope'"):
        load_recipe(RECIPES / REAL[2], ["monitors.reward_hacking.judge=nope"])


@pytest.mark.parametrize("name", ["zero2", "zero3", "fsdp"])
def test_accelerate_configs_load(name):
    from accelerate.commands.config.config_args import ClusterConfig

    cfg = ClusterConfig.from_yaml_file(str(RECIPES / "accelerate" / f"{name}.yaml"))
    assert cfg.num_processes == 8 and cfg.mixed_precision == "bf16"
    assert cfg.distributed_type.value == ("FSDP" if name == "fsdp" else "DEEPSPEED")


def test_unknown_stage_kind_names_the_field():
    msg = error(recipe({"kind": "sft"}, {"kind": "ppo"}))
    assert msg.startswith("r.yaml: stages.1.kind:") and "'ppo'" in msg and "grpo" in msg
    assert error(recipe({"epochs": 1})).startswith("r.yaml: stages.0.kind: missing")


def test_unknown_reward_names_the_field():
    msg = error(recipe({**GRPO, "rewards": [{"name": "format"}, {"name": "safety"}]}))
    assert msg.startswith("r.yaml: stages.0.rewards.1.name: unknown reward 'safety'")
    assert "harmlessness" in msg


@pytest.mark.parametrize(
    ("weight", "expect"), [("heavy", "valid number"), (float("nan"), "finite"), (float("inf"), "finite")]
)
def test_bad_weight_names_the_field(weight, expect):
    msg = error(recipe({**GRPO, "rewards": [{"name": "format", "weight": weight}]}))
    assert msg.startswith("r.yaml: stages.0.rewards.0.weight:") and expect in msg


def test_all_zero_weights_and_bad_reward_params_are_refused():
    assert "every weight is 0" in error(recipe({**GRPO, "rewards": [{"name": "format", "weight": 0}]}))
    msg = error(recipe({**GRPO, "rewards": [{"name": "harmlessness", "params": {"scope": "all"}}]}))
    assert msg.startswith("r.yaml: stages.0.rewards.0:") and "scope must be one of" in msg
    bad_param = error(recipe({**GRPO, "rewards": [{"name": "format", "params": {"x": 1}}]}))
    assert "unknown param 'x'; its params: " in bad_param


def test_other_errors_are_one_line_and_name_the_field():
    assert error(recipe({"kind": "sft", "lr": 1})) == "r.yaml: stages.0.lr: unknown key"
    assert error(recipe({**GRPO, "batch_size": 6})).startswith("r.yaml: stages.0: batch_size")
    assert error(recipe()).startswith("r.yaml: stages:")
    assert error(recipe({"kind": "sft"}), ["stages.0.epochs=-1"]).startswith("r.yaml: stages.0.epochs:")
    assert error(recipe({"kind": "sft"}), ["scale=0"]).startswith("r.yaml: scale:")


def test_overrides_and_missing_file(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(recipe({"kind": "sft"}, GRPO)))
    r = load_recipe(path, ["stages.1.max_steps=7", "seed=3"])
    assert r.stages[1].max_steps == 7 and r.seed == 3
    with pytest.raises(ConfigError, match="no such file"):
        load_recipe(tmp_path / "missing.yaml")


def test_scale_multiplies_every_stage_length():
    r = load_recipe(RECIPES / "gym" / "hybrid.yaml")
    sft, grpo, rs, final = (scaled(s, 0.5) for s in r.stages)
    assert grpo.max_steps == r.stages[1].max_steps // 2 and final.max_steps == r.stages[3].max_steps // 2
    assert sft.epochs == r.stages[0].epochs * 0.5 and rs.num_prompts == r.stages[2].num_prompts // 2
    assert scaled(GRPOStage.model_validate({**GRPO, "max_steps": 1}), 0.1).max_steps == 1


def test_gym_spec_follows_the_base_model():
    assert parse_recipe(recipe({"kind": "sft"})).gym_spec() == "default"
    assert parse_recipe(recipe({"kind": "sft"}, base_model="gym:micro")).gym_spec() == "micro"
    assert parse_recipe(recipe({"kind": "sft"}, base_model="/m", gym="/g")).gym_spec() == "/g"
    assert parse_recipe(recipe({"kind": "sft"}, base_model="/m")).gym_spec() is None


def test_a_shipped_recipe_loads_by_name_and_an_unknown_name_lists_the_shipped_ones():
    from r1safe.errors import ConfigError
    from r1safe.paths import shipped_recipe_names

    assert "gym/hybrid" in shipped_recipe_names()
    assert load_recipe("gym/hybrid").name == "hybrid"
    with pytest.raises(ConfigError, match=r"no shipped recipe of that name; shipped: .*gym/hybrid"):
        load_recipe("gym/nope")


def test_a_warmup_share_reaches_the_trainer_as_that_share_of_the_steps(tmp_path):
    """transformers 5 reads a float warmup_steps as a ratio, 4 takes warmup_ratio: trainer_args.warmup_args
    picks the keyword this version understands, so 10% warmup is 10 of 100 steps either way."""
    from trl import SFTConfig

    from r1safe.train.stages.common import StageContext, trainer_args

    r = load_recipe(RECIPES / "gym" / "sft.yaml", ["stages.0.warmup_ratio=0.1", "device=cpu"])
    ctx = StageContext(r, 0, "s0", r.stages[0], tmp_path, "model", None, 0, None, print)  # type: ignore[arg-type]
    config = SFTConfig(**trainer_args(ctx, max_steps=100), max_length=64)
    assert config.get_warmup_steps(100) == 10
