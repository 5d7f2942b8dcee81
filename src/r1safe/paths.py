"""Where r1safe keeps its cache (gym builds, encoders) and default output folders."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$R1SAFE_HOME`` or ``~/.cache/r1safe``: built gyms live here, keyed by content hash."""
    root = os.environ.get("R1SAFE_HOME") or Path.home() / ".cache" / "r1safe"
    return Path(root)
