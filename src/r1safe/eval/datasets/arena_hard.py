"""Arena-Hard-Auto v0.1 (LMArena, Apache-2.0): 500 hard, benign Chatbot Arena prompts in 250 topic clusters.

Reads ``question.jsonl`` (``uid``, ``cluster``, ``prompt``) as split ``arena_hard`` (kind benign; category
the cluster). A public benchmark: scores on it mean nothing for a model trained on it.
"""

from __future__ import annotations

from pathlib import Path

from r1safe.eval.datasets.public import Source, collect, read_rows, reference, text, user
from r1safe.records import Sample

SOURCE = Source(name="arena_hard", license="Apache-2.0", file="question.jsonl",
                url="https://github.com/lmarena/arena-hard-auto/tree/main/data/arena-hard-v0.1")
COLUMNS = ("uid", "prompt")


def load(path: str | Path | None = None) -> list[Sample]:
    """Every prompt, in file order."""
    file = Path(path) / SOURCE.file if path is not None and Path(path).is_dir() else path
    table = read_rows(SOURCE, file, COLUMNS)
    return collect(table, (
        (row, Sample(id=f"arena_hard-{text(table, row, data, 'uid')}", prompt=user(text(table, row, data, "prompt")),
                     split="arena_hard", kind="benign", language="en",
                     category=text(table, row, data, "cluster", optional=True) or None,
                     reference=reference(SOURCE, text(table, row, data, "uid"))))
        for row, data in table.items()
    ))
