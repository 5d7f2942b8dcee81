"""The run directory: an append-only JSONL file per stage and a manifest, so runs resume.

::

    <run>/manifest.json       version, status (running | complete), config, model, seed, versions
    <run>/samples.jsonl       the evaluated samples (rescoring reads them back)
    <run>/generations.jsonl   one Generation per (sample_id, index), appended per batch
    <run>/judgements.jsonl    one Judgement per (sample_id, index, judge), appended per batch
    <run>/records.jsonl       per-sample records (sample, reply, every score), written at the end
    <run>/results.json        metrics with intervals, written atomically at the end only
    <run>/report.html         the one-file report

Each batch is written with one ``write`` then flushed and fsync'd, so a finished record is on
disk before the next batch starts. A process killed mid-write leaves at most a torn last line:
readers skip it and the next append cuts it off first. Reading keeps the first record of each
key, so a record is never counted twice. This module knows nothing about models or metrics.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from r1safe.errors import ConfigError, DataError
from r1safe.files import atomic_write_jsonl, atomic_write_text
from r1safe.jsonl import cut_torn_tail, read_appended

#: a run folder's stage files are append-only logs (:mod:`r1safe.jsonl` keeps their one reading policy)
read_jsonl_records = read_appended

LOG_VERSION = 1
M = TypeVar("M", bound=BaseModel)

MANIFEST, SAMPLES = "manifest.json", "samples.jsonl"
GENERATIONS, JUDGEMENTS = "generations.jsonl", "judgements.jsonl"
RECORDS, RESULTS, REPORT = "records.jsonl", "results.json", "report.html"


# Identity fields that only change how replies are judged: eval-rescore redoes those on the same replies.
JUDGING_FIELDS = {"judge_options"}


def now() -> str:
    """The current UTC time, ISO 8601, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class RunDir:
    """One evaluation's folder: manifest, append-only stages, final outputs (see the module doc)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._repaired: set[str] = set()

    def path(self, name: str) -> Path:
        return self.root / name

    # -- manifest -------------------------------------------------------------------------------
    def manifest(self) -> dict[str, Any] | None:
        """The manifest, or None for a folder that holds no run yet."""
        path = self.path(MANIFEST)
        if not path.is_file():
            return None
        try:
            manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            raise DataError(f"{path}: corrupt manifest; delete the run folder to start over") from None
        return manifest

    def check_identity(self, identity: dict[str, Any]) -> dict[str, Any] | None:
        """The existing manifest when it belongs to the same run; a different run is an error."""
        old = self.manifest()
        if old is None:
            return None
        if old.get("version") != LOG_VERSION:
            raise ConfigError(f"{self.root}: run folder of log version {old.get('version')}, this r1safe "
                              f"writes {LOG_VERSION}; pass another --out")
        previous = old.get("identity", {})
        if previous != identity:
            diff = sorted(k for k in set(previous) | set(identity) if previous.get(k) != identity.get(k))
            if set(diff) <= JUDGING_FIELDS:
                raise ConfigError(
                    f"{self.root} holds this evaluation judged with other options (differs in: {', '.join(diff)}); "
                    f"to judge its replies again without generating them, run `r1safe eval-rescore {self.root} "
                    "--judges ... --judge-option JUDGE.KEY=VALUE`, or pass another --out")
            raise ConfigError(f"{self.root} holds a different evaluation (differs in: {', '.join(diff)}); "
                              "pass another --out or delete that folder")
        return old

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Replace the manifest atomically, stamping ``version`` and ``updated``."""
        data = {**manifest, "version": LOG_VERSION, "updated": now()}
        atomic_write_text(self.path(MANIFEST), json.dumps(data, indent=2, ensure_ascii=False))

    def set_status(self, status: str, **fields: Any) -> None:
        """Update the manifest's status (``running`` or ``complete``) and extra fields."""
        manifest = self.manifest() or {}
        self.write_manifest({**manifest, **fields, "status": status})

    # -- stages ---------------------------------------------------------------------------------
    def append(self, stage: str, records: Iterable[BaseModel]) -> int:
        """Append records as JSON lines in one write, then flush and fsync; returns the count."""
        lines = [r.model_dump_json() + "\n" for r in records]
        if not lines:
            return 0
        path = self.path(stage)
        if stage not in self._repaired:
            cut_torn_tail(path)
            self._repaired.add(stage)
        with path.open("a", encoding="utf-8") as f:
            f.write("".join(lines))
            f.flush()
            os.fsync(f.fileno())
        return len(lines)

    def read(self, stage: str, model: type[M], key: tuple[str, ...]) -> list[M]:
        """The stage's records, first one per ``key`` fields kept, torn tail ignored."""
        seen: set[tuple[Any, ...]] = set()
        out: list[M] = []
        for row in read_jsonl_records(self.path(stage)):
            k = tuple(row.get(f) for f in key)
            if k in seen:
                continue
            seen.add(k)
            out.append(model.model_validate(row))
        return out

    def replace(self, stage: str, records: Iterable[BaseModel]) -> None:
        """Rewrite a stage atomically (rescoring replaces the judgements)."""
        atomic_write_jsonl(self.path(stage), (r.model_dump(mode="json") for r in records))
        self._repaired.add(stage)
