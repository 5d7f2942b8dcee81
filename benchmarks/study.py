"""Wall time and peak memory of the study: the quick study (default) or the full 3-seed one.

Targets (issue 5): quick <= 10 min, full 3-seed <= 30 min, peak < 6 GiB, on 2 cores. The
study runs in a fresh cache and a fresh folder, the gym build included, as on a new machine.

    python benchmarks/study.py [--full] [--keep DIR]
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
    full = "--full" in sys.argv
    keep = sys.argv[sys.argv.index("--keep") + 1] if "--keep" in sys.argv else None
    work = Path(tempfile.mkdtemp(prefix="r1safe-study-bench-"))
    out = Path(keep) if keep else work / "study"
    try:
        cmd = [sys.executable, "-m", "r1safe.cli.main", "study", "--out", str(out), *(["--full"] if full else [])]
        m = run_measured(cmd, env={"R1SAFE_HOME": str(work / "home")})
        budget = 1800 if full else 600
        print(f"machine: {machine()}")
        print(f"study ({'full, 3 seeds' if full else 'quick'}): exit {m['returncode']}, wall {m['wall_s']:.0f} s "
              f"(target <= {budget} s: {m['wall_s'] / budget:.2f}x of budget), peak RSS {m['peak_gib']:.2f} GiB "
              f"(target < 6 GiB: {m['peak_gib'] / 6:.2f}x of budget)")
        for report in (work / "home").glob("gym/*/build_report.json"):
            timings = json.loads(report.read_text())["timings"]
            print(f"  of which the gym build: {timings['total_s']:.0f} s (base-model pretraining "
                  f"{timings['base_model_s']:.0f} s)")
        results = out / "results.json"
        if results.is_file():
            data = json.loads(results.read_text())
            for arm, cells in data["table"].items():
                shown = {k: round(c["value"], 3) for k, c in cells.items() if c is not None}
                print(f"  {arm}: {shown}")
            for line in data["verdict"]["axes"] + data["verdict"]["claims"]:
                print(f"  - {line['text']}")
        return m["returncode"]
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
