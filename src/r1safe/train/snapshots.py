"""Model snapshots along training: the points of a dose-response curve.

With ``snapshots: {every_fraction: f}`` in a recipe, each stage saves its model and tokenizer
(safetensors) at ``f``, ``2f``, … ``1.0`` of its own steps into ``<run>/snapshots/<global step>/``
with ``snapshot.json``: stage, step, global step and the run's cumulative FLOPs at that step
(``flops_total`` as the compute monitor counts it: generation, training and reference model, the
figure the study's FLOPs column sums). A snapshot is written to a temporary folder and renamed,
so it is whole or absent; one that exists with the stage's fingerprint is kept (a resumed stage
does not write it twice), one from another version of the stage is replaced.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from r1safe.files import atomic_write_json, fresh_partial_dir, publish_dir
from r1safe.train.dist import is_main

SNAPSHOT_FILE = "snapshot.json"


def snapshot_steps(every_fraction: float, max_steps: int) -> list[int]:
    """The stage steps a stage of ``max_steps`` snapshots at (distinct, ascending, last = ``max_steps``)."""
    count = math.ceil(1 / every_fraction - 1e-9)
    fractions = [min(1.0, k * every_fraction) for k in range(1, count + 1)]
    return sorted({min(max_steps, max(1, math.ceil(f * max_steps - 1e-9))) for f in fractions} | {max_steps})


def snapshot_dir(run_dir: str | Path, global_step: int) -> Path:
    return Path(run_dir) / "snapshots" / f"{global_step:06d}"


def read_snapshot(path: Path) -> dict[str, Any] | None:
    """A snapshot folder's record, or None when it is missing or was never finished."""
    try:
        record = json.loads((path / SNAPSHOT_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return record if isinstance(record, dict) else None


def read_snapshots(run_dir: str | Path) -> list[dict[str, Any]]:
    """Every finished snapshot of a run, by global step, each with its ``model_dir``."""
    root = Path(run_dir) / "snapshots"
    out = []
    for path in sorted(root.iterdir()) if root.is_dir() else []:
        if path.is_dir() and (info := read_snapshot(path)) is not None:
            out.append({**info, "model_dir": str(path)})
    return sorted(out, key=lambda s: s["global_step"])


def snapshots_complete(run_dir: str | Path, every_fraction: float, fingerprint: str, offset: int,
                       steps: int) -> bool:
    """Whether a finished stage (``steps`` steps after ``offset``) left every snapshot it should have."""
    for step in snapshot_steps(every_fraction, steps):
        info = read_snapshot(snapshot_dir(run_dir, offset + step))
        if info is None or info.get("fingerprint") != fingerprint:
            return False
    return True


class SnapshotCallback(TrainerCallback):
    """Saves the model at the stage's snapshot steps (see the module doc).

    At a snapshot step it asks the trainer to log (``should_log``), so the compute monitor has
    read that step's token count before :meth:`on_log` saves; ``flops_before`` is what the
    run's earlier stages spent, ``compute`` the stage's :class:`ComputeMonitor`.
    """

    def __init__(self, run_dir: Path, every_fraction: float, stage: str, index: int, fingerprint: str,
                 offset: int, flops_before: float, compute: Any) -> None:
        self.run_dir, self.every_fraction = run_dir, every_fraction
        self.stage, self.index, self.fingerprint = stage, index, fingerprint
        self.offset, self.flops_before, self.compute = offset, flops_before, compute
        self.steps: set[int] = set()
        self.saved: list[int] = []

    def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        self.steps = set(snapshot_steps(self.every_fraction, state.max_steps))

    def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> Any:
        if state.global_step in self.steps:
            control.should_log = True
        return control

    def on_log(self, args: Any, state: Any, control: Any, model: Any = None, processing_class: Any = None,
               **kw: Any) -> None:
        step = state.global_step
        if step not in self.steps or not state.is_world_process_zero or not is_main():
            return
        self.steps.discard(step)
        final = snapshot_dir(self.run_dir, self.offset + step)
        known = read_snapshot(final)
        if known is not None and known.get("fingerprint") == self.fingerprint:
            return
        tmp = fresh_partial_dir(final)
        model.save_pretrained(str(tmp))
        if processing_class is not None:
            processing_class.save_pretrained(str(tmp))
        stage_flops = self.compute.compute().flops_total
        atomic_write_json(tmp / SNAPSHOT_FILE, {
            "stage": self.stage, "stage_index": self.index, "step": step, "stage_steps": state.max_steps,
            "global_step": self.offset + step, "flops": self.flops_before + stage_flops,
            "flops_stage": stage_flops, "fingerprint": self.fingerprint})
        publish_dir(tmp, final)
        self.saved.append(self.offset + step)
