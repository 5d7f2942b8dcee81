"""Run-folder helpers: fingerprints, manifests written atomically, the run lock, versions, and
quiet progress bars. Only the main process writes (see :mod:`r1safe.train.dist`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from r1safe.errors import ConfigError
from r1safe.files import atomic_write_json
from r1safe.train.dist import is_main


def fingerprint(payload: Any) -> str:
    """16 hex digits of the sha256 of ``payload`` (a JSON value) as canonical JSON."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON file's object, or None when it is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write a run-folder JSON file atomically, from the main process only (DDP ranks share the folder)."""
    if not is_main():
        return
    atomic_write_json(path, data)


class RunLock:
    """One process per run folder: a second run on the same folder is refused, not interleaved."""

    def __init__(self, out: Path) -> None:
        self.path = out / ".lock"

    def __enter__(self) -> RunLock:
        if not is_main():
            return self
        if self.path.is_file():
            try:
                pid = int(self.path.read_text().strip() or 0)
                if pid and pid != os.getpid():
                    os.kill(pid, 0)
                    raise ConfigError(f"{self.path.parent}: another run (pid {pid}) is using this folder")
            except (ValueError, ProcessLookupError, PermissionError):
                pass
        self.path.write_text(str(os.getpid()))
        return self

    def __exit__(self, *exc: object) -> None:
        if is_main():
            self.path.unlink(missing_ok=True)


@contextmanager
def quiet_progress_bars() -> Iterator[None]:
    """No per-dataset / per-checkpoint progress bars while a recipe runs (it reports its own)."""
    import datasets.utils.logging as ds_log
    import transformers.utils.logging as tf_log

    before = ds_log.is_progress_bar_enabled(), tf_log.is_progress_bar_enabled()
    ds_log.disable_progress_bar()
    tf_log.disable_progress_bar()
    try:
        yield
    finally:
        if before[0]:
            ds_log.enable_progress_bar()
        if before[1]:
            tf_log.enable_progress_bar()
