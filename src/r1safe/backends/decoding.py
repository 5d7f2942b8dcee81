"""The decode loop every local sampler shares: prefill once, then one token per step, cheaply.

:func:`decode_steps` runs a left-padded batch of prompts through a causal LM and yields, step by
step, the token each live row drew; :func:`decode` collects them. The model's own forward prefills
the prompts. Each later step goes through a lean path when the model is a plain Llama-family
decoder (Llama, Qwen2, Mistral without a sliding window: the gym's tiny model, SmolLM2,
DeepSeek-R1-Distill-Qwen): a preallocated KV cache, the layers' weights read directly and a
handful of tensor operations per layer, where transformers' forward spends most of a small
model's step in per-call overhead (cache objects, mask building, module hooks). The lean step is
checked once per model against the model's own forward; any other model decodes through its own
forward, as before.

Sampling is temperature then top-p, the semantics of transformers' ``TemperatureLogitsWarper``
and ``TopPLogitsWarper``, drawn by inverse CDF from one uniform per row and step taken from the
row's own seeded stream: a reply depends on its seed, not on the batch it shares. Finished rows
leave the batch.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F


class Step(NamedTuple):
    """One decode step: the rows that drew a token, the token each drew (an EOS id ends the row) and,
    when asked for, its log-probability at the sampling temperature (before top-p)."""

    rows: list[int]
    tokens: list[int]
    logprobs: list[float] | None


@dataclass
class Decoded:
    """Every row's sampled tokens (EOS excluded), the EOS id that ended it (None: cut at the length
    limit) and, when asked for, each sampled token's log-probability (EOS included)."""

    tokens: list[list[int]]
    stops: list[int | None]
    logprobs: list[list[float]] | None


def decode(model: Any, input_ids: Any, attention_mask: Any, seeds: Sequence[int], *, max_new_tokens: int,
           temperature: float, top_p: float, eos_ids: set[int], repeats: int = 1,
           logprobs: bool = False, lean: bool = True) -> Decoded:
    """Sample up to ``max_new_tokens`` per row (see :func:`decode_steps`) and collect them."""
    rows = len(seeds)
    tokens: list[list[int]] = [[] for _ in range(rows)]
    stops: list[int | None] = [None] * rows
    lps: list[list[float]] | None = [[] for _ in range(rows)] if logprobs else None
    for step in decode_steps(model, input_ids, attention_mask, seeds, max_new_tokens=max_new_tokens,
                             temperature=temperature, top_p=top_p, eos_ids=eos_ids, repeats=repeats,
                             logprobs=logprobs, lean=lean):
        for j, (r, t) in enumerate(zip(step.rows, step.tokens, strict=True)):
            if t in eos_ids:
                stops[r] = t
            else:
                tokens[r].append(t)
            if lps is not None and step.logprobs is not None:
                lps[r].append(step.logprobs[j])
    return Decoded(tokens, stops, lps)


