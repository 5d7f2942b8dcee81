"""Training monitors: TrainerCallbacks that log ``monitor/<name>/<stat>`` while a stage trains.

- ``reward_hacking``: proxy harmlessness (and helpfulness) vs an independent judge on a fixed
  held-out probe set;
- ``language_mixing``: mixed-language reasoning on the probe and on GRPO rollouts;
- ``divergence``: KL(π‖π_ref) and d = √KL on the probe replies, against the stage's start and the base
  model (the x axis of a Goodhart curve, :func:`goodhart_curve`);
- ``drift``: KL to the reference and entropy (from TRL's logs);
- ``compute``: tokens, FLOPs, wall time and the share spent in rewards and monitors.

:func:`build_monitors` assembles them for one stage; :class:`SinkCallback` then writes every log
row to the run's ``metrics.jsonl`` and :func:`plot_run` draws it. A new monitor is one file here
with ``make(cfg, inputs: MonitorInputs) -> Monitor | None`` (None when it does not apply) and one
``register_lazy`` line below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from r1safe.registry import Registry
from r1safe.train.monitors.base import Monitor, MonitorInputs
from r1safe.train.monitors.compute import Compute, ComputeMonitor
from r1safe.train.monitors.divergence import goodhart_curve
from r1safe.train.monitors.plots import plot_run
from r1safe.train.monitors.probe import Probe
from r1safe.train.monitors.reward_hacking import hacking_curve
from r1safe.train.monitors.sink import MetricsSink, SinkCallback, read_metrics

__all__ = [
    "MONITORS",
    "Compute",
    "ComputeMonitor",
    "MetricsSink",
    "Monitor",
    "MonitorInputs",
    "MonitorSet",
    "SinkCallback",
    "build_monitors",
    "goodhart_curve",
    "hacking_curve",
    "plot_run",
    "read_metrics",
]

MONITORS: Registry[Monitor] = Registry("monitor")

# In the order they run (and log) within a step; ``compute`` is not here: it times all of them.
for _name in ("reward_hacking", "divergence", "language_mixing", "drift"):
    MONITORS.register_lazy(_name, f"r1safe.train.monitors.{_name}")


@dataclass
class MonitorSet:
    """The callbacks of one stage, in the order they must run (monitors, compute, then the sink)."""

    monitors: list[Monitor]
    compute: ComputeMonitor
    sink: SinkCallback
    probe: Probe | None = None
    extra: list[Any] = field(default_factory=list)

    @property
    def callbacks(self) -> list[Any]:
        return [*self.monitors, self.compute, self.sink, *self.extra]

    def install(self, trainer: Any) -> None:
        """Put the callbacks first, so the monitors' keys reach TensorBoard and the sink; drop
        transformers' stdout printer (the runner reports progress itself)."""
        from transformers import PrinterCallback, ProgressCallback

        for cb in (PrinterCallback, ProgressCallback):
            trainer.remove_callback(cb)
        for i, cb in enumerate(self.callbacks):
            trainer.callback_handler.callbacks.insert(i, cb)

    def summary(self) -> dict[str, Any]:
        return {m.name: m.summary() for m in self.monitors if m.summary()}


def build_monitors(
    cfg: Any,
    kind: str,
    sink: MetricsSink,
    *,
    samples: list[Any],
    tokenizer: Any,
    max_steps: int,
    proxy: Any = None,
    helpful_proxy: Any = None,
    tap: Any = None,
    beta: float = 0.0,
    num_iterations: int = 1,
    base: Compute | None = None,
    references: dict[str, Any] | None = None,
) -> MonitorSet:
    """The monitors of one stage from the recipe's ``monitors`` config: every registered monitor
    that applies, in registration order (see the module doc)."""
    probe = Probe(cfg.probe, samples, tokenizer, max_steps) if cfg.probe.enabled and samples else None
    inputs = MonitorInputs(sink, probe, tap, proxy, helpful_proxy, dict(references or {}))
    monitors = [m for name in MONITORS if (m := MONITORS.get(name)(cfg, inputs)) is not None]
    compute = ComputeMonitor(
        sink,
        kind,
        beta=beta,
        num_iterations=num_iterations,
        tap=tap,
        probe=probe,
        monitors=monitors,
        log=cfg.compute,
        base=base,
    )
    return MonitorSet(monitors, compute, SinkCallback(sink, tap), probe)
