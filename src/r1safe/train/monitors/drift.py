"""Drift from the starting model: TRL's KL to the reference and the policy's token entropy.

GRPO logs ``kl`` (when ``beta`` > 0) and ``entropy`` each step, SFT logs ``entropy``; this
monitor republishes them as ``monitor/drift/kl`` and ``monitor/drift/entropy`` with running
maxima and the entropy's change since the stage began (a collapsing entropy is the first sign of
a policy that found one reply to give everywhere).
"""

from __future__ import annotations

from typing import Any

from r1safe.train.monitors.base import Monitor, MonitorInputs


class DriftMonitor(Monitor):
    name = "drift"

    def __init__(self, sink: Any) -> None:
        super().__init__(sink)
        self.kl_max: float | None = None
        self.entropy_first: float | None = None
        self.last: dict[str, float] = {}

    def measure(self, step: int, model: Any, logs: dict[str, Any] | None) -> dict[str, float | None]:
        if logs is None:
            return {}
        stats: dict[str, float | None] = {}
        if isinstance(logs.get("kl"), int | float):
            kl = float(logs["kl"])
            self.kl_max = kl if self.kl_max is None else max(self.kl_max, kl)
            stats.update(kl=kl, kl_max=self.kl_max)
        if isinstance(logs.get("entropy"), int | float):
            ent = float(logs["entropy"])
            self.entropy_first = ent if self.entropy_first is None else self.entropy_first
            stats.update(entropy=ent, entropy_change=ent - self.entropy_first)
        self.last.update({k: v for k, v in stats.items() if v is not None})
        return stats

    def summary(self) -> dict[str, Any]:
        return dict(self.last)


def make(cfg: Any, inputs: MonitorInputs) -> DriftMonitor | None:
    """The drift monitor when the recipe's ``monitors.drift`` is on."""
    return DriftMonitor(inputs.sink) if cfg.drift else None
