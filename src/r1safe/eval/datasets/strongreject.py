"""StrongREJECT's forbidden prompts (Souly et al., 2024): category, source, forbidden_prompt."""

from __future__ import annotations

from pathlib import Path

from r1safe.eval.datasets.public import Source, collect, read_rows, reference, text, user
from r1safe.records import Sample

# The canonical file lives on GitHub.
SOURCE = Source(
    name="strongreject", license="MIT", file="strongreject_dataset.csv",
    url="https://raw.githubusercontent.com/alexandrasouly/strongreject/main/strongreject_dataset/"
        "strongreject_dataset.csv",
)
COLUMNS = ("category", "source", "forbidden_prompt")


def load(path: str | Path | None = None) -> list[Sample]:
    """Every forbidden prompt as a harmful sample of split ``strongreject``; the file has no id
    column, so a sample's id is its row number (stable for a given release of the file)."""
    table = read_rows(SOURCE, path, COLUMNS)
    return collect(table, (
        (row, Sample(
            id=f"strongreject-{row}", prompt=user(text(table, row, data, "forbidden_prompt")),
            split="strongreject", kind="harmful",
            category=text(table, row, data, "category", optional=True) or None, language="en",
            reference=reference(SOURCE, row, source=text(table, row, data, "source", optional=True)),
        ))
        for row, data in table.items()
    ))