def decode_steps(model: Any, input_ids: Any, attention_mask: Any, seeds: Sequence[int], *, max_new_tokens: int,
                 temperature: float, top_p: float, eos_ids: set[int], repeats: int = 1,
                 logprobs: bool = False, lean: bool = True) -> Iterator[Step]:
    """Yield each step's draws for ``input_ids`` (left-padded, one row per prompt), ``repeats`` rows
    per prompt (row ``r`` continues prompt ``r // repeats``), row ``r`` drawing from ``seeds[r]``.

    Call it under ``torch.inference_mode()`` (or ``no_grad``) with the model in eval mode. A row ends
    at its first EOS (which it yields) or after ``max_new_tokens`` draws, whichever comes first; the
    model's context window caps ``max_new_tokens``. ``lean=False`` steps through the model's own
    forward even where the lean path applies (benchmarks and tests compare the two).
    """
    device = input_ids.device
    rows = input_ids.shape[0] * repeats
    if len(seeds) != rows:
        raise ValueError(f"decode_steps: {len(seeds)} seeds for {rows} rows")
    window = getattr(model.config, "max_position_embeddings", None)
    if window:  # never decode past the model's context: the reply ends there, as cut
        max_new_tokens = max(1, min(max_new_tokens, window - input_ids.shape[1]))
    uniforms = torch.stack([torch.rand(max_new_tokens, generator=torch.Generator().manual_seed(s))
                            for s in seeds]).to(device)
    stepper: Any = (_LeanStepper(model, input_ids, attention_mask, repeats, max_new_tokens)
                    if lean and lean_supported(model) else _ModelStepper(model, input_ids, attention_mask, repeats))
    logits = stepper.prefill()
    eos = torch.tensor(sorted(eos_ids), device=device, dtype=torch.long)
    alive = torch.arange(rows, device=device)  # the original row of each live batch row
    done = torch.zeros(rows, dtype=torch.bool, device=device)  # rows finished but still in the batch
    for step in range(max_new_tokens):
        live = ~done
        ids = alive if bool(live.all()) else alive[live]
        nxt = sample_tokens(logits, uniforms[alive, step], temperature, top_p)
        lp = _token_logprobs(logits, nxt, temperature) if logprobs else None
        if bool(live.all()):
            yield Step(alive.tolist(), nxt.tolist(), None if lp is None else lp.tolist())
        else:
            yield Step(ids.tolist(), nxt[live].tolist(), None if lp is None else lp[live].tolist())
        done = done | torch.isin(nxt, eos)
        if bool(done.all()) or step == max_new_tokens - 1:
            return
        if stepper.should_compact(int(done.sum())):
            keep = (~done).nonzero().squeeze(-1)
            stepper.select(keep)
            alive, nxt, done = alive[keep], nxt[keep], done[keep]
        logits = stepper.step(nxt)


def sample_tokens(logits: Any, u: Any, temperature: float, top_p: float) -> Any:
    """One token per row: greedy at temperature 0, else nucleus sampling by inverse CDF on ``u``.

    The nucleus is read off the tokens in descending probability; without a nucleus (``top_p`` 1)
    the CDF runs over the vocabulary in its own order, which draws from the same distribution
    without sorting it.
    """
    if temperature <= 0:
        return logits.argmax(-1)
    probs = torch.softmax(logits / temperature, dim=-1)
    if top_p >= 1.0:
        cdf = probs.cumsum(-1)
        return torch.searchsorted(cdf, (u * cdf[:, -1]).unsqueeze(-1)).clamp(max=cdf.shape[-1] - 1).squeeze(-1)
    sorted_p, order = None, None
    if probs.shape[-1] > TOP_K:
        # The nucleus is almost always a few tokens: sort only the top ones when they hold it
        # for every row (exactly the same nucleus as a full sort), else sort everything.
        sorted_p, order = probs.topk(TOP_K, dim=-1)
        if bool((sorted_p.sum(-1) <= top_p).any()):
            sorted_p, order = None, None
    if sorted_p is None or order is None:
        sorted_p, order = probs.sort(dim=-1, descending=True)
    sorted_p = sorted_p.masked_fill(sorted_p.cumsum(-1) - sorted_p > top_p, 0.0)
    cdf = sorted_p.cumsum(-1)
    pick = torch.searchsorted(cdf, (u * cdf[:, -1]).unsqueeze(-1)).clamp(max=cdf.shape[-1] - 1)
    return order.gather(-1, pick).squeeze(-1)


TOP_K = 64


def _token_logprobs(logits: Any, tokens: Any, temperature: float) -> Any:
    scaled = logits / temperature if temperature > 0 else logits
    return torch.log_softmax(scaled, dim=-1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)


# -- steppers: the model's own forward, or the lean path ----------------------------------------------

