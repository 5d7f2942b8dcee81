"""Shared helpers for the benchmarks: run a command, measure wall time and peak memory, name the machine."""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
import time
from typing import Any


def machine() -> str:
    """CPU model, core count, memory, Python and torch versions, in one line."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    try:
        mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem_gib = float("nan")
    try:
        from importlib.metadata import version

        torch = version("torch")
    except Exception:
        torch = "not installed"
    threads = os.environ.get("R1SAFE_NUM_THREADS", "1")
    return (f"{cpu}, {os.cpu_count()} cores, {mem_gib:.0f} GiB, Python {sys.version.split()[0]}, torch {torch}, "
            f"R1SAFE_NUM_THREADS={threads}, load average {os.getloadavg()[0]:.1f}")


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``cmd`` to completion; wall seconds and the peak RSS (GiB) of its largest process."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env={**os.environ, **(env or {})}, check=False)
    wall = time.perf_counter() - t0
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"returncode": proc.returncode, "wall_s": wall, "peak_gib": peak_kib / 2**20}
