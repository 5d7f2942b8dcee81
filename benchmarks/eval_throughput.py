"""Throughput of the batched transformers backend against one-prompt-at-a-time loops.

Same prompts, same model, same sampling settings, one process::

    python benchmarks/eval_throughput.py                  # the default gym's base model
    python benchmarks/eval_throughput.py --gym GYM_DIR    # the base model of a built gym
    python benchmarks/eval_throughput.py --model DIR      # any local model folder
    python benchmarks/eval_throughput.py --tiny           # a random tiny Qwen2 (no gym build needed)

It times four ways to draw k replies for each of N prompts:

1. ``hf-loop-1``: a loop calling ``model.generate`` once per reply (one sequence at a time);
2. ``hf-loop-k``: a loop calling ``model.generate`` once per prompt with ``num_return_sequences=k``;
3. ``backend-per-prompt``: our backend, one prompt (k sequences) per batch;
4. ``backend-batched``: our backend, ``--batch-size`` sequences per batch, grouped by length.

Reply lengths differ between methods (different random streams), so it reports replies/s and
generated tokens/s; the headline ratio is batched vs ``hf-loop-k`` in tokens/s (the stricter
baseline), with the ratio vs ``hf-loop-1`` alongside. It then runs the default judges (oracle,
refusal, format, proxy) on the batched replies and reports judge time as a share of the total.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

# ---------------------------------------------------------------------------------------------
# setup


def machine() -> str:
    import torch

    from r1safe.eval.outputs import cpu_model

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{cpu_model()}, {os.cpu_count()} cores, torch {torch.__version__} ({torch.get_num_threads()} "
        f"threads), {platform.python_implementation()} {platform.python_version()}, load avg {load:.2f}"
    )


def tiny_model(folder: Path) -> str:
    """A random 2-layer Qwen2 with the gym tokenizer (used when no gym is built)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from r1safe.gym.render import render_completion
    from r1safe.gym.tokenizer import train_tokenizer
    from r1safe.gym.world import WorldConfig, build_world

    world = build_world(WorldConfig(test_size=8))
    texts = [
        t for ss in world.splits.values() for s in ss for t in (s.conversation_text, render_completion(s, "refuse"))
    ]
    tok = train_tokenizer(texts, vocab_size=600)
    torch.manual_seed(0)
    cfg = Qwen2Config(
        vocab_size=len(tok),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        eos_token_id=tok.eos_token_id,
        bos_token_id=tok.bos_token_id,
        pad_token_id=tok.pad_token_id,
        tie_word_embeddings=True,
    )
    Qwen2ForCausalLM(cfg).save_pretrained(folder, safe_serialization=True)
    tok.save_pretrained(folder)
    return str(folder)


def pick_prompts(world: Any, n: int) -> tuple[list[Any], list[list[dict[str, str]]]]:
    """``n`` prompts spread over every test split (round robin)."""
    from itertools import chain, zip_longest

    mixed = [s for s in chain.from_iterable(zip_longest(*world.splits.values())) if s is not None]
    samples = mixed[:n]
    return samples, [s.prompt for s in samples]


# ---------------------------------------------------------------------------------------------
# the methods


