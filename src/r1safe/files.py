"""Files that are either whole or absent, and the package versions every run folder records.

Every result r1safe writes at the end of a stage (manifests, results, reports, gym and study
markers) goes through :func:`atomic_write_text`: a temporary file in the same folder, fsync'd, then
``os.replace``, so a crash never leaves a half-written file that reads as complete; whole folders
(models, snapshots, gym builds) are built in a ``.partial`` folder and published by one rename.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

_UMASK = os.umask(0o022)
os.umask(_UMASK)

# The packages whose versions shape results (recorded in eval, train and study manifests).
PACKAGES = ("r1safe", "torch", "transformers", "trl", "tokenizers", "numpy", "pydantic", "httpx", "vllm")


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace`` (never half-written)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_jsonl(path: str | Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write JSON rows to ``path`` atomically."""
    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def atomic_write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as indented JSON to ``path`` atomically."""
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False, default=str))


def partial_dir(final: str | Path, owner: str = "") -> Path:
    """Where the folder ``final`` is built before :func:`publish_dir` puts it in place: ``<final>.partial``
    (``<final>.partial-<owner>`` when several processes may build it at once, each in its own)."""
    return Path(final).with_name(Path(final).name + ".partial" + (f"-{owner}" if owner else ""))


def fresh_partial_dir(final: str | Path, owner: str = "") -> Path:
    """:func:`partial_dir` of ``final``, emptied (one left by a crash is removed)."""
    tmp = partial_dir(final, owner)
    shutil.rmtree(tmp, ignore_errors=True)
    return tmp


def publish_dir(tmp: str | Path, final: str | Path, keep_existing: bool = False) -> bool:
    """Put the finished folder ``tmp`` at ``final`` by one rename (an older ``final`` is removed first), so
    a folder at ``final`` is always a whole one: a model, a snapshot, a gym build. With ``keep_existing``
    (a cache keyed by its content, identical whoever builds it) a ``final`` another process published
    first is kept and ``tmp`` removed. Returns whether ``tmp`` was published."""
    if keep_existing:
        try:
            Path(tmp).rename(final)
        except OSError:
            if not Path(final).is_dir():
                raise
            shutil.rmtree(tmp, ignore_errors=True)
            return False
        return True
    shutil.rmtree(final, ignore_errors=True)
    Path(tmp).rename(final)
    return True


def versions(packages: Iterable[str] = PACKAGES) -> dict[str, str | None]:
    """Python's and the installed packages' versions (None when a package is not installed)."""
    out: dict[str, str | None] = {"python": sys.version.split()[0]}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out
