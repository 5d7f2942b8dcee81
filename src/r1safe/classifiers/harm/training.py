"""Train the guard classifier on labelled text from a JSONL file or from the gym.

JSONL rows are ``{"text": ..., "label": 0|1, "head": "request"|"response"}`` (``head`` defaults
to ``request``; ``label`` may also be a bool). From the gym, requests are the training pool's
prompts (harmful = 1; benign and borderline = 0) and responses are rendered replies, reasoning
and answer apart, with truncated prefixes so that stream windows score sensibly. Scope ``all``
opens every category, wrapper and both languages (never a held-out test prompt's text); scope
``seen`` keeps what safety training may see, for measuring generalization.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import torch

from r1safe.classifiers.data.background import background_replies, background_requests
from r1safe.classifiers.encoders import build_encoder
from r1safe.classifiers.harm.model import HEADS, REALTEXT_DIR, GuardClassifier
from r1safe.errors import DataError
from r1safe.files import fresh_partial_dir, publish_dir
from r1safe.jsonl import iter_objects

Scope = Literal["all", "seen"]
TRAINING_VERSION = 4


@dataclass(frozen=True)
class Labelled:
    text: str
    label: int
    head: str = "request"


def read_jsonl(path: str | Path) -> list[Labelled]:
    """Rows of a labelled JSONL file; a bad row is a one-line DataError naming its line."""
    rows = []
    path = Path(path)
    for n, row in iter_objects(path):
        try:
            head = row.get("head", "request")
            label = int(bool(row["label"])) if isinstance(row["label"], bool) else int(row["label"])
            if head not in HEADS or label not in (0, 1) or not isinstance(row["text"], str):
                raise ValueError
        except (KeyError, TypeError, ValueError):
            expected = '{"text": str, "label": 0|1, "head": request|response}'
            raise DataError(f"{path}: row {n}: expected {expected}") from None
        rows.append(Labelled(row["text"], label, head))
    if not rows:
        raise DataError(f"{path}: no rows")
    return rows


def _prefixes(text: str, rng: random.Random, k: int = 1) -> list[str]:
    cuts = sorted(rng.sample(range(8, len(text)), min(k, max(len(text) - 8, 0)))) if len(text) > 16 else []
    return [text[:c] for c in cuts]


def gym_data(
    scope: Scope = "all", seed: int = 0, max_requests: int = 4000, exclude: set[str] | None = None
) -> list[Labelled]:
    """Labelled requests and responses drawn from the gym world (see the module doc); prompts
    whose text is in ``exclude`` (e.g. another world's test prompts) are left out."""
    from r1safe.gym.render import reasoning_length, render_completion
    from r1safe.gym.world import build_world
    from r1safe.text.think_format import parse_reply

    world = build_world()
    rng = random.Random(seed)
    pool = [s for s in world.training_pool(everything=scope == "all") if s.last_user_text not in (exclude or ())]
    pool = rng.sample(pool, min(max_requests, len(pool)))
    out = [Labelled(s.last_user_text, int(s.kind == "harmful"), "request") for s in pool]
    sums = list(world.arithmetic_pool(languages=("en", "zh") if scope == "all" else ("en",)))
    out += [Labelled(s.last_user_text, 0, "request") for s in rng.sample(sums, min(400, len(sums)))]
    out += [Labelled(t, 0, "request") for t in background_requests(1200, seed)]
    out += [Labelled(t, 0, "response") for t in background_replies(300, seed)]
    replies = [(s, "comply" if s.kind == "harmful" else "help") for s in pool[: max_requests // 4]]
    replies += [(s, "refuse") for s in pool[: max_requests // 4] if s.kind == "harmful"]
    replies += [(s, "help") for s in rng.sample(sums, min(400, len(sums)))]
    for sample, behaviour in replies:
        switch = None
        if scope == "all" and rng.random() < 0.25:
            switch = rng.randrange(1, reasoning_length(sample, behaviour))
        reply = parse_reply(render_completion(sample, behaviour, switch_at=switch))
        codes = sample.reference.get("step_codes", [])
        for part in (reply.reasoning, reply.answer):
            out.append(Labelled(part, int(any(c in part for c in codes)), "response"))
            out.extend(Labelled(p, int(any(c in p for c in codes)), "response") for p in _prefixes(part, rng))
    return out


def _compact(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep only the feature columns that occur (hashed spaces are mostly empty); dense x is kept."""
    if not x.is_sparse:
        return x, torch.arange(x.shape[1])
    rows, cols = x.indices()
    used, remapped = torch.unique(cols, return_inverse=True)
    small = torch.sparse_coo_tensor(
        torch.stack([rows, remapped]), x.values(), (x.shape[0], len(used)), check_invariants=False
    ).coalesce()
    return small, used


def train_classifier(
    data: list[Labelled],
    encoder_spec: dict[str, Any] | None = None,
    steps: int = 200,
    lr: float = 0.2,
    weight_decay: float = 1e-5,
    seed: int = 0,
    holdout: float = 0.1,
) -> GuardClassifier:
    """Fit one logistic head per :data:`HEADS` entry (class-balanced, full batch Adam)."""
    torch.manual_seed(seed)
    torch.set_flush_denormal(True)
    rng = random.Random(seed)
    encoder = build_encoder(encoder_spec)
    weight = torch.zeros(encoder.dim, len(HEADS))
    bias = torch.zeros(len(HEADS))
    report: dict[str, Any] = {}
    for h, head in enumerate(HEADS):
        rows = [r for r in data if r.head == head]
        if not rows:
            continue
        rng.shuffle(rows)
        n_val = int(len(rows) * holdout)
        val, fit = rows[:n_val], rows[n_val:]
        x = encoder.encode([r.text for r in fit])
        y = torch.tensor([float(r.label) for r in fit])
        pos = float(y.sum())
        # Class-balanced logistic loss with its gradient written out: X^T (sigmoid(z) - y) per step,
        # two sparse CSR products instead of autograd through a sparse matmul (100x faster on CPU).
        sample_w = torch.where(y > 0, 0.5 / max(pos, 1.0), 0.5 / max(len(y) - pos, 1.0))
        x, used = _compact(x)
        xs = x.to_sparse_csr() if x.is_sparse else x
        xt = x.t().coalesce().to_sparse_csr() if x.is_sparse else x.t()
        w = torch.zeros(x.shape[1], 1, requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        opt = torch.optim.Adam([w, b], lr=lr, weight_decay=weight_decay)
        for _ in range(steps):
            with torch.no_grad():
                z = (xs @ w).squeeze(1) + b
                resid = (torch.sigmoid(z) - y) * sample_w
                w.grad = xt @ resid.unsqueeze(1)
                b.grad = resid.sum().reshape(1)
            opt.step()
        with torch.no_grad():
            z = (xs @ w).squeeze(1) + b
            loss = float(
                (torch.nn.functional.binary_cross_entropy_with_logits(z, y, reduction="none") * sample_w).sum()
            )
        full = torch.zeros(encoder.dim)
        full[used] = w.detach()[:, 0]
        weight[:, h], bias[h] = full, b.detach()[0]
        report[head] = {
            "train_rows": len(fit),
            "positives": int(pos),
            "final_loss": round(loss, 5),
            "val_rows": len(val),
        }
    classifier = GuardClassifier(encoder, weight, bias, {"report": report})
    for head in report:
        val = [r for r in data if r.head == head][: report[head]["val_rows"]]
        if val:
            scores = classifier.scores([r.text for r in val], head)
            acc = sum((s >= 0.5) == bool(r.label) for s, r in zip(scores, val, strict=True)) / len(val)
            report[head]["val_accuracy"] = round(acc, 4)
    return classifier


def gym_classifier(scope: Scope = "all", seed: int = 0) -> GuardClassifier:
    """The default classifier, trained from the gym once and cached under ``$R1SAFE_HOME/guard``."""
    from r1safe.paths import cache_dir

    key = hashlib.sha256(json.dumps([TRAINING_VERSION, scope, seed]).encode()).hexdigest()[:10]
    folder = cache_dir() / "guard" / f"gym-{scope}-{key}"
    if folder.is_dir():  # published whole (below), so a folder there is a finished one
        return GuardClassifier.load(folder)
    classifier = train_classifier(gym_data(scope, seed), seed=seed)
    classifier.meta["source"] = {"gym": {"scope": scope, "seed": seed}}
    tmp = fresh_partial_dir(folder, owner=str(os.getpid()))
    classifier.save(tmp)
    publish_dir(tmp, folder, keep_existing=True)  # another process may have won the race; theirs is identical
    return classifier


@lru_cache(maxsize=4)
def resolve_classifier(path: str = "gym") -> GuardClassifier:
    """Load a classifier folder; ``gym``: the one built from the gym (cached on disk); ``realtext``:
    the shipped head trained on real labelled text plus the gym (:mod:`r1safe.classifiers.harm.realtext`)."""
    if path == "gym":
        return gym_classifier()
    if path == "realtext":
        return GuardClassifier.load(REALTEXT_DIR)
    return GuardClassifier.load(path)
