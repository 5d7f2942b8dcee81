"""A JSONL file of Sample rows, one JSON object a line.

Each row has the fields of :class:`~r1safe.records.Sample`; as conveniences, ``prompt`` may be a
plain string (one user turn) and ``id`` may be left out (``<file stem>-<row>``). A malformed row
is a one-line :class:`~r1safe.errors.DataError` naming the file and the row number (1-based).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from r1safe.config import format_validation_error
from r1safe.errors import DataError
from r1safe.jsonl import iter_objects
from r1safe.records import Sample


def load(path: str | Path) -> list[Sample]:
    """The samples of ``path``, in file order; blank lines are skipped."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such dataset file")
    samples: list[Sample] = []
    seen: dict[str, int] = {}
    for row, data in iter_objects(path):
        where = f"{path}: row {row}"
        if isinstance(data.get("prompt"), str):
            data["prompt"] = [{"role": "user", "content": data["prompt"]}]
        data.setdefault("id", f"{path.stem}-{row}")
        try:
            sample = Sample.model_validate(data)
        except ValidationError as err:
            raise DataError(format_validation_error(err, where)) from None
        if sample.id in seen:
            raise DataError(f"{where}: duplicate id {sample.id!r} (first on row {seen[sample.id]})")
        seen[sample.id] = row
        samples.append(sample)
    if not samples:
        raise DataError(f"{path}: no samples (the file is empty)")
    return samples
