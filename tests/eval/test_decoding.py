"""The shared decode loop: the lean path matches the model, greedy matches ``generate()``, and sampling
draws from the distribution transformers' temperature and top-p warpers define."""

from __future__ import annotations

import pytest
import torch

from r1safe.backends import decoding
from r1safe.backends.decoding import decode, decode_steps, lean_supported, sample_tokens


@pytest.fixture(scope="module")
def lm(model_dir: str):
    from r1safe.backends.loading import load_causal_lm

    tokenizer, model, _ = load_causal_lm(model_dir)
    return tokenizer, model


def _every_prompt(world, tokenizer) -> list[str]:
    return [tokenizer.apply_chat_template(s.prompt, tokenize=False, add_generation_prompt=True)
            for split in world.splits.values() for s in split]


def _encode(tokenizer, texts):
    enc = tokenizer(texts, add_special_tokens=False, padding=True, return_tensors="pt")
    return enc["input_ids"], enc["attention_mask"]


def test_the_micro_model_takes_the_lean_path(lm) -> None:
    assert lean_supported(lm[1])


def test_greedy_replies_are_generates_on_every_gym_prompt(lm, world) -> None:
    tokenizer, model = lm
    texts = _every_prompt(world, tokenizer)
    ids, mask = _encode(tokenizer, texts)
    eos = tokenizer.eos_token_id
    with torch.inference_mode():
        ours = decode(model, ids, mask, list(range(len(texts))), max_new_tokens=48, temperature=0.0, top_p=1.0,
                      eos_ids={eos})
        theirs = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=48, do_sample=False,
                                eos_token_id=eos, pad_token_id=tokenizer.pad_token_id)
    new = theirs[:, ids.shape[1]:].tolist()
    for row, (tokens, stop) in enumerate(zip(ours.tokens, ours.stops, strict=True)):
        expected = new[row][:new[row].index(eos) + 1] if eos in new[row] else new[row]
        assert tokens + ([] if stop is None else [stop]) == expected, texts[row]


def test_lean_and_model_forward_sample_the_same_replies(lm, world) -> None:
    tokenizer, model = lm
    texts = _every_prompt(world, tokenizer)[:24]
    ids, mask = _encode(tokenizer, texts)
    kw = dict(max_new_tokens=40, temperature=0.8, top_p=0.95, eos_ids={tokenizer.eos_token_id}, repeats=2,
              logprobs=True)
    with torch.inference_mode():
        lean = decode(model, ids, mask, list(range(48)), lean=True, **kw)
        plain = decode(model, ids, mask, list(range(48)), lean=False, **kw)
    assert lean.tokens == plain.tokens and lean.stops == plain.stops
    assert lean.logprobs is not None and plain.logprobs is not None
    for a, b in zip(lean.logprobs, plain.logprobs, strict=True):
        assert a == pytest.approx(b, abs=1e-4)


def test_a_reply_depends_on_its_seed_not_its_batch(lm, world) -> None:
    tokenizer, model = lm
    texts = _every_prompt(world, tokenizer)[:6]
    kw = dict(max_new_tokens=30, temperature=1.0, top_p=0.9, eos_ids={tokenizer.eos_token_id})
    with torch.inference_mode():
        together = decode(model, *_encode(tokenizer, texts), [11, 12, 13, 14, 15, 16], **kw)
        alone = [decode(model, *_encode(tokenizer, [t]), [s], **kw).tokens[0]
                 for t, s in zip(texts, [11, 12, 13, 14, 15, 16], strict=True)]
    assert together.tokens == alone


def test_steps_yield_each_live_row_once_and_end_rows_at_eos(lm, world) -> None:
    tokenizer, model = lm
    texts = _every_prompt(world, tokenizer)[:4]
    eos = tokenizer.eos_token_id
    seen: dict[int, list[int]] = {}
    with torch.inference_mode():
        for step in decode_steps(model, *_encode(tokenizer, texts), list(range(8)), max_new_tokens=200,
                                 temperature=1.0, top_p=1.0, eos_ids={eos}, repeats=2):
            assert len(set(step.rows)) == len(step.rows)
            for r, t in zip(step.rows, step.tokens, strict=True):
                assert eos not in seen.get(r, [])  # nothing after a row's EOS
                seen.setdefault(r, []).append(t)
    assert sorted(seen) == list(range(8))
    assert all(tokens[-1] == eos or len(tokens) == 200 for tokens in seen.values())


def test_the_context_window_caps_a_reply(lm, world) -> None:
    tokenizer, model = lm
    ids, mask = _encode(tokenizer, _every_prompt(world, tokenizer)[:1])
    window = model.config.max_position_embeddings
    with torch.inference_mode():
        out = decode(model, ids, mask, [0], max_new_tokens=10 * window, temperature=0.0, top_p=1.0, eos_ids=set())
    assert len(out.tokens[0]) == window - ids.shape[1] and out.stops == [None]