class _ModelStepper:
    """Steps through the model's own forward and its dynamic cache (any causal LM)."""

    def __init__(self, model: Any, input_ids: Any, attention_mask: Any, repeats: int) -> None:
        self.model, self.ids, self.mask, self.repeats = model, input_ids, attention_mask, repeats
        params = inspect.signature(model.forward).parameters
        self.cache_kw = "cache" if "cache" in params else "past_key_values"
        self.extra = {"logits_to_keep": 1} if "logits_to_keep" in params else {}
        self.cache: Any = None

    def forward(self, **kwargs: Any) -> Any:
        cache = kwargs.pop("cache", None)
        if cache is not None:
            kwargs[self.cache_kw] = cache
        out = self.model(use_cache=True, **kwargs)
        cache = getattr(out, "cache", None)
        self.cache = out.past_key_values if cache is None else cache
        return out.logits[:, -1].float()

    def prefill(self) -> Any:
        pos = (self.mask.cumsum(-1) - 1).clamp(min=0)
        logits = self.forward(input_ids=self.ids, attention_mask=self.mask, position_ids=pos, **self.extra)
        self.cache.batch_repeat_interleave(self.repeats)
        self.mask = self.mask.repeat_interleave(self.repeats, 0)
        self.last = pos[:, -1:].repeat_interleave(self.repeats, 0)
        return logits.repeat_interleave(self.repeats, 0)

    def should_compact(self, finished: int) -> bool:
        return finished > 0

    def select(self, keep: Any) -> None:
        self.cache.batch_select_indices(keep)
        self.mask, self.last = self.mask[keep], self.last[keep]

    def step(self, tokens: Any) -> Any:
        self.mask = torch.cat([self.mask, self.mask.new_ones((len(tokens), 1))], 1)
        self.last = self.last + 1
        return self.forward(input_ids=tokens[:, None], attention_mask=self.mask, position_ids=self.last,
                            cache=self.cache)


_LEAN_ARCHITECTURES = ("LlamaForCausalLM", "Qwen2ForCausalLM", "MistralForCausalLM")
_LEAN_CHECKED: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def lean_supported(model: Any) -> bool:
    """Whether ``model`` decodes through the lean path: a plain Llama-family decoder whose lean step
    matched its own forward (checked on first use, once per model object)."""
    verdict = _LEAN_CHECKED.get(model)
    if verdict is None:
        verdict = _lean_shape_ok(model) and _lean_matches(model)
        _LEAN_CHECKED[model] = verdict
    return verdict


def _lean_shape_ok(model: Any) -> bool:
    cfg = getattr(model, "config", None)
    if type(model).__name__ not in _LEAN_ARCHITECTURES or cfg is None:
        return False
    rope = getattr(cfg, "rope_parameters", None) or getattr(cfg, "rope_scaling", None) or {}
    layer_types = getattr(cfg, "layer_types", None) or ["full_attention"]
    sliding = getattr(cfg, "use_sliding_window", False) or (
        type(model).__name__ == "MistralForCausalLM" and getattr(cfg, "sliding_window", None))
    rotary = getattr(getattr(model, "model", None), "rotary_emb", None)
    return (getattr(cfg, "hidden_act", None) == "silu" and rope.get("rope_type", "default") == "default"
            and all(t == "full_attention" for t in layer_types) and not sliding
            and getattr(cfg, "pretraining_tp", 1) == 1 and rotary is not None
            and float(getattr(rotary, "attention_scaling", 1.0)) == 1.0)


def _lean_matches(model: Any) -> bool:
    """Prefill a short prompt, then take two steps both ways: the lean logits must match the model's."""
    vocab = model.config.vocab_size
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(0, vocab, (2, 6), generator=gen).to(model.device)
    mask = torch.ones_like(ids)
    mask[1, :2] = 0
    nxt = torch.randint(0, vocab, (2, 2), generator=gen).to(model.device)
    try:
        with torch.inference_mode():
            ours, theirs = _LeanStepper(model, ids, mask, 1, 4), _ModelStepper(model, ids, mask, 1)
            ours.prefill(), theirs.prefill()
            for k in range(2):
                a, b = ours.step(nxt[:, k]), theirs.step(nxt[:, k])
                if not torch.allclose(a, b, rtol=1e-3, atol=1e-3 * float(b.abs().max()) + 1e-5):
                    return False
    except Exception:  # an unexpected layout: decode through the model's own forward
        return False
    return True


