"""The run's ``metrics.jsonl``: one row per logged step of every stage, TRL's logs and monitors'.

Rows are ``{"stage", "kind", "step", "global_step", "time", <metric>: value...}``; ``global_step``
counts across stages so a whole recipe plots on one axis. When a stage starts again (fresh, or
resumed from a checkpoint) its rows after the restart step are dropped first (the file rewritten
atomically), so a resumed run's file reads like an uninterrupted one's. The file is an append-only
log read and repaired as an evaluation's are (:mod:`r1safe.jsonl`): a torn last line is skipped, and
cut off before the next append.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from r1safe.files import atomic_write_jsonl
from r1safe.jsonl import cut_torn_tail, read_appended


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """Every row of a run's ``metrics.jsonl`` (empty when there is none; a torn last line skipped)."""
    return read_appended(Path(path))


class MetricsSink:
    """Appends metric rows for one stage to the run's ``metrics.jsonl``."""

    def __init__(self, path: Path, stage: str, kind: str, step_offset: int = 0) -> None:
        self.path = path
        self.stage = stage
        self.kind = kind
        self.step_offset = step_offset
        self.started = time.perf_counter()
        self._repaired = False

    def restart(self, after_step: int) -> None:
        """Drop this stage's rows past ``after_step`` (all of them for 0): the stage runs again."""
        from r1safe.train.dist import is_main

        if not is_main():
            return
        rows = read_metrics(self.path)
        keep = [r for r in rows if r.get("stage") != self.stage or (after_step and r.get("step", 0) <= after_step)]
        if len(keep) != len(rows) or cut_torn_tail(self.path):
            atomic_write_jsonl(self.path, keep)
        self._repaired = True

    def write(self, step: int, values: dict[str, Any]) -> None:
        """One row of finite numeric ``values`` at stage step ``step``."""
        clean = {k: v for k, v in ((k, _number(v)) for k, v in values.items()) if v is not None}
        if not clean:
            return
        row = {
            "stage": self.stage,
            "kind": self.kind,
            "step": step,
            "global_step": self.step_offset + step,
            "time": round(time.perf_counter() - self.started, 3),
            **clean,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self._repaired:
            cut_torn_tail(self.path)
            self._repaired = True
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")


class SinkCallback(TrainerCallback):
    """Writes every TRL log (with the monitors' keys merged in before it) to the sink.

    It runs after the monitors and clears the rollout tap, so each log sees its own rollouts.
    """

    def __init__(self, sink: MetricsSink, tap: Any = None) -> None:
        self.sink = sink
        self.tap = tap

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        for key in [k for k, v in (logs or {}).items() if v is None]:
            del logs[key]  # type: ignore[union-attr]  # TRL logs None for a reward no sample used
        if logs and state.is_world_process_zero:
            self.sink.write(state.global_step, logs)
        if self.tap is not None:
            self.tap.clear()