def hf_loop(backend: Any, prompts: list[list[dict[str, str]]], k: int, max_new: int, per_call: int) -> int:
    """``model.generate`` once per prompt (``per_call`` = k) or once per reply (``per_call`` = 1)."""
    import torch

    tok, model = backend.tokenizer, backend.model
    tokens = 0
    with torch.inference_mode():
        for p in prompts:
            enc = tok(backend.render(p), add_special_tokens=False, return_tensors="pt")
            for _ in range(k // per_call):
                out = model.generate(
                    **enc,
                    do_sample=True,
                    temperature=0.6,
                    top_p=0.95,
                    max_new_tokens=max_new,
                    num_return_sequences=per_call,
                    pad_token_id=tok.pad_token_id,
                    eos_token_id=tok.eos_token_id,
                )
                new = out[:, enc["input_ids"].shape[1] :]
                tokens += int((new != tok.pad_token_id).sum())
    return tokens


def backend_run(backend: Any, prompts: list[list[dict[str, str]]], params: Any) -> tuple[list[Any], int]:
    out = backend.generate(prompts, params)
    return out, sum(c.completion_tokens for row in out for c in row)


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - t0, result


# ---------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="model folder (default: the default gym's base model)")
    ap.add_argument("--gym", help="a built gym folder: its base model and proxy reward model")
    ap.add_argument("--tiny", action="store_true", help="use a random tiny Qwen2 instead of the gym model")
    ap.add_argument("--prompts", type=int, default=32)
    ap.add_argument("-k", type=int, default=4)
    ap.add_argument("--max-new-tokens", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=64, help="sequences per batch for the batched backend")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--skip-loop-1", action="store_true", help="skip the slowest baseline")
    args = ap.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from r1safe.backends import BACKENDS, GenerationParams
    from r1safe.eval.judges import JUDGES, judge_all
    from r1safe.eval.pipeline import DEFAULT_JUDGES
    from r1safe.gym.world import WorldConfig, build_world

    tmp = tempfile.TemporaryDirectory()
    proxy_path = None
    if args.model:
        model, label = args.model, args.model
    elif args.gym:
        model, label = str(Path(args.gym) / "base_model"), f"gym base model ({args.gym})"
        proxy_path = Path(args.gym) / "reward_models" / "harmlessness"
    elif args.tiny:
        model, label = tiny_model(Path(tmp.name)), "random tiny Qwen2 (2 layers, hidden 64)"
    else:
        from r1safe.gym.build import default_gym

        gym = default_gym(progress=print)
        model, label = str(gym.model_dir), f"default gym base model ({gym.model_dir})"
        proxy_path = gym.harmlessness_rm
    world = build_world(WorldConfig())
    samples, prompts = pick_prompts(world, args.prompts)
    params = GenerationParams(n=args.k, max_new_tokens=args.max_new_tokens, seed=0)
    per_prompt = BACKENDS.create("transformers", model=model, batch_size=args.k)
    batched = BACKENDS.create("transformers", model=model, batch_size=args.batch_size)
    n_params = sum(p.numel() for p in batched.model.parameters())
    print(f"machine: {machine()}")
    print(f"model: {label}, {n_params / 1e6:.2f}M parameters")
    print(
        f"workload: {len(prompts)} prompts x k={args.k} = {len(prompts) * args.k} replies, "
        f"max {args.max_new_tokens} new tokens, T=0.6, top-p 0.95\n"
    )

    backend_run(batched, prompts[:2], params.model_copy(update={"max_new_tokens": 4}))  # warm-up
    rows: dict[str, tuple[float, int]] = {}
    t, (replies, toks) = timed(backend_run, batched, prompts, params)
    rows["backend-batched"] = (t, toks)
    t, (_, toks) = timed(backend_run, per_prompt, prompts, params)
    rows["backend-per-prompt"] = (t, toks)
    t, toks = timed(hf_loop, batched, prompts, args.k, args.max_new_tokens, args.k)
    rows["hf-loop-k"] = (t, toks)
    if not args.skip_loop_1:
        t, toks = timed(hf_loop, batched, prompts, args.k, args.max_new_tokens, 1)
        rows["hf-loop-1"] = (t, toks)

    n_replies = len(prompts) * args.k
    print(f"{'method':<20}{'seconds':>9}{'replies/s':>11}{'tokens':>8}{'tokens/s':>10}")
    for name, (t, toks) in rows.items():
        print(f"{name:<20}{t:>9.2f}{n_replies / t:>11.2f}{toks:>8}{toks / t:>10.1f}")

    def ratio(base: str) -> str:
        if base not in rows:
            return "n/a"
        (tb, kb), (tr, kr) = rows["backend-batched"], rows[base]
        return f"{(kb / tb) / (kr / tr):.1f}x tokens/s, {tr / tb:.1f}x wall time"

    print(f"\nbatched vs hf-loop-k (one prompt at a time, k per call): {ratio('hf-loop-k')}")
    print(f"batched vs hf-loop-1 (one sequence at a time):           {ratio('hf-loop-1')}")
    print(f"batched vs backend-per-prompt (our loop, no batching):   {ratio('backend-per-prompt')}")

    names = list(DEFAULT_JUDGES) + (["proxy"] if proxy_path else [])
    judges = [JUDGES.create(n, **({"path": str(proxy_path)} if n == "proxy" else {})) for n in names]
    texts = [c.text for row in replies for c in row]
    repeated = [s for s in samples for _ in range(args.k)]
    t0 = time.perf_counter()
    for j in judges:
        judge_all(j, repeated, texts)
    judge_s = time.perf_counter() - t0
    gen_s = rows["backend-batched"][0]
    print(
        f"\njudges ({', '.join(names)}) on {len(texts)} replies: {judge_s:.3f}s = "
        f"{judge_s / (gen_s + judge_s):.1%} of generate+judge time"
    )
    print(f"batched backend: {n_replies / gen_s:.2f} replies/s")
    tmp.cleanup()


if __name__ == "__main__":
    main()
