"""GRPO's completions sampled by r1safe's decode loop instead of ``generate()``, through TRL's ``rollout_func``.

TRL's GRPOTrainer calls ``rollout_func(prompts, trainer)`` with the step's prompts (each already
repeated once per generation of its group) and keeps everything else its own: rewards,
advantages, the loss. :class:`DecodeRollout` renders the prompts as TRL would (the tokenizer's
chat template with the generation prompt, TRL's ``chat_template_kwargs``), samples them with
:func:`r1safe.backends.decoding.decode` at the trainer's temperature and top-p (the distribution
TRL's ``generate`` samples from), and hands back prompt ids, completion ids (the EOS token kept,
as TRL keeps it) and each sampled token's log-probability. The policy samples in eval mode
without gradients and is put back in the mode it was in.

Each completion draws from its own seeded stream, named by the run seed, the step, the prompt
and its place in the group, so a run samples the same completions every time, and a run resumed
from a checkpoint samples what the uninterrupted one would have.
"""

from __future__ import annotations

from typing import Any

from r1safe.backends.base import sample_seed
from r1safe.errors import ConfigError


class DecodeRollout:
    """A TRL ``rollout_func`` that samples through :func:`r1safe.backends.decoding.decode`."""

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size
        self.calls: dict[int, int] = {}  # rollouts made at each global step (several when a step needs several)

    def __call__(self, prompts: list[Any], trainer: Any) -> dict[str, Any]:
        import torch

        from r1safe.backends.decoding import decode

        check_sampling(trainer)
        tokenizer = trainer.processing_class
        prompt_ids = render_prompt_ids(prompts, trainer)
        step = int(trainer.state.global_step)
        call = self.calls.get(step, 0)
        self.calls[step] = call + 1
        seen: dict[tuple[int, ...], int] = {}
        seeds = []
        for ids in prompt_ids:  # the k-th copy of a prompt in this rollout draws sample k
            key = tuple(ids)
            seeds.append(sample_seed(int(trainer.args.seed), f"{step}\x1f{call}\x1f{key}", seen.get(key, 0)))
            seen[key] = seen.get(key, 0) + 1
        model = trainer.accelerator.unwrap_model(trainer.model)
        eos = set(getattr(trainer, "eos_token_ids", None) or [tokenizer.eos_token_id])
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else min(eos)
        completions: list[list[int]] = []
        logprobs: list[list[float]] = []
        was_training = model.training
        model.eval()
        try:
            with torch.inference_mode():
                for start in range(0, len(prompt_ids), self.batch_size):
                    chunk = prompt_ids[start:start + self.batch_size]
                    ids, mask = left_pad(chunk, pad, model.device)
                    out = decode(model, ids, mask, seeds[start:start + self.batch_size],
                                 max_new_tokens=trainer.max_completion_length, temperature=trainer.temperature,
                                 top_p=trainer.top_p, eos_ids=eos, logprobs=True)
                    assert out.logprobs is not None
                    for tokens, stop, lps in zip(out.tokens, out.stops, out.logprobs, strict=True):
                        completions.append(tokens + ([] if stop is None else [stop]))
                        logprobs.append(lps)
        finally:
            model.train(was_training)
        return {"prompt_ids": prompt_ids, "completion_ids": completions, "logprobs": logprobs}


def check_sampling(trainer: Any) -> None:
    """The decode loop samples temperature and top-p only: other sampling settings are a config error."""
    extra = {"top_k": (getattr(trainer, "top_k", 0) or 0, 0), "min_p": (getattr(trainer, "min_p", None), None),
             "repetition_penalty": (getattr(trainer, "repetition_penalty", 1.0), 1.0)}
    changed = [name for name, (value, default) in extra.items() if value != default]
    if changed or trainer.args.generation_kwargs:
        what = ", ".join(changed) or "generation_kwargs"
        raise ConfigError(f"grpo: {what} is set, which r1safe's sampler does not apply; set rollout: trl")


def render_prompt_ids(prompts: list[Any], trainer: Any) -> list[list[int]]:
    """The prompts' token ids as TRL renders them for generation (chat template with the generation prompt)."""
    tokenizer = trainer.processing_class
    if prompts and isinstance(prompts[0], list):
        rendered = tokenizer.apply_chat_template(
            conversation=prompts, add_generation_prompt=True, tokenize=True, return_dict=True,
            **(trainer.chat_template_kwargs or {}))
        return [list(ids) for ids in rendered["input_ids"]]
    return [list(ids) for ids in tokenizer(text=prompts)["input_ids"]]


def left_pad(rows: list[list[int]], pad: int, device: Any) -> tuple[Any, Any]:
    """(ids, attention mask) of ``rows`` left-padded to one length."""
    import torch

    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, width - len(r):] = torch.tensor(r, dtype=torch.long)
        mask[i, width - len(r):] = 1
    return ids.to(device), mask.to(device)

