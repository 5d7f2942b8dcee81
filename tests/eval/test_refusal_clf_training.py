"""The refusal_clf training pieces without a packaged encoder: the label mappings of every source
(on fixture files with the public column layouts and invented rows), and train → write → load."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import torch

from r1safe.classifiers.data.refusal import COMPLIANCE, FULL_REFUSAL, PARTIAL_REFUSAL, load_labelled
from r1safe.classifiers.encoders import HashedNgramEncoder
from r1safe.classifiers.refusal.frozen import EXTRA_FEATURES, HEAD_FORMAT, RefusalHead, extra_features
from r1safe.classifiers.refusal.frozen_training import HeadSettings, fit_head, predict, write_head
from r1safe.errors import DataError


def write_fixture(root: Path) -> None:
    """Invented rows in the public column layouts of the shared data sets."""
    (root / "chatgpt-refusals").mkdir(parents=True)
    tones = ["complied", "rejected", "redirected", "disclaimed", "dontknow", "incoherent"]
    rows = [{"prompt": f"p{t}", "response": f"answer {t}", "tone": t, "finish_reason": "stop"} for t in tones]
    (root / "chatgpt-refusals" / "all_hand_labeled.json").write_text(json.dumps(rows), encoding="utf-8")
    refusal = root / "pyrit-scorer-evals" / "refusal_scorer"
    refusal.mkdir(parents=True)
    body = "objective,assistant_response,human_score,data_type\nq1,I cannot help.,1,text\nq2,Here it is.,0,text\n"
    (refusal / "refusal.csv").write_text("# dataset_version=1.2\n" + body, encoding="utf-8")
    (refusal / "refusal_extra.csv").write_text("# dataset_version=1.0,,,\n" + body.replace("q", "r"), encoding="utf-8")
    objective = root / "pyrit-scorer-evals" / "objective"
    objective.mkdir(parents=True)
    (objective / "bias.csv").write_text(
        "# dataset_version=1.0,,,,\nharm_category,objective,assistant_response,human_score,data_type\n"
        "bias,o1,Done as asked.,1,text\nbias,o2,No.,0,text\n",
        encoding="utf-8",
    )
    (root / "jailbreakeval").mkdir()
    pd.DataFrame({"question": ["j1", "j2"], "answer": ["Steps: ...", "Sorry."], "label": [1, 0]}).to_csv(
        root / "jailbreakeval" / "JAILJUDGEmini.csv", index=False
    )
    pd.DataFrame({"question": ["s1", "s1", "s2"], "answer": ["a", "b", "c"], "label": [1, 1, 0]}).to_csv(
        root / "jailbreakeval" / "Safe-RLHFmini.csv", index=False
    )
    (root / "wildguardtest").mkdir()
    pd.DataFrame(
        {
            "prompt": ["w1", "w2", "w3"],
            "response": ["I won't.", "Sure.", "Hmm."],
            "response_refusal_label": ["refusal", "compliance", None],
            "response_refusal_agreement": [3.0, 2.0, None],
        }
    ).to_parquet(root / "wildguardtest" / "wildguardtest.parquet")


def test_label_mappings_and_splits(tmp_path: Path) -> None:
    write_fixture(tmp_path)
    rows = load_labelled(tmp_path)
    labels = {(r.source, r.answer): r.label for r in rows}
    assert labels[("chatgpt-refusals", "answer complied")] == COMPLIANCE
    assert labels[("chatgpt-refusals", "answer rejected")] == FULL_REFUSAL
    assert labels[("chatgpt-refusals", "answer redirected")] == PARTIAL_REFUSAL
    assert labels[("chatgpt-refusals", "answer disclaimed")] == PARTIAL_REFUSAL
    assert ("chatgpt-refusals", "answer dontknow") not in labels  # dropped, as the authors do
    assert labels[("pyrit-refusal", "I cannot help.")] == FULL_REFUSAL
    assert labels[("pyrit-refusal", "Here it is.")] == COMPLIANCE
    # objective / jailbreak sets: only "achieved the harmful objective" is a refusal label (compliance)
    assert labels[("pyrit-objective", "Done as asked.")] == COMPLIANCE and ("pyrit-objective", "No.") not in labels
    assert labels[("jailjudge", "Steps: ...")] == COMPLIANCE and ("jailjudge", "Sorry.") not in labels
    assert [r.answer for r in rows if r.source == "safe-rlhf"] == ["a"]  # one answer per prompt
    wild = {r.answer: r for r in rows if r.source == "wildguardtest"}
    assert wild.keys() == {"I won't.", "Sure."}
    assert wild["I won't."].refused and wild["I won't."].unanimous and wild["Sure."].unanimous is False
    assert {r.split for r in rows if r.source in ("jailjudge", "safe-rlhf")} == {"test"}
    assert {r.split for r in rows if r.source == "wildguardtest"} <= {"dev", "test"}


def test_missing_data_folder_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="R1SAFE_DATA_DIR"):
        load_labelled(tmp_path / "absent")


@pytest.mark.parametrize("hidden", [0, 32])
def test_trained_head_round_trips_through_its_files(tmp_path: Path, hidden: int) -> None:
    encoder = HashedNgramEncoder(bits=6)
    texts = ["I'm sorry, but I can't help with that."] * 4 + ["Sure, here are the steps to bake bread."] * 4
    labels = torch.tensor([FULL_REFUSAL] * 4 + [COMPLIANCE] * 4)
    features = torch.cat([encoder.encode(texts).to_dense(), extra_features(texts, 400)], dim=1)
    settings = HeadSettings(encoder="hashed", hidden=hidden, c=100.0)
    state = fit_head(features, labels, settings)
    assert torch.equal(state["0.weight"], fit_head(features, labels, settings)["0.weight"])  # deterministic
    config = {
        "format": HEAD_FORMAT,
        "encoder": encoder.spec(),
        "max_chars": 400,
        "extra_features": list(EXTRA_FEATURES),
        "hidden": hidden,
        "threshold": 0.5,
    }
    write_head(state, config, tmp_path)
    head = RefusalHead(tmp_path)
    probabilities = head.probabilities(texts)
    assert torch.allclose(probabilities, predict(state, features, hidden), atol=1e-6)
    assert probabilities[:4].argmax(1).eq(FULL_REFUSAL).all() and probabilities[4:].argmax(1).eq(COMPLIANCE).all()
