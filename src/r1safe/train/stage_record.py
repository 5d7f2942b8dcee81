"""One stage's record in the run folder: its fingerprint and ``manifest.json``, and what they decide.

The fingerprint covers the stage's config, its parent's fingerprint, the recipe's seed and
precision, the data's digest and :data:`MANIFEST_VERSION`. A stage whose manifest is ``done`` with
the same fingerprint and a saved model is skipped; one with the same fingerprint and a TRL
checkpoint resumes from it; any other starts afresh in a cleared folder. The manifest says
``running`` while the stage trains, then ``done``, ``failed`` or ``interrupted``. Only the main
process writes (see :mod:`r1safe.train.dist`).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from r1safe.files import versions
from r1safe.train.dist import barrier, is_main
from r1safe.train.monitors.compute import Compute
from r1safe.train.recipe import Recipe
from r1safe.train.rundir import fingerprint, read_json, write_json

MANIFEST_VERSION = 1


@dataclass
class StageResult:
    index: int
    name: str
    kind: str
    dir: Path
    status: str  # "done" (ran now) or "skipped" (done before)
    steps: int
    compute: Compute
    wall_s: float
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def model_dir(self) -> Path:
        return self.dir / "model"


class StageRecord:
    """The bookkeeping of stage ``index`` of ``recipe`` in ``dir``, started from ``parent`` (a model
    and its fingerprint); the runner asks it whether to skip or resume and tells it how it went."""

    def __init__(
        self, recipe: Recipe, index: int, name: str, stage: Any, dir: Path, parent: tuple[str, str], data: str | None
    ) -> None:
        self.recipe, self.index, self.name, self.stage, self.dir = recipe, index, name, stage, dir
        self.parent, self.parent_fingerprint = parent
        self.fingerprint = fingerprint(
            {
                "stage": stage.model_dump(mode="json"),
                "parent": self.parent_fingerprint,
                "seed": recipe.seed,
                "precision": recipe.precision,
                "data": data,
                "version": MANIFEST_VERSION,
            }
        )
        self.manifest = read_json(dir / "manifest.json")
        self._base: dict[str, Any] = {}

    @property
    def path(self) -> Path:
        return self.dir / "manifest.json"

    @property
    def model_dir(self) -> Path:
        return self.dir / "model"

    def _same_stage(self) -> bool:
        return self.manifest is not None and self.manifest.get("fingerprint") == self.fingerprint

    def changed(self) -> list[str] | None:
        """What differs from the stage this folder already holds (None when it holds none, or this
        very stage): its settings as ``key old → new``, else where it starts from or its data."""
        m = self.manifest
        if not m or self._same_stage():
            return None
        old, new = m.get("config") or {}, self.stage.model_dump(mode="json")
        diff = [f"{k} {old.get(k)!r} → {new.get(k)!r}" for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
        if diff:
            return diff
        if (m.get("parent") or {}).get("fingerprint") != self.parent_fingerprint:
            return ["what it starts from (the base model, seed, precision or an earlier stage)"]
        if m.get("seed") != self.recipe.seed:
            return [f"seed {m.get('seed')!r} → {self.recipe.seed!r}"]
        return ["its data or precision"]

    @property
    def status(self) -> str | None:
        """The status this folder's manifest records (``done``, ``running``, ``failed``…), or None."""
        return (self.manifest or {}).get("status")

    def done_before(self) -> StageResult | None:
        """The result of an earlier run of this very stage that finished and saved its model, else None."""
        m = self.manifest
        if m is None or not (self._same_stage() and m.get("status") == "done"
                             and (self.dir / "model" / "config.json").is_file()):
            return None
        return StageResult(
            self.index,
            self.name,
            self.stage.kind,
            self.dir,
            "skipped",
            m["steps"],
            Compute.from_dict(m["compute"]),
            m["wall_s"],
            m.get("summary", {}),
        )

    def prepare(self) -> str | None:
        """The TRL checkpoint to resume from (same stage, a checkpoint saved), or None after clearing
        the stage's folder for a fresh start; the folder exists afterwards either way."""
        from transformers.trainer_utils import get_last_checkpoint

        resume_from = None
        if self._same_stage() and (self.dir / "trainer").is_dir():
            resume_from = get_last_checkpoint(str(self.dir / "trainer"))
        if resume_from is None and is_main():
            shutil.rmtree(self.dir, ignore_errors=True)
        barrier()
        self.dir.mkdir(parents=True, exist_ok=True)
        return resume_from

    def start(self, resumed_step: int) -> None:
        """Write the manifest as ``running``: lineage, config, seed, start time and versions."""
        self._base = {
            "version": MANIFEST_VERSION,
            "recipe": self.recipe.name,
            "index": self.index,
            "name": self.name,
            "kind": self.stage.kind,
            "fingerprint": self.fingerprint,
            "parent": {"model": self.parent, "fingerprint": self.parent_fingerprint},
            "config": self.stage.model_dump(mode="json"),
            "seed": self.recipe.seed,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "resumed_from_step": resumed_step or None,
            "versions": versions(),
        }
        write_json(self.path, {**self._base, "status": "running"})

    def stopped(self, err: BaseException, wall_s: float) -> None:
        """Write the manifest as ``interrupted`` (Ctrl-C) or ``failed``, with the error."""
        status = "interrupted" if isinstance(err, KeyboardInterrupt) else "failed"
        error = f"{type(err).__name__}: {err}"
        write_json(self.path, {**self._base, "status": status, "wall_s": wall_s, "error": error})

    def finish(self, outcome: Any, wall_s: float) -> StageResult:
        """Write the manifest as ``done`` with the stage's outcome, drop its checkpoints, return its result."""
        outcome.compute.wall_s = wall_s
        done = {
            **self._base,
            "status": "done",
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "wall_s": wall_s,
            "steps": outcome.steps,
            "data": outcome.data,
            "compute": outcome.compute.as_dict(),
            "summary": outcome.summary,
        }
        write_json(self.path, done)
        if is_main():
            shutil.rmtree(self.dir / "trainer", ignore_errors=True)
        return StageResult(
            self.index, self.name, self.stage.kind, self.dir, "done", outcome.steps, outcome.compute, wall_s,
            outcome.summary,
        )
