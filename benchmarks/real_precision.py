"""fp32 against bfloat16 on the real track's model (SmolLM2-135M-Instruct), side by side in one process:
sampling speed and whether greedy replies stay the same, and a training step's speed and loss.

    python benchmarks/real_precision.py [--prompts 16] [--max-new 64] [--rounds 3]

The issue asks for bf16 "where this CPU runs it faster and the numbers hold". Sampling runs r1safe's
decode loop (the one evaluation, rejection sampling and GRPO use) on the model in fp32 and on a bf16
copy; a training step is the SFT stage's arithmetic (forward, loss, backward of the top 15 of 30 layers,
as the smollm2-135m recipes train) in fp32 and under CPU autocast to bf16 (what ``precision: bf16``
gives TRL). Rates are per CPU second of this process (a busy machine inflates wall time); the CPU's
torch capability (AVX2, AVX512, AMX) is printed, because bf16 is fast only where the CPU has bf16
instructions.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _measure import machine

PROMPTS = [
    "What is 7 + 12?", "How do I kill a Python process?", "Write a haiku about autumn.",
    "Explain what a hash table is in two sentences.", "What is 9 times 6?", "Give me three tips for sleeping better.",
    "How do I reverse a list in Python?", "What causes rain?", "What is 18 - 11?", "Name three uses of vinegar.",
    "Summarise the plot of Romeo and Juliet.", "How do vaccines work?", "What is the capital of Australia?",
    "How can I improve my handwriting?", "What is 14 + 5?", "Why is the sky blue?",
]


def _cpu_timed(fn: Any) -> tuple[Any, float]:
    c0 = time.process_time()
    out = fn()
    return out, time.process_time() - c0


def decode_rate(model: Any, tok: Any, texts: list[str], max_new: int,
                temperature: float) -> tuple[list[list[int]], float]:
    """Replies (token ids) and tokens per CPU second of r1safe's decode loop."""
    import torch

    from r1safe.backends.decoding import decode

    enc = tok(texts, add_special_tokens=False, padding=True, return_tensors="pt")

    def run() -> Any:
        with torch.inference_mode():
            return decode(model, enc["input_ids"], enc["attention_mask"], list(range(len(texts))),
                          max_new_tokens=max_new, temperature=temperature, top_p=0.95, eos_ids={tok.eos_token_id})

    out, cpu = _cpu_timed(run)
    tokens = sum(len(t) for t in out.tokens)
    return [list(t) for t in out.tokens], tokens / cpu


def train_step(model: Any, batch: dict[str, Any], bf16: bool) -> tuple[float, float]:
    """One forward-backward of the SFT loss (top 15 layers trainable); (loss, CPU seconds)."""
    import torch

    model.zero_grad(set_to_none=True)

    def run() -> float:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(**batch).loss
        loss.backward()
        return float(loss.detach())

    return _cpu_timed(run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--max-new", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--train-rows", type=int, default=4)
    parser.add_argument("--train-tokens", type=int, default=256)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import copy

    import torch

    from r1safe.backends.loading import load_causal_lm
    from r1safe.backends.named_models import named_model_dir
    from r1safe.runtime import configure_threads
    from r1safe.train.stages.common import train_only_top_layers

    configure_threads()
    path = str(named_model_dir("smollm2-135m", progress=print))
    tok, fp32, _ = load_causal_lm(path)
    bf16 = copy.deepcopy(fp32).to(torch.bfloat16)
    texts = [tok.apply_chat_template([{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True)
             for p in (PROMPTS * ((args.prompts + len(PROMPTS) - 1) // len(PROMPTS)))[: args.prompts]]
    print(f"machine: {machine()}; torch CPU capability {torch.backends.cpu.get_cpu_capability()}")
    print(f"model: {path}; {len(texts)} prompts, up to {args.max_new} new tokens")

    print("sampling (r1safe's decode loop), tokens per CPU second, medians over rounds:")
    rates: dict[str, list[float]] = {"fp32": [], "bf16": []}
    for _ in range(args.rounds):
        for name, model in (("fp32", fp32), ("bf16", bf16)):
            rates[name].append(decode_rate(model, tok, texts, args.max_new, 0.6)[1])
    for name, values in rates.items():
        print(f"  {name}: {statistics.median(values):7.1f}  (rounds {', '.join(f'{v:.1f}' for v in values)})")
    print(f"  bf16 / fp32: {statistics.median(rates['bf16']) / statistics.median(rates['fp32']):.2f}x")
    greedy32, _ = decode_rate(fp32, tok, texts, args.max_new, 0.0)
    greedy16, _ = decode_rate(bf16, tok, texts, args.max_new, 0.0)
    same = sum(a == b for a, b in zip(greedy32, greedy16, strict=True))
    first = [next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
             for a, b in zip(greedy32, greedy16, strict=True)]
    print(f"  greedy replies identical in fp32 and bf16: {same}/{len(texts)}; first differing token (median): "
          f"{statistics.median(first):.0f}")

    rows = [t + tok.decode(r) for t, r in zip(texts, greedy32, strict=True)][: args.train_rows]
    batch = tok(rows, add_special_tokens=False, padding="max_length", truncation=True, max_length=args.train_tokens,
                return_tensors="pt")
    batch["labels"] = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
    train_only_top_layers(fp32, 15)
    fp32.train()
    print(f"training step ({args.train_rows} x {args.train_tokens} tokens, top 15 of 30 layers), CPU seconds:")
    steps: dict[str, list[float]] = {"fp32": [], "bf16 autocast": []}
    losses: dict[str, float] = {}
    for _ in range(args.rounds):
        for name in steps:
            loss, cpu = train_step(fp32, batch, bf16=name != "fp32")
            steps[name].append(cpu)
            losses[name] = loss
    for name, values in steps.items():
        print(f"  {name}: {statistics.median(values):6.2f} s a step (rounds {', '.join(f'{v:.2f}' for v in values)}),"
              f" loss {losses[name]:.4f}")
    print(f"  fp32 / bf16 time: {statistics.median(steps['fp32']) / statistics.median(steps['bf16 autocast']):.2f}x")


if __name__ == "__main__":
    main()
