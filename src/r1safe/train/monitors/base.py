"""What the monitors share: a TrainerCallback that times itself and logs ``monitor/<name>/<stat>``.

A monitor measures at some steps (``measure``), keeps the values pending, and merges them into
the next TRL log (so TensorBoard and ``metrics.jsonl`` get them on the same row). Values measured
before training (step 0) or after the last log go straight to the sink. Monitors only observe:
they never change the training.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from transformers import TrainerCallback

from r1safe.train.monitors.sink import MetricsSink


@dataclass
class MonitorInputs:
    """What a stage hands every monitor's ``make(cfg, inputs)``: the sink, the probe (None when off),
    the rollout tap, the proxy rewards (None outside the gym when the stage trains on none) and the
    reference models to measure divergence from (name → model folder; empty outside GRPO)."""

    sink: MetricsSink
    probe: Any = None
    tap: Any = None
    proxy: Any = None
    helpful_proxy: Any = None
    references: dict[str, Any] = field(default_factory=dict)


def mean(values: list[float]) -> float | None:
    vals = [v for v in values if v is not None and not math.isnan(v)]
    return sum(vals) / len(vals) if vals else None


def pearson(xs: list[float], ys: list[float]) -> float | None:
    """Pearson correlation, or None with fewer than 3 points or no spread."""
    pairs = [
        (x, y)
        for x, y in zip(xs, ys, strict=True)
        if x is not None and y is not None and not math.isnan(x) and not math.isnan(y)
    ]
    if len(pairs) < 3:
        return None
    mx = sum(p[0] for p in pairs) / len(pairs)
    my = sum(p[1] for p in pairs) / len(pairs)
    sxy = sum((x - mx) * (y - my) for x, y in pairs)
    sxx = sum((x - mx) ** 2 for x, _ in pairs)
    syy = sum((y - my) ** 2 for _, y in pairs)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return sxy / math.sqrt(sxx * syy)


class Monitor(TrainerCallback):
    """Base monitor: subclasses implement ``measure(step, model, logs)`` returning stats."""

    name = "monitor"

    def __init__(self, sink: MetricsSink) -> None:
        self.sink = sink
        self.seconds = 0.0
        self.pending: dict[str, float] = {}
        self.history: list[dict[str, Any]] = []

    # -- to implement ------------------------------------------------------------------------------
    def measure(self, step: int, model: Any, logs: dict[str, Any] | None) -> dict[str, float | None]:
        """Stats at ``step``; ``logs`` is TRL's log dict when called from ``on_log``, else None."""
        return {}

    def summary(self) -> dict[str, Any]:
        """A few numbers for the stage manifest."""
        return {}

    # -- plumbing ----------------------------------------------------------------------------------
    def _timed(self, step: int, model: Any, logs: dict[str, Any] | None) -> dict[str, float]:
        t0 = time.perf_counter()
        try:
            stats = self.measure(step, model, logs)
        finally:
            self.seconds += time.perf_counter() - t0
        out = {f"monitor/{self.name}/{k}": float(v) for k, v in stats.items() if v is not None}
        if out:
            self.history.append({"step": step, **out})
        return out

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kw: Any) -> None:
        probe = getattr(self, "probe", None)
        if probe is not None and state.max_steps:
            probe.max_steps = state.max_steps
        if state.is_world_process_zero and state.global_step == 0:
            self.sink.write(0, self._timed(0, model, None))

    def on_step_end(self, args: Any, state: Any, control: Any, model: Any = None, **kw: Any) -> None:
        if state.is_world_process_zero:
            self.pending.update(self._timed(state.global_step, model, None))

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, model: Any = None, **kw: Any
    ) -> None:
        if not state.is_world_process_zero or logs is None:
            return
        self.pending.update(self._timed(state.global_step, model, logs))
        logs.update(self.pending)
        self.pending = {}

    def on_train_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        if self.pending and state.is_world_process_zero:
            self.sink.write(state.global_step, self.pending)
        self.pending = {}
