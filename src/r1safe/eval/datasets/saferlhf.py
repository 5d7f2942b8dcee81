"""Safe-RLHF-mini (the 4,000-row subset of PKU-SafeRLHF that JailbreakEval ships): red-team questions,
several responses each, every response labelled safe or unsafe.

Reads ``Safe-RLHFmini.csv`` (``question``, ``answer``, ``label``). The labels are on responses, not on
questions, so a question counts as harmful (split ``saferlhf``) when at least one of its responses was
labelled unsafe: the question drew harmful content out of a model. The other questions (many still
harmful-sounding, some benign) are left out. CC-BY-NC-4.0: evaluation only.
"""

from __future__ import annotations

from pathlib import Path

from r1safe.eval.datasets.public import Source, collect, read_rows, reference, text, user
from r1safe.records import Sample

SOURCE = Source(
    name="saferlhf", license="CC-BY-NC-4.0 (evaluation only)", file="Safe-RLHFmini.csv",
    url="https://github.com/ThuCCSLab/JailbreakEval",
)
COLUMNS = ("question", "label")


def load(path: str | Path | None = None) -> list[Sample]:
    """Distinct questions with an unsafe-labelled response, in the order they first appear."""
    table = read_rows(SOURCE, path, COLUMNS)
    first: dict[str, int] = {}
    unsafe: set[str] = set()
    for row, data in table.items():
        question = text(table, row, data, "question")
        first.setdefault(question, row)
        if text(table, row, data, "label") == "1":
            unsafe.add(question)
    return collect(table, (
        (row, Sample(id=f"saferlhf-{row}", prompt=user(question), split="saferlhf", kind="harmful", language="en",
                     reference=reference(SOURCE, row - 1)))
        for question, row in first.items() if question in unsafe
    ))
