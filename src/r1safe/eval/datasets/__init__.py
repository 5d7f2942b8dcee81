"""Dataset sources: each turns a description into a list of :class:`~r1safe.records.Sample`.

``gym`` is the safety gym's held-out test suite; ``jsonl`` reads a file of Sample rows.
:func:`load_suite` picks the source from the ``--suite`` value, then filters splits and applies
the per-split limit, with a one-line error for an unknown split.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from r1safe.errors import ConfigError
from r1safe.eval.datasets.base import DATASETS, select
from r1safe.records import Sample


def load_suite(suite: str, splits: list[str] | None = None, limit: int | None = None,
               **params: Any) -> list[Sample]:
    """Samples of ``suite`` (``gym`` or a ``.jsonl`` path), filtered to ``splits``, at most
    ``limit`` per split, in a fixed order."""
    if suite == "gym":
        samples = DATASETS.create("gym", **params)
    elif suite.endswith(".jsonl") or Path(suite).is_file():
        samples = DATASETS.create("jsonl", path=suite)
    elif suite in DATASETS:
        samples = DATASETS.create(suite, **params)
    else:
        raise ConfigError(f"unknown suite {suite!r}; use 'gym' or the path of a .jsonl file of samples")
    return select(samples, splits, limit, source=suite)


__all__ = ["DATASETS", "load_suite", "select"]
