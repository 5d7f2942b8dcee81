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

from collections.abc import Callable, Iterator
from typing import Any

from r1safe.backends.base import (
    THINK_OPENER,
    Batch,
    Completion,
    GenerationParams,
    Messages,
    StreamStep,
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
        eos: set[int] = set()
        config_eos = getattr(self.model.generation_config, "eos_token_id", None)
        for source in (self.tokenizer.eos_token_id, config_eos):
            if source is not None:
                eos.update(source if isinstance(source, list) else [source])
        self.eos_ids = eos

    # -- prompts --------------------------------------------------------------------------------
    def render(self, messages: Messages, force_think: bool = True) -> str:
        """The chat-template text for one prompt, ending with ``<think>\\n`` when forced."""
        text = str(self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
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

    # -- streaming: one reply, token by token (the guard's stream mode) -------------------------
    def prompt_tokens(self, prompts: list[Messages], force_think: bool = True) -> list[int]:
        """Each prompt's length in tokens as rendered for generation (a reply's ``usage.prompt_tokens``)."""
        texts = [self.render(p, force_think) for p in prompts]
        return [len(ids) for ids in self.tokenizer(texts, add_special_tokens=False)["input_ids"]]

    def stream(self, messages: Messages, params: GenerationParams,
               should_stop: Callable[[], bool] | None = None) -> Iterator[StreamStep]:
        """Sample one reply and yield its text as each token is decoded; the last step carries
        the finish reason. The reply is the one :meth:`generate` samples for this prompt alone
        with ``n=1``: the same decode loop (:func:`~r1safe.backends.decoding.decode_steps`) on the
        same seeded stream; ``should_stop`` ends it early (client gone)."""
        import torch

        from r1safe.backends.decoding import decode_steps

        text = self.render(messages, params.force_think)
        device = self.model.device
        ids = self.tokenizer([text], add_special_tokens=False, return_tensors="pt")["input_ids"].to(device)
        steps = decode_steps(self.model, ids, torch.ones_like(ids), [sample_seed(params.seed, text, 0)],
                             max_new_tokens=params.max_new_tokens, temperature=params.temperature,
                             top_p=params.top_p, eos_ids=self.eos_ids)
        text_out = _Detokenizer(self.tokenizer, opener=THINK_OPENER if text.endswith(THINK_OPENER) else "")
        tokens: list[int] = []
        finish = "length"
        while True:
            with torch.inference_mode():  # only while a step runs: the caller's code between steps keeps its mode
                step = next(steps, None)
            if step is None:
                break
            (token,) = step.tokens
            if token in self.eos_ids:
                finish = "stop"
                break
            tokens.append(token)
            piece = text_out.add(token)
            if piece:
                yield StreamStep(piece)
            if should_stop is not None and should_stop():
                break
        yield StreamStep(text_out.flush(), finish, len(tokens) + (finish == "stop"), ids.shape[1])


class _Detokenizer:
    """Text deltas of a growing token list, decoded in context (a token's leading space and
    multi-byte characters split over tokens come out right) at constant cost per token; the
    forced ``<think>\n`` opener goes first unless the reply writes ``<think>`` itself, as
    :func:`~r1safe.backends.base.with_opener` does for a whole reply."""

    def __init__(self, tokenizer: Any, opener: str = "") -> None:
        self.tokenizer = tokenizer
        self.opener: str | None = opener or None
        self.tokens: list[int] = []
        self.prefix = self.read = 0
        self.held = ""  # text kept back while it may still turn out to open with <think>

    def _decode(self, tokens: list[int]) -> str:
        return str(self.tokenizer.decode(tokens, skip_special_tokens=True))

    def add(self, token: int) -> str:
        self.tokens.append(token)
        before = self._decode(self.tokens[self.prefix:self.read])
        now = self._decode(self.tokens[self.prefix:])
        if len(now) <= len(before) or now.endswith("\ufffd"):
            return ""
        self.prefix, self.read = self.read, len(self.tokens)
        return self._released(now[len(before):])

    def _released(self, piece: str) -> str:
        if self.opener is None:
            return piece
        self.held += piece
        start = self.held.lstrip()
        if len(start) < len("<think>") and "<think>".startswith(start):
            return ""
        out = self.held if start.startswith("<think>") else self.opener + self.held
        self.opener, self.held = None, ""
        return out

    def flush(self) -> str:
        rest = self._decode(self.tokens[self.prefix:])[len(self._decode(self.tokens[self.prefix:self.read])):]
        if self.opener is None:
            return rest
        out = self.held + rest
        out = out if out.lstrip().startswith("<think>") else self.opener + out
        self.opener = None
        return out


def make(**params: Any) -> TransformersBackend:
    """Build the backend (``BACKENDS.create("transformers", ...)`` calls this)."""
    return TransformersBackend(**params)
