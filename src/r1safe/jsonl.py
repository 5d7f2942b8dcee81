"""JSON Lines files of objects: one reader with row-numbered one-line errors, one writer, and one
policy for the append-only logs r1safe writes itself.

Every user-facing JSONL input in r1safe (eval samples, training data, guard labels) goes through
:func:`iter_objects`, so a bad line always reads ``FILE: row N: what is wrong``. The logs a run appends
to as it goes (an evaluation's stages, a training run's ``metrics.jsonl``) are read by
:func:`read_appended`, which skips a torn last line (a process killed mid-write), and appended to only
after :func:`cut_torn_tail` has cut such a line off, so a record is never glued onto half of another.
"""

from __future__ import annotations

import json
import os
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


def cut_torn_tail(path: Path) -> int:
    """Remove a last line without its newline (a write torn by a kill); returns bytes removed."""
    if not path.is_file():
        return 0
    with path.open("rb+") as f:
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return 0
        block = min(size, 1 << 16)
        keep = 0
        pos = size
        while pos > 0:
            start = max(0, pos - block)
            f.seek(start)
            chunk = f.read(pos - start)
            cut = chunk.rfind(b"\n")
            if cut >= 0:
                keep = start + cut + 1
                break
            pos = start
        f.truncate(keep)
        return size - keep


def read_appended(path: Path) -> list[dict[str, Any]]:
    """Every complete line of an append-only log (empty when there is none): a torn last line (no
    newline: a write cut by a kill) is skipped, any other bad line is a DataError naming it."""
    if not path.is_file():
        return []
    data = path.read_bytes()
    lines = data.split(b"\n")
    torn = lines.pop()  # the text after the last newline: empty, or a torn record
    del torn
    out: list[dict[str, Any]] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise DataError(f"{path}: line {number} is corrupt; delete the run folder to restart") from None
        if not isinstance(data, dict):
            raise DataError(f"{path}: line {number}: expected a JSON object, got {type(data).__name__}")
        out.append(data)
    return out
