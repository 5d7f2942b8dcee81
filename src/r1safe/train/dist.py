"""Several processes (``accelerate launch``): only the main one writes files, all wait together.

Single-process runs (CPU, one GPU) never touch torch.distributed; with ``WORLD_SIZE`` > 1 the
process group is set up by accelerate's :class:`~accelerate.PartialState` on first use.
"""

from __future__ import annotations

import os


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def is_main() -> bool:
    """True in the process that writes manifests, metrics and plots (rank 0, or the only one)."""
    return int(os.environ.get("RANK", "0") or 0) == 0


def barrier() -> None:
    """Wait for every process (a no-op in a single-process run)."""
    if world_size() > 1:
        from accelerate import PartialState

        PartialState().wait_for_everyone()
