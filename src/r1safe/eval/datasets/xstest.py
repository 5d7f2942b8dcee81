"""XSTest (Röttger et al., 2024): safe prompts that sound unsafe, and their unsafe contrasts.

Reads ``xstest_prompts.csv`` (id, prompt, type, label, focus, note). Safe prompts form the
over-refusal split ``xstest_safe`` (kind benign: refusing them is the failure measured); the
unsafe contrast prompts form ``xstest_unsafe`` (kind harmful). The category is XSTest's type
(homonyms, contrast_homonyms, safe_contexts, ...).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from r1safe.errors import DataError
from r1safe.eval.datasets.public import Source, collect, read_rows, reference, text, user
from r1safe.records import Kind, Sample

# The canonical file lives on GitHub (also on the hub as Paul/XSTest).
SOURCE = Source(
    name="xstest", license="CC-BY-4.0", file="xstest_prompts.csv",
    url="https://raw.githubusercontent.com/paul-rottger/exaggerated-safety/main/xstest_prompts.csv",
)
COLUMNS = ("id", "prompt", "type", "label")
LABELS: dict[str, tuple[str, Kind]] = {"safe": ("xstest_safe", "benign"), "unsafe": ("xstest_unsafe", "harmful")}


def load(path: str | Path | None = None) -> list[Sample]:
    """The 450 prompts (250 safe, 200 unsafe in the public release), split by label."""
    table = read_rows(SOURCE, path, COLUMNS)

    def samples() -> Iterator[tuple[int, Sample]]:
        for row, data in table.items():
            label = text(table, row, data, "label").lower()
            if label not in LABELS:
                raise DataError(f"{table.where(row)}: label {label!r} is not 'safe' or 'unsafe'")
            split, kind = LABELS[label]
            source_id = text(table, row, data, "id")
            yield row, Sample(
                id=f"xstest-{source_id}", prompt=user(text(table, row, data, "prompt")), split=split, kind=kind,
                category=text(table, row, data, "type"), language="en",
                reference=reference(SOURCE, source_id, label=label,
                                    focus=text(table, row, data, "focus", optional=True),
                                    note=text(table, row, data, "note", optional=True)),
            )

    return collect(table, samples())