class _LeanStepper:
    """One-token steps of a Llama-family decoder on a preallocated cache.

    Each layer's cache holds (rows × KV heads) × (prompt + ``max_new``) positions (grown by doubling
    when a long generation needs more), left padding masked by an additive bias; every row writes
    the same column at each step. A small model's q|k|v and gate|up weights are fused into one
    matrix each (a copy: larger models read them apart), so a layer is about twenty tensor
    operations: RMSNorm, one projection, rotary embedding, the cache write, attention for the
    query heads that share each KV head, and the MLP, residuals folded into the matrix products.
    """

    FUSE_BELOW = 200_000_000  # parameters: fusing copies the projection weights

    def __init__(self, model: Any, input_ids: Any, attention_mask: Any, repeats: int, max_new: int) -> None:
        self.model, self.ids, self.mask, self.repeats = model, input_ids, attention_mask, repeats
        cfg = model.config
        self.n_heads, self.n_kv = cfg.num_attention_heads, cfg.num_key_value_heads
        self.head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // self.n_heads
        self.eps = cfg.rms_norm_eps
        self.capacity = input_ids.shape[1] + min(max_new, 512)
        self.cur = input_ids.shape[1]
        core = model.model
        fuse = sum(p.numel() for p in model.parameters()) < self.FUSE_BELOW
        self.layers = [_LayerWeights(layer, fuse) for layer in core.layers]
        self.embed, self.norm = core.embed_tokens.weight, core.norm.weight
        self.head, self.head_bias = model.lm_head.weight, getattr(model.lm_head, "bias", None)
        self.inv_freq = core.rotary_emb.inv_freq.to(device=input_ids.device, dtype=torch.float32)

    def _rotary_tables(self, dtype: Any) -> None:
        half = self.head_dim // 2
        freqs = torch.arange(self.capacity, device=self.inv_freq.device).float()[:, None] * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        sign = torch.ones(self.head_dim, device=emb.device)
        sign[:half] = -1.0
        self.cos, self.sin = emb.cos().to(dtype), (emb.sin() * sign).to(dtype)  # rotate_half's sign in sin

    # -- the cache ---------------------------------------------------------------------------------
    def prefill(self) -> Any:
        pos = (self.mask.cumsum(-1) - 1).clamp(min=0)
        out = self.model(input_ids=self.ids, attention_mask=self.mask, position_ids=pos, use_cache=True,
                         logits_to_keep=1)
        cache = getattr(out, "cache", None) or out.past_key_values
        rows, p, nkv = self.ids.shape[0] * self.repeats, self.ids.shape[1], self.n_kv
        self.dtype, device = out.logits.dtype, self.ids.device
        self.k: list[Any] = []
        self.v: list[Any] = []
        for k, v in _cache_layers(cache):
            for buf, src in ((self.k, k), (self.v, v)):
                full = torch.empty(rows * nkv, self.capacity, self.head_dim, dtype=self.dtype, device=device)
                full[:, :p] = src.repeat_interleave(self.repeats, 0).reshape(rows * nkv, p, self.head_dim)
                buf.append(full)
        mask = self.mask.repeat_interleave(self.repeats, 0).repeat_interleave(nkv, 0)
        self.bias = torch.zeros(rows * nkv, 1, self.capacity, dtype=self.dtype, device=device)
        self.bias[:, 0, :p].masked_fill_(mask == 0, float("-inf"))
        self.pos = pos[:, -1].repeat_interleave(self.repeats, 0)
        self.rows = rows
        self._rotary_tables(self.dtype)
        return out.logits[:, -1].float().repeat_interleave(self.repeats, 0)

    def should_compact(self, finished: int) -> bool:
        return bool(finished * 4 >= self.rows)

    def select(self, keep: Any) -> None:
        nkv, c = self.n_kv, self.cur
        idx = (keep[:, None] * nkv + torch.arange(nkv, device=keep.device)).flatten()
        for bufs in (self.k, self.v):
            for i, buf in enumerate(bufs):
                out = buf.new_empty(len(idx), *buf.shape[1:])
                out[:, :c] = buf[idx, :c]
                bufs[i] = out
        self.bias, self.pos, self.rows = self.bias[idx], self.pos[keep], len(keep)

    def _grow(self) -> None:
        more = self.capacity
        for bufs in (self.k, self.v):
            bufs[:] = [torch.cat([b, b.new_empty(b.shape[0], more, b.shape[2])], 1) for b in bufs]
        self.bias = torch.cat([self.bias, self.bias.new_zeros(self.bias.shape[0], 1, more)], 2)
        self.capacity += more
        self._rotary_tables(self.dtype)

    # -- one step ----------------------------------------------------------------------------------
    def step(self, tokens: Any) -> Any:
        if self.cur == self.capacity:
            self._grow()
        t, self.cur = self.cur, self.cur + 1
        self.pos = self.pos + 1
        rows, hd, nh, nkv = len(tokens), self.head_dim, self.n_heads, self.n_kv
        width, half = (nh + nkv) * hd, hd // 2
        cos, sin = self.cos[self.pos][:, None, :], self.sin[self.pos][:, None, :]
        bias = self.bias[:, :, :self.cur]
        x = F.embedding(tokens, self.embed)
        for i, w in enumerate(self.layers):
            h = F.rms_norm(x, (x.shape[-1],), w.in_norm, self.eps)
            qkv = w.qkv(h)
            qk = qkv[:, :width].view(rows, nh + nkv, hd)
            qk = torch.addcmul(qk * cos, qk.roll(half, -1), sin)
            self.k[i][:, t] = qk[:, nh:].reshape(rows * nkv, hd)
            self.v[i][:, t] = qkv[:, width:].reshape(rows * nkv, hd)
            q = qk[:, :nh].reshape(rows * nkv, nh // nkv, hd)
            scores = torch.baddbmm(bias, q, self.k[i][:, :self.cur].transpose(1, 2), alpha=w.scaling)
            probs = torch.softmax(scores, dim=-1) if scores.dtype == torch.float32 else \
                torch.softmax(scores, dim=-1, dtype=torch.float32).to(scores.dtype)
            x = w.o(torch.bmm(probs, self.v[i][:, :self.cur]).view(rows, nh * hd), x)
            h = F.rms_norm(x, (x.shape[-1],), w.post_norm, self.eps)
            gate_up = w.gate_up(h)
            x = w.down(F.silu(gate_up[:, :w.inter]) * gate_up[:, w.inter:], x)
        x = F.rms_norm(x, (x.shape[-1],), self.norm, self.eps)
        return F.linear(x, self.head, self.head_bias).float()


class _LayerWeights:
    """One decoder layer's weights as the lean step reads them."""

    def __init__(self, layer: Any, fuse: bool) -> None:
        attn, mlp = layer.self_attn, layer.mlp
        self.in_norm, self.post_norm = layer.input_layernorm.weight, layer.post_attention_layernorm.weight
        self.scaling, self.inter = attn.scaling, mlp.gate_proj.weight.shape[0]
        self.qkv = _Projection([attn.q_proj, attn.k_proj, attn.v_proj], fuse)
        self.gate_up = _Projection([mlp.gate_proj, mlp.up_proj], fuse)
        self.o_t, self.o_bias = attn.o_proj.weight.t(), attn.o_proj.bias
        self.down_t, self.down_bias = mlp.down_proj.weight.t(), mlp.down_proj.bias

    def o(self, h: Any, residual: Any) -> Any:
        return _residual_linear(h, self.o_t, self.o_bias, residual)

    def down(self, h: Any, residual: Any) -> Any:
        return _residual_linear(h, self.down_t, self.down_bias, residual)


class _Projection:
    """Several linear layers on one input, their outputs side by side (one matrix product when fused)."""

    def __init__(self, linears: list[Any], fuse: bool) -> None:
        self.linears = linears
        biases = [lin.bias for lin in linears]
        self.weight = torch.cat([lin.weight for lin in linears]) if fuse else None
        self.bias = None if not fuse or all(b is None for b in biases) else torch.cat(
            [b if b is not None else lin.weight.new_zeros(lin.weight.shape[0]) for b, lin in zip(biases, linears,
                                                                                                  strict=True)])

    def __call__(self, h: Any) -> Any:
        if self.weight is not None:
            return F.linear(h, self.weight, self.bias)
        return torch.cat([F.linear(h, lin.weight, lin.bias) for lin in self.linears], -1)


def _residual_linear(h: Any, weight_t: Any, bias: Any, residual: Any) -> Any:
    if bias is None:
        return torch.addmm(residual, h, weight_t)
    return residual + F.linear(h, weight_t.t(), bias)


def _cache_layers(cache: Any) -> list[tuple[Any, Any]]:
    layers = getattr(cache, "layers", None)
    if layers is not None:
        return [(layer.keys, layer.values) for layer in layers]
    return list(zip(cache.key_cache, cache.value_cache, strict=True))
