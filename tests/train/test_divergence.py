"""The divergence monitor on the micro gym's model: zero against itself, positive against a perturbed
copy; and the Goodhart curve read back from a metrics file."""

from __future__ import annotations

import copy
import json
import math

import pytest

from r1safe.train.monitors import MetricsSink, goodhart_curve
from r1safe.train.monitors.divergence import DivergenceMonitor, sequence_logprobs
from r1safe.train.monitors.probe import Probe
from r1safe.train.recipe import ProbeConfig


@pytest.fixture(scope="module")
def tiny(micro_gym):
    from r1safe.backends.loading import load_causal_lm

    tokenizer, model, _ = load_causal_lm(str(micro_gym.model_dir), device="cpu")
    samples = [s for split in ("id", "capability") for s in micro_gym.world.split(split)[:2]]
    return model, tokenizer, samples


def _monitor(tmp_path, tiny, references):
    _, tokenizer, samples = tiny
    probe = Probe(ProbeConfig(max_new_tokens=16), samples, tokenizer, max_steps=4)
    return DivergenceMonitor(MetricsSink(tmp_path / "m.jsonl", "s", "grpo"), probe, references)


def test_kl_against_the_same_model_is_zero(tmp_path, tiny):
    model = tiny[0]
    stats = _monitor(tmp_path, tiny, {"init": copy.deepcopy(model)}).measure(0, model, None)
    assert stats["kl_init"] == pytest.approx(0.0, abs=1e-6) and stats["d_init"] == pytest.approx(0.0, abs=1e-3)


def test_kl_against_a_perturbed_model_is_positive_and_shared_references_agree(tmp_path, tiny, micro_gym):
    import torch

    model = tiny[0]
    perturbed = copy.deepcopy(model)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in perturbed.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=gen))
    path = str(micro_gym.model_dir)
    mon = _monitor(tmp_path, tiny, {"init": path, "base": path})
    stats = mon.measure(0, perturbed, None)
    assert stats["kl_init"] > 0.01 and stats["d_init"] == pytest.approx(math.sqrt(stats["kl_init"]))
    assert stats["kl_base"] == stats["kl_init"] and len(mon._loaded) == 1  # one folder, loaded once
    assert mon.forward_tokens > 0 and mon.measure(1, perturbed, None) == {}  # step 1 is no probe point


def test_the_probe_keeps_the_sampled_token_ids(tmp_path, tiny):
    model, tokenizer, _ = tiny
    result = _monitor(tmp_path, tiny, {}).probe.run(0, model)
    assert result is not None and result.token_ids is not None
    for text, ids, count in zip(result.texts, result.token_ids, result.tokens, strict=True):
        assert len(ids) == count and text.endswith(tokenizer.decode(ids, skip_special_tokens=True))


def test_logprobs_mask_the_prompt_and_padding_and_follow_the_temperature(tiny):
    model = tiny[0]
    prompt, reply = [5, 6, 7], [8, 9]
    alone = sequence_logprobs(model, [prompt], [reply])
    batched = sequence_logprobs(model, [prompt, [5] * 9], [reply, [8]])
    assert batched[0] == pytest.approx(alone[0], abs=1e-5) and alone[0] < 0
    assert sequence_logprobs(model, [prompt], [[]]) == [0.0]
    assert sequence_logprobs(model, [prompt], [reply], temperature=0.5)[0] != pytest.approx(alone[0])


def test_goodhart_curve_joins_divergence_and_hacking_per_probe_point(tmp_path):
    rows = [
        {"stage": "00_sft", "kind": "sft", "step": 0, "global_step": 0, "monitor/reward_hacking/proxy_safe": 0.1},
        {"stage": "01_rl", "kind": "grpo", "step": 0, "global_step": 3, "monitor/reward_hacking/proxy_safe": 0.5,
         "monitor/reward_hacking/judge_safe": 0.4},
        {"stage": "01_rl", "kind": "grpo", "step": 0, "global_step": 3, "monitor/divergence/kl_init": 0.0,
         "monitor/divergence/d_init": 0.0},
        {"stage": "01_rl", "kind": "grpo", "step": 1, "global_step": 4, "loss": 0.1},
        {"stage": "01_rl", "kind": "grpo", "step": 2, "global_step": 5, "monitor/divergence/kl_init": 0.25,
         "monitor/divergence/d_init": 0.5, "monitor/reward_hacking/proxy_safe": 0.9,
         "monitor/reward_hacking/judge_safe": 0.2, "monitor/reward_hacking/alarm": 1.0},
    ]
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    curve = goodhart_curve(path)
    assert [c["global_step"] for c in curve] == [3, 5]  # the step-0 rows of the two monitors joined
    assert curve[0]["proxy_safe"] == 0.5 and curve[0]["kl_init"] == 0.0
    assert curve[1] == {"stage": "01_rl", "kind": "grpo", "step": 2, "global_step": 5, "kl_init": 0.25,
                        "d_init": 0.5, "proxy_safe": 0.9, "judge_safe": 0.2, "alarm": 1.0}
