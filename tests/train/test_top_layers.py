"""``train_top_layers``: only the top layers train (the rest keep their weights), and the compute account
charges the backward pass for the trained parameters only."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from r1safe.errors import ConfigError
from r1safe.train.monitors.compute import training_flops_per_token
from r1safe.train.recipe import parse_recipe
from r1safe.train.runner import run_recipe
from r1safe.train.stages.common import decoder_layers, train_only_top_layers

MICRO = Path(__file__).resolve().parents[2] / "src" / "r1safe" / "recipes" / "gym" / "micro.yaml"


def test_freezing_leaves_the_top_layers_and_final_norm_trainable(micro_gym):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(micro_gym.model_dir)
    layers = decoder_layers(model)
    train_only_top_layers(model, 1)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith(f"model.layers.{len(layers) - 1}.") or n.startswith("model.norm")
                             for n in trainable)
    with pytest.raises(ConfigError, match="more than the model's"):
        train_only_top_layers(model, len(layers) + 1)


def test_an_sft_stage_with_train_top_layers_changes_only_those_layers(micro_gym, tmp_path):
    import yaml

    data = yaml.safe_load(MICRO.read_text())
    data["stages"] = [{**data["stages"][0], "train_top_layers": 1}]
    data["monitors"]["probe"]["enabled"] = False
    result = run_recipe(parse_recipe(data, "micro-top"), tmp_path / "run", gym=micro_gym)
    before = load_file(str(Path(micro_gym.model_dir) / "model.safetensors"))
    after = load_file(str(result.final_model / "model.safetensors"))
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    top = max(int(k.split(".")[2]) for k in before if k.startswith("model.layers."))
    assert changed and all(k.startswith((f"model.layers.{top}.", "model.norm")) for k in changed)
    [stage] = result.stages
    c = stage.compute
    assert c.flops_training == pytest.approx(training_flops_per_token(c.params, c.trainable) * c.tokens_trained)
    assert 0 < c.trainable < c.params and c.flops_training < 6 * c.params * c.tokens_trained
