"""JSON Lines files of objects: one reader with row-numbered one-line errors, one writer.

Every user-facing JSONL input in r1safe (eval samples, training data, guard labels) goes through
:func:`iter_objects`, so a bad line always reads ``FILE: row N: what is wrong``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from r1safe.errors import DataError


def iter_objects(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(row number, object)`` for each non-blank line; a bad line is a one-line DataError."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    with path.open(encoding="utf-8") as f:
        for row, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"{path}: row {row}: invalid JSON ({err.msg} at column {err.colno})") from None
            if not isinstance(data, dict):
                raise DataError(f"{path}: row {row}: expected a JSON object, got {type(data).__name__}")
            yield row, data


def read_objects(path: str | Path, max_rows: int | None = None) -> list[dict[str, Any]]:
    """The objects of a JSONL file (the first ``max_rows`` when given)."""
    out: list[dict[str, Any]] = []
    for _, data in iter_objects(path):
        out.append(data)
        if max_rows is not None and len(out) >= max_rows:
            break
    return out


def write_objects(path: str | Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write ``rows`` as JSON Lines (UTF-8, non-ASCII kept readable), creating the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
