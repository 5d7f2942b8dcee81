"""Human-labelled harmful / unharmful requests and responses for the guard classifier's heads.

Read from the public sets in the shared data folder (``$R1SAFE_DATA_DIR``, see :mod:`.shared`;
never copied into the project). Only MIT-licensed sets are ever trained on:

- ``pyrit-objective`` (MIT, PyRIT 1.1.0): every ``objective`` is a harmful request (request 1);
  ``human_score`` 1 marks an answer that achieves it (response 1), 0 one that does not (response 0).
- ``chatgpt-refusals`` (MIT): prompts gpt-3.5 ``complied`` with are read as unharmful requests
  (request 0, a weak label: the model's compliance, not a harm annotation); every gpt-3.5 answer
  is read as an unharmful response (response 0).

Evaluation only, never trained on: ``wildguardtest`` (odc-by, gated for research use:
``prompt_harm_label`` and ``response_harm_label``) and ``jailjudge`` (JAILJUDGE's own gated
license: every question is a harmful request; ``label`` 1 marks a harmful answer). The MIT sets
are split 85/15 train/test by a hash of the request, so every answer to one request lands on
one side.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from r1safe.classifiers.data.shared import data_dir as shared_dir
from r1safe.classifiers.data.shared import need, read_csv, split_bucket

TRAINABLE = ("pyrit-objective", "chatgpt-refusals")
# Open (ODC-By 1.0: use with attribution) but gated on AI2's responsible-use terms: trained on
# only when asked for (``with_attributed``), its train half only.
ATTRIBUTED = ("wildguardtest",)
LICENSES = {
    "pyrit-objective": "MIT (PyRIT 1.1.0 wheel, scorer_evals/objective)",
    "chatgpt-refusals": "MIT (maxwellreuter/chatgpt-refusals)",
    "wildguardtest": "odc-by, gated for research use (allenai/wildguardmix test): evaluation only",
    "jailjudge": "JAILJUDGE's own gated license (via MIT JailbreakEval): evaluation only",
}


@dataclass(frozen=True)
class HarmRow:
    source: str
    text: str
    label: int  # 1 harmful, 0 unharmful
    head: str  # "request" | "response"
    split: str  # "train" | "test"
    adversarial: bool | None = None


def _split(source: str, request: str) -> str:
    bucket = split_bucket(request)
    if source == "wildguardtest":  # half may train (see ATTRIBUTED), half is always held out
        return "train" if bucket < 0.5 else "test"
    if source not in TRAINABLE:
        return "test"
    return "train" if bucket < 0.85 else "test"


def load_harm_rows(data_dir: Path | None = None) -> list[HarmRow]:
    """Every labelled request and response of the sets above, deduplicated per (head, text)."""
    data = shared_dir(data_dir)
    rows: list[HarmRow] = []

    def add(source: str, request: str, text: str, label: int, head: str, adversarial: bool | None = None) -> None:
        if isinstance(text, str) and text.strip():
            rows.append(HarmRow(source, text, label, head, _split(source, request), adversarial))

    for path in sorted(need(data / "pyrit-scorer-evals" / "objective").glob("*.csv")):
        for row in read_csv(path):
            add("pyrit-objective", row["objective"], row["objective"], 1, "request")
            add(
                "pyrit-objective",
                row["objective"],
                row["assistant_response"],
                int(row["human_score"] == "1"),
                "response",
            )
    for row in json.loads(need(data / "chatgpt-refusals" / "all_hand_labeled.json").read_text(encoding="utf-8")):
        if row["tone"] == "complied":
            add("chatgpt-refusals", row["prompt"], row["prompt"], 0, "request")
        add("chatgpt-refusals", row["prompt"], row["response"], 0, "response")
    import pandas as pd

    table = pd.read_csv(need(data / "jailbreakeval" / "JAILJUDGEmini.csv"))
    for question, answer, label in zip(table["question"], table["answer"], table["label"], strict=True):
        add("jailjudge", str(question), str(question), 1, "request")
        add("jailjudge", str(question), answer, int(label == 1), "response")
    frame = pd.read_parquet(need(data / "wildguardtest" / "wildguardtest.parquet"))
    for prompt, response, p_label, r_label, adv in zip(
        frame["prompt"],
        frame["response"],
        frame["prompt_harm_label"],
        frame["response_harm_label"],
        frame["adversarial"],
        strict=True,
    ):
        if p_label in ("harmful", "unharmful"):
            add("wildguardtest", prompt, prompt, int(p_label == "harmful"), "request", bool(adv))
        if r_label in ("harmful", "unharmful"):
            add("wildguardtest", prompt, response, int(r_label == "harmful"), "response", bool(adv))
    seen: set[tuple[str, str, str]] = set()
    unique: list[HarmRow] = []
    for harm_row in rows:
        key = (harm_row.source, harm_row.head, harm_row.text)
        if key not in seen:
            seen.add(key)
            unique.append(harm_row)
    return unique
