"""GRPO's completions through r1safe's decode loop (TRL's ``rollout_func``): what TRL gets back, and that
TRL's own loss code reads it as it reads its own generate()'s."""

from __future__ import annotations

import pytest
import torch

from r1safe.train.stages.rollout import DecodeRollout, left_pad, render_prompt_ids


@pytest.fixture(scope="module")
def trainer(micro_gym, tmp_path_factory):
    import warnings

    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    tokenizer = AutoTokenizer.from_pretrained(str(micro_gym.model_dir))
    tokenizer.padding_side = "left"
    prompts = [{"prompt": s.prompt} for s in micro_gym.world.splits["id"][:4]]
    args = GRPOConfig(output_dir=str(tmp_path_factory.mktemp("grpo")), per_device_train_batch_size=8,
                      num_generations=4, max_completion_length=24, temperature=0.9, top_p=0.95, max_steps=1,
                      use_cpu=True, report_to=[], seed=3, beta=0.0, logging_steps=1, save_strategy="no",
                      bf16=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GRPOTrainer(model=str(micro_gym.model_dir), reward_funcs=[lambda completions, **kw: [0.0] * len(
            completions)], args=args, train_dataset=Dataset.from_list(prompts), processing_class=tokenizer,
            rollout_func=DecodeRollout())


def _group(trainer, copies: int = 4):
    prompts = [s["prompt"] for s in trainer.train_dataset][:2]
    return [p for p in prompts for _ in range(copies)]


def test_prompts_are_rendered_as_trl_renders_them(trainer) -> None:
    prompts = _group(trainer)
    assert render_prompt_ids(prompts, trainer) == trainer._tokenize_prompts(prompts)[0]


def test_a_rollout_returns_what_trl_needs(trainer) -> None:
    prompts = _group(trainer)
    trainer.model.train()
    out = DecodeRollout()(prompts, trainer)
    assert trainer.model.training  # sampled in eval mode, handed back in training mode
    assert len(out["prompt_ids"]) == len(out["completion_ids"]) == len(out["logprobs"]) == len(prompts)
    eos = set(trainer.eos_token_ids)
    for ids, lps in zip(out["completion_ids"], out["logprobs"], strict=True):
        assert 1 <= len(ids) <= trainer.max_completion_length and len(lps) == len(ids)
        assert all(t not in eos for t in ids[:-1])  # an EOS only ever ends a completion, and is kept
        assert all(lp <= 0 for lp in lps)
    group = out["completion_ids"][:4]
    assert len({tuple(c) for c in group}) > 1  # the copies of one prompt draw different samples


def test_rollouts_are_seeded_by_run_seed_and_step(trainer) -> None:
    prompts = _group(trainer)
    first = DecodeRollout()(prompts, trainer)["completion_ids"]
    again = DecodeRollout()(prompts, trainer)["completion_ids"]
    assert first == again
    rollout = DecodeRollout()
    rollout(prompts, trainer)
    second_call = rollout(prompts, trainer)["completion_ids"]  # a second rollout at the same step draws anew
    assert second_call != first
    trainer.state.global_step += 1
    try:
        assert DecodeRollout()(prompts, trainer)["completion_ids"] != first
    finally:
        trainer.state.global_step -= 1


def test_sampling_logprobs_are_the_ones_trl_computes(trainer) -> None:
    """TRL's loss reads per-token log-probs of the completion at the sampling temperature: the rollout's
    log-probs of the tokens it drew are those."""
    prompts = _group(trainer)
    out = DecodeRollout()(prompts, trainer)
    pad = trainer.processing_class.pad_token_id
    rows = [p + c for p, c in zip(out["prompt_ids"], out["completion_ids"], strict=True)]
    width = max(len(c) for c in out["completion_ids"])
    rows = [r + [pad] * (width - len(c)) for r, c in zip(rows, out["completion_ids"], strict=True)]
    ids, mask = left_pad(rows, pad, "cpu")
    for i, c in enumerate(out["completion_ids"]):
        mask[i, mask.shape[1] - (width - len(c)):] = 0
    trainer.model.eval()
    with torch.no_grad():
        logps, _, _ = trainer._get_per_token_logps_and_entropies(trainer.model, ids, mask, width)
    for i, lps in enumerate(out["logprobs"]):
        assert logps[i, :len(lps)].tolist() == pytest.approx(lps, rel=1e-3, abs=1e-3)  # cache vs full pass


@pytest.mark.slow
def test_a_grpo_step_trains_on_rollout_completions(trainer) -> None:
    trainer.train()
    assert trainer.state.global_step == 1
    logged = [h for h in trainer.state.log_history if "completions/mean_length" in h]
    assert logged and 1 <= logged[-1]["completions/mean_length"] <= trainer.max_completion_length


def test_trl_sampling_settings_the_loop_does_not_apply_are_refused(trainer, monkeypatch) -> None:
    from r1safe.errors import ConfigError

    monkeypatch.setattr(trainer, "top_k", 5)
    with pytest.raises(ConfigError, match=r"top_k.*rollout: trl"):
        DecodeRollout()(_group(trainer), trainer)
