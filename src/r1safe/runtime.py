"""Process-wide runtime settings for CPU work: how many threads torch may use.

On a 2-core machine torch's default of one thread per core thrashes as soon as anything else
is busy (measured here: a tiny Qwen2 trained 12x slower under contention with 2 threads than
with 1), and the gym's models are too small to gain much from a second thread anyway. So r1safe
uses one thread unless ``R1SAFE_NUM_THREADS`` or an explicit setting says otherwise.
"""

from __future__ import annotations

import os


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op thread count (argument, else ``$R1SAFE_NUM_THREADS``, else 1)."""
    import torch

    n = threads or int(os.environ.get("R1SAFE_NUM_THREADS", "1"))
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n
