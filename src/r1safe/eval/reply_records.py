"""An evaluation's per-reply records (``records.jsonl``), typed: what the pipeline writes and readers read.

A :class:`ReplyRecord` is one reply with its sample's metadata, the prompt and every judge's scores
flattened as ``judge/score``. The pipeline writes them (:func:`r1safe.eval.outputs.records`);
:func:`read_reply_records` reads a finished run's back, so a caller (the study) never opens the file
or spells its keys. Fields added since the first records were written have defaults, so old run
folders still read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from r1safe.eval import log
from r1safe.eval.metrics.base import Row, Value
from r1safe.jsonl import read_objects


class ReplyRecord(BaseModel):
    """One reply of an evaluation run: sample metadata, prompt, reply, every judge's scores."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    sample_id: str
    index: int
    split: str
    kind: str | None = None
    category: str | None = None
    language: str | None = None
    wrapper: str | None = None
    turns: int = 1
    dataset: str | None = None
    license: str | None = None
    prompt: list[dict[str, Any]] = Field(default_factory=list)
    reply: str = ""
    finish_reason: str | None = None
    completion_tokens: int = 0
    scores: dict[str, Value] = Field(default_factory=dict)

    def row(self, cluster: str = "") -> Row:
        """The metric row of this reply; ``cluster`` prefixes the sample id, so rows of several runs
        (seeds) pooled together are clustered by (run, prompt)."""
        return Row(sample_id=f"{cluster}{self.sample_id}", index=self.index, split=self.split, kind=self.kind,
                   category=self.category, language=self.language, turns=self.turns, scores=self.scores,
                   finish_reason=self.finish_reason)

    def last_user_text(self) -> str | None:
        """The prompt's last message, or None for a record without its prompt."""
        return str(self.prompt[-1].get("content")) if self.prompt else None


def records_path(run_dir: str | Path) -> Path:
    """Where an evaluation run folder keeps its records."""
    return Path(run_dir) / log.RECORDS


def read_reply_records(run_dir: str | Path) -> list[ReplyRecord]:
    """The records of a finished evaluation run folder (a missing file is a one-line DataError)."""
    return [ReplyRecord.model_validate(r) for r in read_objects(records_path(run_dir))]


def reply_rows(records: list[ReplyRecord], cluster: str = "") -> list[Row]:
    """The metric rows of ``records`` (see :meth:`ReplyRecord.row`)."""
    return [r.row(cluster) for r in records]
