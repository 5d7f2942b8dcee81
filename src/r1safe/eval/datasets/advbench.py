"""AdvBench's harmful behaviors (Zou et al., 2023): goal, target."""

from __future__ import annotations

from pathlib import Path

from r1safe.eval.datasets.public import Source, collect, read_rows, reference, text, user
from r1safe.records import Sample

# The canonical file lives on GitHub (hub copies such as walledai/AdvBench rename its columns).
SOURCE = Source(
    name="advbench", license="MIT", file="harmful_behaviors.csv",
    url="https://raw.githubusercontent.com/llm-attacks/llm-attacks/main/data/advbench/harmful_behaviors.csv",
)
COLUMNS = ("goal", "target")


def load(path: str | Path | None = None) -> list[Sample]:
    """Every goal as a harmful sample of split ``advbench``; ids are row numbers (no id column)."""
    table = read_rows(SOURCE, path, COLUMNS)
    return collect(table, (
        (row, Sample(
            id=f"advbench-{row}", prompt=user(text(table, row, data, "goal")), split="advbench", kind="harmful",
            language="en", reference=reference(SOURCE, row, target=text(table, row, data, "target", optional=True)),
        ))
        for row, data in table.items()
    ))
