"""The transformers backend: batched sampling with a KV cache, on CPU or one GPU.

Prompts are rendered with the tokenizer's chat template (the assistant turn opened with
``<think>\\n``), sorted by token length and cut into batches of about ``batch_size`` sequences;
each batch is left-padded, prefilled once per prompt, and its cache repeated ``n`` times. The
decode loop is ours, not ``generate()``: every sequence draws from its own seeded stream
(seeded by the run seed, the prompt and the sample index), so a reply does not depend on the
batch it landed in, and a resumed run samples what the uninterrupted one would have. Finished
sequences leave the batch. This module knows nothing about judges or run directories.
"""

from __future__ import annotations

import inspect
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
        import torch

        device = self.model.device
        n, max_new = params.n, params.max_new_tokens
        enc = self.tokenizer(texts, add_special_tokens=False, padding=True, return_tensors="pt")
        ids, mask = enc["input_ids"].to(device), enc["attention_mask"].to(device)
        window = getattr(self.model.config, "max_position_embeddings", None)
        if window:  # never decode past the model's context: the reply ends there, as cut ("length")
            max_new = max(1, min(max_new, window - ids.shape[1]))
        pos = (mask.cumsum(-1) - 1).clamp(min=0)
        extra = {"logits_to_keep": 1} if self._keep_kw else {}
        logits, cache = self._forward(input_ids=ids, attention_mask=mask, position_ids=pos, **extra)
        cache.batch_repeat_interleave(n)
        logits = logits.repeat_interleave(n, 0)
        mask, last = mask.repeat_interleave(n, 0), pos[:, -1:].repeat_interleave(n, 0)
        rows = len(texts) * n
        seeds = [sample_seed(params.seed, texts[r // n], r % n) for r in range(rows)]
        streams = [torch.Generator().manual_seed(s) for s in seeds]
        uniforms = torch.stack([torch.rand(max_new, generator=g) for g in streams])
        uniforms = uniforms.to(device)
        alive = torch.arange(rows, device=device)
        tokens: list[list[int]] = [[] for _ in range(rows)]
        finish = ["length"] * rows
        stop_ids: list[list[int]] = [[] for _ in range(rows)]
        for step in range(max_new):
            nxt = _sample(logits, uniforms[alive, step], params.temperature, params.top_p)
            keep: list[int] = []
            for j, (r, t) in enumerate(zip(alive.tolist(), nxt.tolist(), strict=True)):
                if t in self.eos_ids:
                    finish[r] = "stop"
                    stop_ids[r] = [t]
                else:
                    tokens[r].append(t)
                    keep.append(j)
            if not keep or step == max_new - 1:
                break
            if len(keep) < len(alive):
                sel = torch.tensor(keep, device=device)
                cache.batch_select_indices(sel)
                alive, mask, last, nxt = alive[sel], mask[sel], last[sel], nxt[sel]
            mask = torch.cat([mask, mask.new_ones((len(alive), 1))], dim=1)
            last = last + 1
            logits, cache = self._forward(input_ids=nxt[:, None], attention_mask=mask, position_ids=last,
                                          cache=cache)
        decoded = self.tokenizer.batch_decode(tokens, skip_special_tokens=True)
        out: list[list[Completion]] = [[] for _ in texts]
        for r in range(rows):
            opened = texts[r // n].endswith(THINK_OPENER)
            out[r // n].append(Completion(text=with_opener(decoded[r], opened), finish_reason=finish[r],
                                          completion_tokens=len(tokens[r]) + (finish[r] == "stop"),
                                          token_ids=tokens[r] + stop_ids[r]))
        return out


    # -- streaming: one reply, token by token (the guard's stream mode) -------------------------
    def prompt_tokens(self, prompts: list[Messages], force_think: bool = True) -> list[int]:
        """Each prompt's length in tokens as rendered for generation (a reply's ``usage.prompt_tokens``)."""
        texts = [self.render(p, force_think) for p in prompts]
        return [len(ids) for ids in self.tokenizer(texts, add_special_tokens=False)["input_ids"]]

    def stream(self, messages: Messages, params: GenerationParams,
               should_stop: Callable[[], bool] | None = None) -> Iterator[StreamStep]:
        """Sample one reply and yield its text as each token is decoded; the last step carries
        the finish reason. The reply is the one :meth:`generate` samples for this prompt alone
        with ``n=1`` (the same seeded stream); ``should_stop`` ends it early (client gone)."""
        import torch

        text = self.render(messages, params.force_think)
        device = self.model.device
        ids = self.tokenizer([text], add_special_tokens=False, return_tensors="pt")["input_ids"].to(device)
        prompt_len = ids.shape[1]
        max_new = params.max_new_tokens
        window = getattr(self.model.config, "max_position_embeddings", None)
        if window:
            max_new = max(1, min(max_new, window - prompt_len))
        uniforms = torch.rand(max_new, generator=torch.Generator().manual_seed(sample_seed(params.seed, text, 0)))
        extra = {"logits_to_keep": 1} if self._keep_kw else {}
        mask = torch.ones_like(ids)
        with torch.inference_mode():
            logits, cache = self._forward(input_ids=ids, attention_mask=mask, **extra)
        text_out = _Detokenizer(self.tokenizer, opener=THINK_OPENER if text.endswith(THINK_OPENER) else "")
        tokens: list[int] = []
        finish = "length"
        for step in range(max_new):
            nxt = _sample(logits, uniforms[step:step + 1].to(device), params.temperature, params.top_p)
            token = int(nxt.item())
            if token in self.eos_ids:
                finish = "stop"
                break
            tokens.append(token)
            piece = text_out.add(token)
            if piece:
                yield StreamStep(piece)
            if step == max_new - 1 or (should_stop is not None and should_stop()):
                break
            mask = torch.cat([mask, mask.new_ones((1, 1))], dim=1)
            with torch.inference_mode():
                logits, cache = self._forward(input_ids=nxt[:, None], attention_mask=mask,
                                              position_ids=torch.tensor([[prompt_len + step]], device=device),
                                              cache=cache)
        yield StreamStep(text_out.flush(), finish, len(tokens) + (finish == "stop"), prompt_len)


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
        return self.tokenizer.decode(tokens, skip_special_tokens=True)

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


_TOP_K = 64


def _sample(logits: Any, u: Any, temperature: float, top_p: float) -> Any:
    """One token per row: greedy at temperature 0, else nucleus sampling by inverse CDF on ``u``."""
    import torch

    if temperature <= 0:
        return logits.argmax(-1)
    probs = torch.softmax(logits / temperature, dim=-1)
    sorted_p, order = None, None
    if top_p < 1.0 and probs.shape[-1] > _TOP_K:
        # The nucleus is almost always a few tokens: sort only the top ones when they hold it
        # for every row (exactly the same nucleus as a full sort), else sort everything.
        sorted_p, order = probs.topk(_TOP_K, dim=-1)
        if bool((sorted_p.sum(-1) <= top_p).any()):
            sorted_p, order = None, None
    if sorted_p is None or order is None:
        sorted_p, order = probs.sort(dim=-1, descending=True)
    if top_p < 1.0:
        sorted_p = sorted_p.masked_fill(sorted_p.cumsum(-1) - sorted_p > top_p, 0.0)
    cdf = sorted_p.cumsum(-1)
    pick = torch.searchsorted(cdf, (u * cdf[:, -1]).unsqueeze(-1)).clamp(max=cdf.shape[-1] - 1)
    return order.gather(-1, pick).squeeze(-1)


def make(**params: Any) -> TransformersBackend:
    """Build the backend (``BACKENDS.create("transformers", ...)`` calls this)."""
    return TransformersBackend(**params)
