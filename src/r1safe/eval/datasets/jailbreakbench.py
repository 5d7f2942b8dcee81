"""JailbreakBench's JBB-Behaviors (Chao et al., 2024): 100 harmful behaviors and 100 benign
look-alikes on the same topics, in ``harmful-behaviors.csv`` and ``benign-behaviors.csv``
(Index, Goal, Target, Behavior, Category, Source). ``Goal`` is the prompt.

The path may be the folder holding both files, or one file (read as benign when its name says
``benign``); ``benign_path`` adds the benign file next to a harmful one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

from r1safe.errors import DataError
from r1safe.eval.datasets.public import Source, Table, collect, read_rows, reference, text, user
from r1safe.records import Sample

SOURCE = Source(
    name="jailbreakbench", license="MIT", file="harmful-behaviors.csv and benign-behaviors.csv",
    url="https://huggingface.co/datasets/JailbreakBench/JBB-Behaviors/tree/main/data",
    hub_id="JailbreakBench/JBB-Behaviors", pass_as="DIR (the folder holding them, or one file)",
)
FILES = {"harmful": "harmful-behaviors.csv", "benign": "benign-behaviors.csv"}
COLUMNS = ("Index", "Goal", "Target", "Behavior", "Category", "Source")


def load(path: str | Path | None = None, benign_path: str | Path | None = None) -> list[Sample]:
    """Harmful behaviors as split ``jbb_harmful``, benign ones as ``jbb_benign``."""
    samples: list[Sample] = []
    for kind, table in _tables(path, benign_path):
        samples.extend(collect(table, _samples(kind, table)))
    return samples


def _tables(path: str | Path | None, benign_path: str | Path | None) -> Iterator[tuple[str, Table]]:
    if path is None and benign_path is None:
        for kind, name in FILES.items():
            yield kind, read_rows(dataclasses.replace(SOURCE, hub_file=f"data/{name}"), None, COLUMNS)
        return
    files: dict[str, Path] = {}
    if path is not None and Path(path).is_dir():
        files = {kind: Path(path) / name for kind, name in FILES.items() if (Path(path) / name).is_file()}
        if not files:
            raise DataError(f"{path}: holds neither {FILES['harmful']} nor {FILES['benign']}")
    elif path is not None:
        files["benign" if "benign" in Path(path).name.lower() else "harmful"] = Path(path)
    if benign_path is not None:
        files["benign"] = Path(benign_path)
    for kind in FILES:
        if kind in files:
            yield kind, read_rows(SOURCE, files[kind], COLUMNS)


def _samples(kind: str, table: Table) -> Iterator[tuple[int, Sample]]:
    for row, data in table.items():
        index = text(table, row, data, "Index")
        yield row, Sample(
            id=f"jailbreakbench-{kind}-{index}", prompt=user(text(table, row, data, "Goal")),
            split=f"jbb_{kind}", kind=kind,  # type: ignore[arg-type]
            category=text(table, row, data, "Category", optional=True) or None, language="en",
            reference=reference(SOURCE, index, behavior=text(table, row, data, "Behavior", optional=True),
                                target=text(table, row, data, "Target", optional=True),
                                source=text(table, row, data, "Source", optional=True)),
        )
