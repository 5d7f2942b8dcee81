"""Compute: tokens generated and trained, FLOPs and wall time, per stage and cumulatively.

FLOPs follow the usual estimates with N the model's parameter count (tied embeddings once):
training costs 6·N per token seen by a forward+backward pass, generation 2·N per token (prompt
prefill and decoded tokens alike), and GRPO's reference model (``beta`` > 0) a further 2·N per
token of each rollout. For GRPO, ``num_tokens`` (TRL: prompt + completion tokens of every
rollout) is the generation count, trained ``num_iterations`` times. For SFT, TRL's ``num_tokens``
is the trained count. The probe's generation is overhead, kept apart (``probe_flops``), as are the
forward passes monitors make on the probe's replies (a monitor's ``forward_tokens``).
``overhead_share`` is the time spent in rewards and monitors over the stage's wall time.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from r1safe.train.monitors.base import Monitor


@dataclass
class Compute:
    """A stage's (or a run's) compute; add two with ``+``."""

    params: int = 0
    trainable: int = 0
    tokens_generated: int = 0
    tokens_prompt: int = 0
    tokens_trained: int = 0
    flops_generation: float = 0.0
    flops_training: float = 0.0
    flops_reference: float = 0.0
    probe_flops: float = 0.0
    wall_s: float = 0.0
    reward_s: float = 0.0
    monitor_s: float = 0.0
    probe_s: float = 0.0

    @property
    def flops_total(self) -> float:
        return self.flops_generation + self.flops_training + self.flops_reference

    def as_dict(self) -> dict[str, float]:
        return {**asdict(self), "flops_total": self.flops_total}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Compute:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def __add__(self, other: Compute) -> Compute:
        out = Compute(**{k: getattr(self, k) + getattr(other, k) for k in self.__dataclass_fields__})
        out.params = max(self.params, other.params)
        out.trainable = max(self.trainable, other.trainable)
        return out


def count_params(model: Any) -> int:
    return int(sum(p.numel() for p in model.parameters()))


def count_trainable(model: Any) -> int:
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def training_flops_per_token(params: int, trainable: int) -> float:
    """Forward (2 per parameter) and backward (about 4 per *trained* parameter: the gradients of the
    activations and of the weights, which stop at the lowest trained layer): 6N when every parameter trains."""
    return 2.0 * params + 4.0 * (trainable or params)


class ComputeMonitor(Monitor):
    """Accounts a training stage's compute (always on); logs ``monitor/compute/*`` when ``log``."""

    name = "compute"

    def __init__(
        self,
        sink: Any,
        kind: str,
        beta: float = 0.0,
        num_iterations: int = 1,
        tap: Any = None,
        probe: Any = None,
        monitors: list[Monitor] | None = None,
        log: bool = True,
        base: Compute | None = None,
    ) -> None:
        super().__init__(sink)
        self.kind = kind
        self.beta = beta
        self.num_iterations = num_iterations
        self.tap = tap
        self.probe = probe
        self.monitors = monitors or []
        self.log = log
        self.base = base or Compute()
        self.params = 0
        self.trainable = 0
        self.num_tokens = 0
        self.world_size = 1
        self._t0 = time.perf_counter()

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kw: Any) -> None:
        self._t0 = time.perf_counter()
        self.world_size = max(1, int(getattr(args, "world_size", 1)))
        if model is not None:
            self.params = count_params(model)
            self.trainable = count_trainable(model)

    def compute(self) -> Compute:
        """This stage's compute so far (plus ``base``: work done before a resume)."""
        n = self.params
        c = Compute(
            params=n,
            wall_s=time.perf_counter() - self._t0,
            monitor_s=sum(m.seconds for m in self.monitors) + self.seconds,
        )
        if self.probe is not None:
            c.probe_flops = 2.0 * n * self.probe.tokens_generated
            c.probe_s = self.probe.seconds
        c.probe_flops += 2.0 * n * sum(getattr(m, "forward_tokens", 0) for m in self.monitors)
        if self.kind == "grpo":
            completion = (self.tap.completion_tokens if self.tap is not None else 0) * self.world_size
            c.tokens_generated = completion
            c.tokens_prompt = max(0, self.num_tokens - completion)
            c.tokens_trained = self.num_tokens * self.num_iterations
            c.flops_generation = 2.0 * n * self.num_tokens
            c.flops_training = training_flops_per_token(n, self.trainable) * c.tokens_trained
            c.flops_reference = 2.0 * n * self.num_tokens if self.beta > 0 else 0.0
            c.reward_s = self.tap.reward_seconds if self.tap is not None else 0.0
        else:
            c.tokens_trained = self.num_tokens
            c.flops_training = training_flops_per_token(n, self.trainable) * self.num_tokens
        c.trainable = self.trainable
        c = c + self.base
        c.params = n or self.base.params
        return c

    def measure(self, step: int, model: Any, logs: dict[str, Any] | None) -> dict[str, float | None]:
        if logs is None:
            return {}
        if isinstance(logs.get("num_tokens"), int | float):
            self.num_tokens = int(logs["num_tokens"])
        if not self.log:
            return {}
        c = self.compute()
        share = (c.reward_s + c.monitor_s) / c.wall_s if c.wall_s > 0 else None
        return {
            "tokens_generated": c.tokens_generated,
            "tokens_trained": c.tokens_trained,
            "flops_total": c.flops_total,
            "flops_generation": c.flops_generation,
            "flops_training": c.flops_training,
            "wall_s": c.wall_s,
            "overhead_share": share,
        }

    def on_train_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        super().on_train_end(args, state, control, **kw)
