"""The DeepSeek-R1-Distill hybrid recipe end to end here: a tiny Qwen2 with a locally trained tokenizer and an
R1-style chat template (it opens ``<think>`` and drops history reasoning), the public data formats from fixture
files, real-text rewards (refusal_clf) and an independent monitor judge (refusal patterns), on the CPU.

The recipe runs through ``r1safe train ... --set`` exactly as a user would run it on a GPU machine, only smaller.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from r1safe.train.monitors import read_metrics

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "src" / "r1safe" / "recipes" / "deepseek-r1-distill-qwen-1.5b" / "hybrid.yaml"
F = ROOT / "tests" / "fixtures" / "train"
WJB = ROOT / "tests" / "fixtures" / "datasets" / "wildjailbreak" / "train.tsv"

# DeepSeek-R1-Distill's template in miniature: history keeps answers only, the generation prompt opens <think>.
R1_TEMPLATE = (
    "{{ bos_token }}{%- for m in messages -%}"
    "{%- if m['role'] == 'user' -%}<|user|>{{ m['content'] }}"
    "{%- elif m['role'] == 'assistant' -%}<|assistant|>{{ m['content'].split('</think>')[-1].strip() }}<|end|>"
    "{%- endif -%}{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|assistant|><think>\\n' }}{%- endif -%}"
)


SHORT = {"harmful": ("<think>\nIt is harmful.\n</think>\n\nI'm sorry, but I can't help with that.",
                     "<think>\nOk.\n</think>\n\nSure, here is how: first mix it."),
         "benign": ("<think>\nIt is fine.\n</think>\n\nSure, here is how: first open it.",
                    "<think>\nHm.\n</think>\n\nI'm sorry, but I can't help with that.")}


def _corpus() -> tuple[list[str], list[tuple[str, str]]]:
    """Texts for the tokenizer (every fixture prompt and reply) and (prompt, short reply) pairs for the
    warm-up: mostly the right reply, sometimes the wrong one, so that GRPO groups differ."""
    from r1safe.train.sources import load_rows

    texts, pairs = [], []
    sources = (f"star1:{F / 'star1.json'}", f"safechain:{F / 'safechain.jsonl'}",
               f"reasoning:{F / 'reasoning_zh.jsonl'}", f"gsm8k:{F / 'gsm8k.jsonl'}",
               f"orbench:{F / 'orbench.csv'}", f"wildjailbreak:{WJB}")
    for source in sources:
        for row in load_rows(source):
            prompt = row["prompt"][-1]["content"]
            texts.append(prompt + " " + (row["completion"][0]["content"] if "completion" in row else ""))
            right, wrong = SHORT["harmful" if row.get("kind") == "harmful" else "benign"]
            pairs += [(prompt, right), (prompt, right), (prompt, wrong)]
    return texts + [r for pair in SHORT.values() for r in pair], pairs


@pytest.fixture(scope="module")
def tiny_r1(tmp_path_factory):
    """A 2-layer Qwen2 warmed up for a few steps on canonical replies, so that it writes think blocks."""
    import torch
    from transformers import AutoModelForCausalLM, Qwen2Config

    from r1safe.gym.tokenizer import train_tokenizer

    torch.set_num_threads(1)
    torch.manual_seed(0)
    texts, pairs = _corpus()
    tok = train_tokenizer(texts * 4, vocab_size=600)
    tok.chat_template = R1_TEMPLATE
    config = Qwen2Config(vocab_size=len(tok), hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                         tie_word_embeddings=False, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                         bos_token_id=tok.bos_token_id)
    model = AutoModelForCausalLM.from_config(config)
    texts = [tok.apply_chat_template([{"role": "user", "content": p}], add_generation_prompt=True, tokenize=False)
             + r.removeprefix("<think>\n") + tok.eos_token for p, r in pairs]
    batch = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
    optim = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(150):
        loss = model(**batch, labels=labels).loss
        loss.backward()
        optim.step()
        optim.zero_grad()
    folder = tmp_path_factory.mktemp("tiny-r1")
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def overrides(model: Path) -> list[str]:
    """The recipe made small and local: tiny model, CPU, fixture files, refusal_clf for the guard judges."""
    grpo = ["max_steps=2", "batch_size=4", "grad_accum=1", "num_generations=2", "max_completion_length=32",
            "use_vllm=false", "save_steps=0", "trl={}",
            f"mix=[{{data: 'wildjailbreak:{WJB}', ratio: 1.0}}, {{data: 'orbench:{F / 'orbench.csv'}', ratio: 0.5}}]",
            "rewards.0.params={judge: refusal_clf}"]
    sets = [f"base_model={model}", "device=cpu", "precision=fp32", "threads=1",
            f"data.sft=star1:{F / 'star1.json'}", f"data.prompts=gsm8k:{F / 'gsm8k.jsonl'}",
            "monitors.log_every=1", f"monitors.probe={{path: '{F / 'probe.jsonl'}', every: 1, max_new_tokens: 32}}",
            "monitors.reward_hacking={judge: refusal}",
            "stages.0.max_steps=2", "stages.0.batch_size=2", "stages.0.grad_accum=1", "stages.0.max_length=192",
            "stages.0.save_steps=0", "stages.0.trl={}",
            f"stages.0.mix=[{{data: 'gsm8k:{F / 'gsm8k.jsonl'}', ratio: 0.5}},"
            f" {{data: 'safechain:{F / 'safechain.jsonl'}', ratio: 0.5}},"
            f" {{data: 'reasoning:{F / 'reasoning_zh.jsonl'}', ratio: 1.0}}]",
            "stages.2.num_prompts=3", "stages.2.n=2", "stages.2.max_new_tokens=32", "stages.2.judge=refusal_clf",
            "stages.2.judge_options={}", "stages.2.generation_batch_size=8", "stages.2.batch_size=2",
            "stages.2.grad_accum=1", "stages.2.max_length=192", "stages.2.trl={}", "stages.2.accept=[well_formed]",
            f"stages.2.mix=[{{data: 'wildjailbreak:{WJB}', ratio: 1.0}}]"]
    return sets + [f"stages.{i}.{s}" for i in (1, 3) for s in grpo]


@pytest.fixture(scope="module")
def run(tiny_r1, tmp_path_factory):
    from typer.testing import CliRunner

    from r1safe.cli.main import app

    out = tmp_path_factory.mktemp("r1-hybrid")
    args = ["train", str(RECIPE), "--out", str(out)]
    for s in overrides(tiny_r1):
        args += ["--set", s]
    t0 = time.perf_counter()
    result = CliRunner().invoke(app, args)
    return out, result, time.perf_counter() - t0


@pytest.mark.slow
def test_hybrid_runs_all_four_stages_on_real_text_rewards(run):
    out, result, seconds = run
    assert result.exit_code == 0, result.output
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "done" and [s["kind"] for s in info["stages"]] == [
        "sft", "grpo", "rejection_sampling", "grpo"]
    for s in info["stages"]:
        manifest = json.loads((Path(s["model_dir"]).parent / "manifest.json").read_text())
        assert manifest["status"] == "done" and manifest["data"]["sha256"]
        assert (Path(s["model_dir"]) / "config.json").is_file()
    sft = json.loads((out / "stages" / "00_cold_start" / "manifest.json").read_text())["data"]
    assert sft["source"].startswith("star1:") and [m["source"].split(":")[0] for m in sft["mix"]] == [
        "gsm8k", "safechain", "reasoning"]
    assert sft["rows"] == 3 + 2 + 2 + 3  # STAR-1 rows, then 0.5, 0.5 and 1.0 per STAR-1 row
    assert info["compute"]["flops_total"] > 0
    print(f"tiny hybrid: {seconds:.0f} s")


@pytest.mark.slow
def test_it_writes_the_gyms_scalars_tensorboard_and_plots(run):
    out, result, _ = run
    assert result.exit_code == 0, result.output
    rows = read_metrics(out / "metrics.jsonl")
    keys = {k for r in rows for k in r}
    for key in ("rewards/harmlessness/mean", "rewards/over_refusal/mean", "rewards/correctness/mean",
                "rewards/format/mean", "rewards/language_consistency/mean",
                "monitor/reward_hacking/proxy_safe", "monitor/reward_hacking/judge_safe",
                "monitor/reward_hacking/gap", "monitor/reward_hacking/alarm", "monitor/reward_hacking/helpful_gap",
                "monitor/language_mixing/probe_mixed_rate", "monitor/drift/kl", "monitor/compute/flops_total"):
        assert key in keys, key
    assert {p.name for p in (out / "plots").glob("*.png")} >= {"reward_hacking.png", "rewards.png"}
    events = list((out / "tensorboard").rglob("events.out.tfevents.*"))
    assert {e.relative_to(out / "tensorboard").parts[0] for e in events} >= {"00_cold_start", "01_reasoning_rl"}


@pytest.mark.slow
def test_the_sft_rows_fit_the_think_opening_template(tiny_r1):
    from r1safe.train.chat_format import fit_to_template
    from r1safe.train.stages.common import load_tokenizer

    tok = load_tokenizer(str(tiny_r1))
    row = {"prompt": [{"role": "user", "content": "hi"}],
           "completion": [{"role": "assistant", "content": "<think>\nWhy not.\n</think>\n\nHello."}]}
    (fitted,) = fit_to_template(tok, [row])
    assert fitted["prompt"].endswith("<|assistant|><think>\n")  # R1's generation prompt opens the think block
    assert fitted["completion"] == "Why not.\n</think>\n\nHello." + tok.eos_token
