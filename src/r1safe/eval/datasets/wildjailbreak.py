"""WildJailbreak (Jiang et al., 2024): vanilla and adversarial prompts, harmful and benign.

Reads the train TSV (vanilla, adversarial, completion, data_type) or the eval TSV (adversarial,
label, data_type). Each ``data_type`` (vanilla_harmful, vanilla_benign, adversarial_harmful,
adversarial_benign) is a split ``wildjailbreak_<data_type>``; the prompt is the adversarial text
for adversarial rows (wrapper ``adversarial``) and the vanilla one otherwise. Neither file has an
id column, so a sample's id is the file part and its row number.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from r1safe.errors import DataError
from r1safe.eval.datasets.public import Source, Table, collect, read_rows, reference, text, user
from r1safe.records import Sample

SOURCE = Source(
    name="wildjailbreak", license="ODC-BY", file="eval/eval.tsv (or train/train.tsv)",
    url="https://huggingface.co/datasets/allenai/wildjailbreak", hub_id="allenai/wildjailbreak",
    hub_file="eval/eval.tsv", gated=True,
)
COLUMNS = ("adversarial", "data_type")
DATA_TYPES = ("vanilla_harmful", "vanilla_benign", "adversarial_harmful", "adversarial_benign")


def load(path: str | Path | None = None, part: Literal["eval", "train"] = "eval") -> list[Sample]:
    """The rows of ``path`` (or of the hub's ``part`` file) as samples split by data type."""
    source = SOURCE if part == "eval" else dataclasses.replace(SOURCE, hub_file="train/train.tsv")
    table = read_rows(source, path, COLUMNS)
    return collect(table, _samples(table, "train" if "vanilla" in table.rows[0] else "eval"))


def _samples(table: Table, part: str) -> Iterator[tuple[int, Sample]]:
    for row, data in table.items():
        data_type = text(table, row, data, "data_type")
        if data_type not in DATA_TYPES:
            raise DataError(f"{table.where(row)}: data_type {data_type!r} is not one of {', '.join(DATA_TYPES)}")
        style, kind = data_type.split("_")
        if style == "vanilla" and "vanilla" not in data:
            raise DataError(f"{table.origin}: missing column 'vanilla' (row {row} is {data_type})")
        extra = {"data_type": data_type}
        if part == "train" and style == "adversarial":
            extra["vanilla"] = text(table, row, data, "vanilla", optional=True)
        if part == "eval":
            extra["label"] = text(table, row, data, "label", optional=True)
        yield row, Sample(
            id=f"wildjailbreak-{part}-{row}", prompt=user(text(table, row, data, style)),
            split=f"wildjailbreak_{data_type}", kind=kind,  # type: ignore[arg-type]
            language="en", wrapper="adversarial" if style == "adversarial" else None,
            reference=reference(SOURCE, f"{part}-{row}", **extra),
        )
