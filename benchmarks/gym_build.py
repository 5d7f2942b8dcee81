"""Time and peak memory of ``r1safe gym build`` from scratch (default config, fresh cache).

Targets (issue 2): under 5 minutes and under 4 GiB on 2 cores. Prints the build's own summary
(proxy accuracy and base-model rates per split) and the machine it ran on.

    python benchmarks/gym_build.py [--micro]
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _measure import machine, run_measured


def main() -> int:
    micro = "--micro" in sys.argv
    home = Path(tempfile.mkdtemp(prefix="r1safe-bench-"))
    try:
        cmd = [sys.executable, "-m", "r1safe.cli.main", "gym", "build", *(["--micro"] if micro else [])]
        m = run_measured(cmd, env={"R1SAFE_HOME": str(home)})
        reports = list(home.glob("gym/*/build_report.json"))
        print(f"machine: {machine()}")
        print(f"gym build ({'micro' if micro else 'default'}): exit {m['returncode']}, "
              f"wall {m['wall_s']:.0f} s (target < 300 s: {m['wall_s'] / 300:.2f}x of budget), "
              f"peak RSS {m['peak_gib']:.2f} GiB (target < 4 GiB: {m['peak_gib'] / 4:.2f}x of budget)")
        if reports:
            report = json.loads(reports[0].read_text())
            print("stage timings (s):", {k: round(v) for k, v in report["timings"].items()})
            print("base model:", json.dumps(report["base_model"]))
            print("proxy accuracy:", {k: round(v["accuracy"], 3) for k, v in report["reward_models"].items()})
        return m["returncode"]
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
