"""The transformers backend: batched sampling with a KV cache, on CPU or one GPU.

Prompts are rendered with the tokenizer's chat template (the assistant turn opened with
``<think>\\n``), sorted by token length and cut into batches of about ``batch_size`` sequences;
each batch is left-padded, prefilled once per prompt, and its cache repeated ``n`` times. The
decode loop is ours (:mod:`r1safe.backends.decoding`), not ``generate()``: every sequence draws
from its own seeded stream (seeded by the run seed, the prompt and the sample index), so a reply
does not depend on the batch it landed in, and a resumed run samples what the uninterrupted one
would have. Finished sequences leave the batch. This module knows nothing about judges or run
directories.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from r1safe.backends.base import (
    THINK_OPENER,
    Batch,
    Completion,
    GenerationParams,
    Messages,
    collect,
    sample_seed,
    with_opener,
)


class TransformersBackend:
    """Sample R1-style replies from a local or hub causal LM with transformers."""

    name = "transformers"

    def __init__(self, model: str, batch_size: int = 32, device: str | None = None,
                 dtype: str = "float32") -> None:
        from r1safe.backends.loading import load_causal_lm

        self.tokenizer, self.model, self.source = load_causal_lm(model, device=device, dtype=dtype)
        self.batch_size = max(1, batch_size)
        self._setup()

    @classmethod
    def from_model(cls, model: Any, tokenizer: Any, batch_size: int = 32) -> TransformersBackend:
        """Wrap a model already in memory (training's rejection sampling uses this)."""
        from r1safe.backends.loading import prepare_tokenizer

        self = cls.__new__(cls)
        self.tokenizer, self.model, self.source = prepare_tokenizer(tokenizer), model, "<in memory>"
        self.batch_size = max(1, batch_size)
        self._setup()
        return self

    def _setup(self) -> None:
        params = inspect.signature(self.model.forward).parameters
        self._cache_kw = "cache" if "cache" in params else "past_key_values"
        self._keep_kw = "logits_to_keep" in params
        eos: set[int] = set()
        config_eos = getattr(self.model.generation_config, "eos_token_id", None)
        for source in (self.tokenizer.eos_token_id, config_eos):
            if source is not None:
                eos.update(source if isinstance(source, list) else [source])
        self.eos_ids = eos

    # -- prompts --------------------------------------------------------------------------------
    def render(self, messages: Messages, force_think: bool = True) -> str:
        """The chat-template text for one prompt, ending with ``<think>\\n`` when forced."""
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        if force_think and not text.endswith(THINK_OPENER):
            text = text + ("\n" if text.endswith("<think>") else THINK_OPENER)
        return text

    def generate(self, prompts: list[Messages], params: GenerationParams) -> list[list[Completion]]:
        """``params.n`` completions per prompt, in prompt order (see the module doc)."""
        return collect(self.generate_iter(prompts, params), len(prompts))

    def generate_iter(self, prompts: list[Messages], params: GenerationParams) -> Iterator[Batch]:
        """Yield (prompt indices, completions) per batch, shortest-first groups of similar length."""
        texts = [self.render(p, params.force_think) for p in prompts]
        lengths = [len(ids) for ids in self.tokenizer(texts, add_special_tokens=False)["input_ids"]]
        order = sorted(range(len(texts)), key=lambda i: (-lengths[i], i))
        per_batch = max(1, self.batch_size // params.n)
        for start in range(0, len(order), per_batch):
            idx = order[start:start + per_batch]
            yield idx, self._generate_batch([texts[i] for i in idx], params)

    # -- decoding -------------------------------------------------------------------------------
    def _forward(self, **kwargs: Any) -> tuple[Any, Any]:
        cache = kwargs.pop("cache", None)
        if cache is not None:
            kwargs[self._cache_kw] = cache
        out = self.model(use_cache=True, **kwargs)
        cache = getattr(out, "cache", None)
        return out.logits[:, -1].float(), out.past_key_values if cache is None else cache

    def _generate_batch(self, texts: list[str], params: GenerationParams) -> list[list[Completion]]:
        import torch

        with torch.inference_mode():
            return self._decode(texts, params)

    def _decode(self, texts: list[str], params: GenerationParams) -> list[list[Completion]]:
        from r1safe.backends.decoding import decode

        n = params.n
        enc = self.tokenizer(texts, add_special_tokens=False, padding=True, return_tensors="pt")
        seeds = [sample_seed(params.seed, texts[r // n], r % n) for r in range(len(texts) * n)]
        out = decode(self.model, enc["input_ids"].to(self.model.device), enc["attention_mask"].to(self.model.device),
                     seeds, max_new_tokens=params.max_new_tokens, temperature=params.temperature, top_p=params.top_p,
                     eos_ids=self.eos_ids, repeats=n)
        decoded = self.tokenizer.batch_decode(out.tokens, skip_special_tokens=True)
        replies: list[list[Completion]] = [[] for _ in texts]
        for r, (tokens, stop) in enumerate(zip(out.tokens, out.stops, strict=True)):
            opened = texts[r // n].endswith(THINK_OPENER)
            ended = [] if stop is None else [stop]
            replies[r // n].append(Completion(
                text=with_opener(decoded[r], opened), finish_reason="length" if stop is None else "stop",
                completion_tokens=len(tokens) + len(ended), token_ids=tokens + ended))
        return replies


def _sample(logits: Any, u: Any, temperature: float, top_p: float) -> Any:
    """One token per row (:func:`r1safe.backends.decoding.sample_tokens`), for callers that draw one at a time."""
    from r1safe.backends.decoding import sample_tokens

    return sample_tokens(logits, u, temperature, top_p)


def make(**params: Any) -> TransformersBackend:
    """Build the backend (``BACKENDS.create("transformers", ...)`` calls this)."""
    return TransformersBackend(**params)
