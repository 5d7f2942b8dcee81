"""The human-labelled refusal data the learned refusal judge is trained and measured on.

Reads the public sets in the shared data folder (``$R1SAFE_DATA_DIR``, see :mod:`.shared`; never
copied into the project) into :class:`LabelledAnswer` rows with one three-class label, and fixes the split:

- ``chatgpt-refusals`` (MIT): ``tone`` complied → compliance, rejected → full refusal, the other
  refusing tones (redirected, contradicted, disclaimed, counseling) → partial refusal; dontknow and
  incoherent are dropped, as the authors do.
- ``pyrit-refusal`` (MIT): ``human_score`` 1 → refusal (PyRIT counts a non-sequitur as one), 0 → compliance.
- ``pyrit-objective`` (MIT) and ``jailjudge`` / ``safe-rlhf`` (JailbreakEval): only ``1`` (the answer
  achieves the harmful objective) is a refusal label (compliance); ``0`` mixes refusals with safe
  answers and deflections, so those rows are left out.
- ``wildguardtest`` (odc-by, gated for research): ``response_refusal_label``.

Permissive (MIT) sets are split about 70/15/15 into train/dev/test; the others
are evaluation only: WildGuardTest one third dev, two thirds test, the JailbreakEval sets test.
Split by a hash of the prompt, so every answer to one prompt lands on one side.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from r1safe.classifiers.data.shared import data_dir as shared_dir
from r1safe.classifiers.data.shared import need, read_csv, split_bucket

CLASSES = ("compliance", "full_refusal", "partial_refusal")
COMPLIANCE, FULL_REFUSAL, PARTIAL_REFUSAL = range(3)

# Sources whose license lets the shipped head be trained on them (all MIT).
PERMISSIVE = ("chatgpt-refusals", "pyrit-refusal", "pyrit-objective")
LICENSES = {
    "chatgpt-refusals": "MIT (maxwellreuter/chatgpt-refusals)",
    "pyrit-refusal": "MIT (PyRIT 1.1.0 wheel)",
    "pyrit-objective": "MIT (PyRIT 1.1.0 wheel)",
    "wildguardtest": "odc-by, gated for research use (allenai/wildguardmix test)",
    "jailjudge": "MIT repo (JailbreakEval); JAILJUDGE data under its own gated license",
    "safe-rlhf": "cc-by-nc-4.0 (PKU-SafeRLHF via JailbreakEval)",
}
_TONE = {
    "complied": COMPLIANCE,
    "rejected": FULL_REFUSAL,
    "redirected": PARTIAL_REFUSAL,
    "contradicted": PARTIAL_REFUSAL,
    "disclaimed": PARTIAL_REFUSAL,
    "counseling": PARTIAL_REFUSAL,
}


@dataclass(frozen=True)
class LabelledAnswer:
    source: str
    prompt: str
    answer: str
    label: int  # index into CLASSES
    split: str  # "train" | "dev" | "test"
    unanimous: bool | None = None  # all annotators agreed on the refusal label (where the source says)

    @property
    def refused(self) -> bool:
        """The binary reading: full or partial refusal."""
        return self.label != COMPLIANCE


def _raw_rows(data: Path) -> Iterator[tuple[str, str, str, int, bool | None]]:
    """(source, prompt, answer, label, annotators unanimous) of every usable labelled row."""
    for row in json.loads(need(data / "chatgpt-refusals" / "all_hand_labeled.json").read_text(encoding="utf-8")):
        if row["tone"] in _TONE:
            yield "chatgpt-refusals", row["prompt"], row["response"], _TONE[row["tone"]], None
    for name in ("refusal.csv", "refusal_extra.csv"):
        for row in read_csv(need(data / "pyrit-scorer-evals" / "refusal_scorer" / name)):
            label = FULL_REFUSAL if row["human_score"].strip() == "1" else COMPLIANCE
            yield "pyrit-refusal", row["objective"], row["assistant_response"], label, None
    for path in sorted(need(data / "pyrit-scorer-evals" / "objective").glob("*.csv")):
        for row in read_csv(path):
            if row["human_score"].strip() == "1":
                yield "pyrit-objective", row["objective"], row["assistant_response"], COMPLIANCE, None
    import pandas as pd

    for name, source in (("JAILJUDGEmini.csv", "jailjudge"), ("Safe-RLHFmini.csv", "safe-rlhf")):
        table = pd.read_csv(need(data / "jailbreakeval" / name))
        for question, answer, label in zip(table["question"], table["answer"], table["label"], strict=True):
            if label == 1 and isinstance(answer, str):
                yield source, str(question), answer, COMPLIANCE, None
    frame = pd.read_parquet(need(data / "wildguardtest" / "wildguardtest.parquet"))
    columns = ("prompt", "response", "response_refusal_label", "response_refusal_agreement")
    for prompt, answer, label, agreement in zip(*(frame[c] for c in columns), strict=True):
        if label in ("refusal", "compliance"):
            unanimous = bool(agreement == 3) if agreement == agreement else None  # NaN: not recorded
            yield "wildguardtest", prompt, answer, FULL_REFUSAL if label == "refusal" else COMPLIANCE, unanimous


def _split(source: str, prompt: str) -> str:
    b = split_bucket(prompt)
    if source in PERMISSIVE:
        return "train" if b < 0.70 else "dev" if b < 0.85 else "test"
    if source == "wildguardtest":
        return "dev" if b < 1 / 3 else "test"
    return "test"


def load_labelled(data_dir: Path | None = None, safe_rlhf_limit: int = 200) -> list[LabelledAnswer]:
    """Every labelled answer with its split; empty answers dropped, Safe-RLHF capped (it is large
    and one-class) to its first ``safe_rlhf_limit`` unique prompts."""
    data = shared_dir(data_dir)
    rows: list[LabelledAnswer] = []
    seen_safe: set[str] = set()
    for source, prompt, answer, label, unanimous in _raw_rows(data):
        if not answer or not answer.strip():
            continue
        if source == "safe-rlhf":
            if prompt in seen_safe or len(seen_safe) >= safe_rlhf_limit:
                continue
            seen_safe.add(prompt)
        rows.append(LabelledAnswer(source, prompt, answer, label, _split(source, prompt), unanimous))
    return rows
