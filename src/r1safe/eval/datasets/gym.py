"""The gym suite: the world's held-out test splits (see :mod:`r1safe.gym.world`)."""

from __future__ import annotations

from typing import Any

from r1safe.gym.world import TEST_SPLITS, WorldConfig, build_world
from r1safe.records import Sample


def load(world: WorldConfig | dict[str, Any] | None = None) -> list[Sample]:
    """Every test-split sample of the world drawn by ``world`` (the default gym's when None)."""
    cfg = world if isinstance(world, WorldConfig) else WorldConfig(**(world or {}))
    drawn = build_world(cfg)
    return [s for name in TEST_SPLITS for s in drawn.splits.get(name, [])]
