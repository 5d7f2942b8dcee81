"""An arm's record (``arm.json``): the marker that a trained and evaluated arm is finished, stamped
with the gym build it was trained from, so a resumed study skips it and never mixes builds.

:class:`ArmRecord` is what the study's modules hand each other about an arm (its model, its training
compute and metrics, its evaluation folder and timings); ``results.json`` carries each one as a JSON
object under ``runs``, with the same keys ``arm.json`` has always had, so stored studies still read.
A Goodhart run keeps its own record (a free dict, :mod:`r1safe.study.goodhart_runs`) through
:func:`finished_record` and :func:`write_record`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from r1safe.errors import ConfigError, DataError
from r1safe.files import atomic_write_text

Number = float | int


class Evaluation(BaseModel):
    """Where an evaluation of a model wrote its run folder, and its timings (the eval's ``timing``)."""

    eval_dir: str
    eval_seconds: dict[str, Number | None] = Field(default_factory=dict)


class ArmRecord(BaseModel):
    """One trained (or, for ``base``, reused) and evaluated arm of one seed."""

    # an arm.json written by an older r1safe keeps whatever else it carried
    model_config = ConfigDict(extra="allow")

    model_dir: str
    compute: dict[str, Number] = Field(default_factory=dict, description="the training's Compute.as_dict()")
    metrics: str | None = Field(None, description="the training run's metrics.jsonl (None: not trained here)")
    eval_dir: str | None = None
    eval_seconds: dict[str, Number | None] = Field(default_factory=dict)
    wall_s: float = Field(0.0, description="wall seconds to train and evaluate it")
    gym: str | None = Field(None, description="digest of the gym build it was trained from")

    @property
    def flops(self) -> float:
        """The training's total FLOPs (0 for an arm not trained here)."""
        return float(self.compute.get("flops_total", 0.0))

    def evaluated(self, evaluation: Evaluation) -> ArmRecord:
        """This record with ``evaluation``'s folder and timings."""
        return self.model_copy(update=evaluation.model_dump())

    def evaluation_dir(self) -> str:
        """The evaluation folder; an arm recorded without one is a DataError naming its model."""
        if self.eval_dir is None:
            raise DataError(f"arm with model {self.model_dir}: no evaluation recorded")
        return self.eval_dir

    def as_json(self) -> dict[str, Any]:
        """The record as ``arm.json`` and ``results.json`` hold it."""
        return self.model_dump(mode="json")


def finished_record(marker: Path, digest: str, what: str) -> dict[str, Any] | None:
    """A finished piece's record (``arm.json``, a Goodhart run's ``run.json``), or None when there is
    none yet; one trained from another gym build than ``digest`` is refused rather than mixed into
    this study."""
    if not marker.is_file():
        return None
    info: dict[str, Any] = json.loads(marker.read_text())
    if info.get("gym", digest) != digest:
        raise ConfigError(f"{marker}: trained from gym build {info['gym']}, but {what} uses {digest}; "
                          "pass another --out")
    return info


def write_record(marker: Path, info: dict[str, Any], digest: str) -> None:
    """Write a finished piece's record, stamped with the gym build it was trained from."""
    info["gym"] = digest
    atomic_write_text(marker, json.dumps(info, indent=2))


def finished_arm(marker: Path, digest: str, what: str) -> ArmRecord | None:
    """A finished arm's record, or None when there is none yet (see :func:`finished_record`)."""
    info = finished_record(marker, digest, what)
    return None if info is None else ArmRecord.model_validate(info)


def record_arm(marker: Path, record: ArmRecord, digest: str) -> ArmRecord:
    """Write a finished arm's record, stamped with the gym build; returns the stamped record."""
    stamped = record.model_copy(update={"gym": digest})
    atomic_write_text(marker, json.dumps(stamped.as_json(), indent=2))
    return stamped