def test_a_long_reply_grows_the_lean_cache(lm, world, monkeypatch) -> None:
    tokenizer, model = lm
    ids, mask = _encode(tokenizer, _every_prompt(world, tokenizer)[:2])
    kw = dict(max_new_tokens=100, temperature=0.7, top_p=0.9, eos_ids=set())
    with torch.inference_mode():
        whole = decode(model, ids, mask, [3, 4], **kw)
        real_init = decoding._LeanStepper.__init__

        def small_cache(self, *args):
            real_init(self, *args)
            self.capacity = ids.shape[1] + 8  # grows several times over 100 tokens

        monkeypatch.setattr(decoding._LeanStepper, "__init__", small_cache)
        grown = decode(model, ids, mask, [3, 4], **kw)
    assert grown.tokens == whole.tokens


def test_other_architectures_decode_through_their_own_forward() -> None:
    from transformers import GPT2Config, GPT2LMHeadModel

    model = GPT2LMHeadModel(GPT2Config(n_layer=1, n_head=2, n_embd=16, vocab_size=50, n_positions=64)).eval()
    assert not lean_supported(model)
    ids = torch.randint(0, 50, (2, 5), generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        out = decode(model, ids, torch.ones_like(ids), [0, 1], max_new_tokens=6, temperature=0.0, top_p=1.0,
                     eos_ids=set())
        expected = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=6,
                                  do_sample=False, pad_token_id=0)
    assert out.tokens == expected[:, 5:].tolist()


def _warped(logits: torch.Tensor, temperature: float, top_p: float) -> torch.Tensor:
    """The next-token distribution transformers' generate() samples from at these settings."""
    from transformers.generation.logits_process import TemperatureLogitsWarper, TopPLogitsWarper

    scores = TemperatureLogitsWarper(temperature)(None, logits.clone())
    if top_p < 1.0:
        scores = TopPLogitsWarper(top_p)(None, scores)
    return torch.softmax(scores, dim=-1)


@pytest.mark.parametrize(("temperature", "top_p"), [(1.0, 1.0), (0.6, 0.95), (1.3, 0.5)])
def test_sampling_draws_from_the_warpers_distribution(temperature: float, top_p: float) -> None:
    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(4, 300, generator=gen) * 3
    draws = 20_000
    u = torch.rand(draws * 4, generator=gen)
    tokens = sample_tokens(logits.repeat(draws, 1), u, temperature, top_p).view(draws, 4)
    empirical = torch.stack([torch.bincount(tokens[:, row], minlength=300) for row in range(4)]).float() / draws
    expected = _warped(logits, temperature, top_p)
    assert bool(((empirical > 0) <= (expected > 0)).all())  # nothing outside the nucleus
    tv = 0.5 * (empirical - expected).abs().sum(-1)
    assert float(tv.max()) < 0.03, tv  # ~0.01 is the sampling noise of 20,000 draws here


def _peaked_model():
    """A random tiny Qwen2 whose next-token distributions hold a few likely tokens (the lean path applies)."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    cfg = Qwen2Config(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, max_position_embeddings=64, tie_word_embeddings=False)
    model = Qwen2ForCausalLM(cfg).eval()
    with torch.no_grad():
        model.lm_head.weight.mul_(30)
    return model


def test_sampled_replies_follow_the_distribution_generate_samples() -> None:
    """Two-token replies, sampled many times by the decode loop and by generate(), against their exact law
    under transformers' temperature and top-p warpers."""
    from collections import Counter

    model = _peaked_model()
    assert lean_supported(model)
    temperature, top_p, n = 0.7, 0.8, 4000
    ids = torch.tensor([[3, 7, 9, 11]])
    with torch.inference_mode():
        first = _warped(model(input_ids=ids).logits[:, -1], temperature, top_p)[0]
        exact = {}
        for t1 in first.nonzero().flatten().tolist():
            second = _warped(model(input_ids=torch.tensor([[3, 7, 9, 11, t1]])).logits[:, -1], temperature, top_p)[0]
            exact.update({(t1, t2): float(first[t1] * second[t2]) for t2 in second.nonzero().flatten().tolist()})
        ours = decode(model, ids, torch.ones_like(ids), list(range(n)), max_new_tokens=2, temperature=temperature,
                      top_p=top_p, eos_ids=set(), repeats=n)
        torch.manual_seed(0)
        theirs = model.generate(input_ids=ids.repeat(n, 1), max_new_tokens=2, do_sample=True, temperature=temperature,
                                top_p=top_p, top_k=None, pad_token_id=0, eos_token_id=None)
    assert len(exact) >= 10  # a spread-out law, not a near-greedy one
    for replies in ([tuple(t) for t in ours.tokens], [tuple(t) for t in theirs[:, 4:].tolist()]):
        counts = Counter(replies)
        assert set(counts) <= set(exact)  # nothing outside the nuclei
        tv = 0.5 * sum(abs(counts[k] / n - p) for k, p in exact.items())
        assert tv < 0.05, tv  # ~0.02 is the noise of 4,000 draws here; ignoring top-p alone moves it by ~0.2
