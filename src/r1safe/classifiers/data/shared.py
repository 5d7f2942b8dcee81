"""Where the public labelled data lives, and the few helpers every reader of it shares.

The data are never copied into the project (licenses differ set by set): readers find the folder
through the project's one data setting, :func:`r1safe.paths.data_dir` (a ``data_dir`` argument /
``--data`` option, else ``$R1SAFE_DATA_DIR``, else a ``shared/data`` beside or above the working
directory). Nothing here guesses a location from where the package is installed.
"""

from __future__ import annotations

import csv
import io
import json
import zlib
from pathlib import Path
from typing import Any

from r1safe import paths
from r1safe.errors import DataError
from r1safe.paths import DATA_DIR_ENV as DATA_ENV


def data_dir(explicit: str | Path | None = None) -> Path:
    """The shared data folder (:func:`r1safe.paths.data_dir`); a DataError naming the setting when
    there is none."""
    path = paths.data_dir(explicit)
    if path is None:
        raise DataError(f"no shared data folder: set {DATA_ENV} (or pass --data) to the folder holding the sets")
    if not path.is_dir():
        raise DataError(f"{path}: shared data folder not found; set {DATA_ENV} (or --data) to it")
    return path


def need(path: Path) -> Path:
    """``path`` if it exists, else a DataError naming it and the setting."""
    if not path.exists():
        raise DataError(f"{path}: missing; set {DATA_ENV} to the shared data folder")
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    """A CSV that may open with ``# ...`` comment lines (PyRIT's)."""
    text = need(path).read_text(encoding="utf-8")
    body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))
    return list(csv.DictReader(io.StringIO(body)))


def read_jsonl(path: Path) -> list[Any]:
    """Every JSON value of a JSONL file, one per ``\\n``-separated line (``str.splitlines`` would also
    cut at the Unicode line separators some prompts hold inside their strings)."""
    return [json.loads(line) for line in need(path).read_text(encoding="utf-8").split("\n") if line.strip()]


def split_bucket(key: str) -> float:
    """A stable number in [0, 1) for a prompt (case and edge spaces ignored): every split of every
    classifier family cuts on it, so all answers to one prompt land on one side."""
    return zlib.crc32(key.strip().lower().encode()) / 2**32
