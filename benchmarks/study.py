"""Wall time and peak memory of the study: the quick study (default) or the full 3-seed one.

Targets: quick <= 10 min (issue 5); the full 3-seed study with the dose-response and Goodhart
sections <= 45 min (issue 14); peak < 6 GiB; on 2 cores. The study runs in a fresh cache and a
fresh folder, the gym build included, as on a new machine. Prints the share of each section.

    python benchmarks/study.py [--full] [--keep DIR] [-- STUDY OPTIONS]   # e.g. -- --jobs 2 --no-goodhart
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _measure import machine, run_measured


def section_seconds(results: dict, out: Path) -> tuple[dict[str, float], dict[str, float]]:
    """The study's wall seconds per phase (seeds with the pieces run beside them; dose-response;
    Goodhart), and the process seconds of each kind of piece (with --jobs, summed over processes)."""
    wall = dict(results.get("timing", {}))
    work = {"arms (train + evaluate)": sum(r.get("wall_s", 0.0) for r in results.get("runs", {}).values())}
    sizes = [json.loads(p.read_text()).get("wall_s", 0.0) for p in out.glob("arms/*@*/seed*/arm.json")]
    if sizes:
        work[f"data-size arms ({len(sizes)})"] = sum(sizes)
    runs = results.get("goodhart", {}).get("compute", {})
    if runs:
        work[f"Goodhart long runs ({len(runs)})"] = sum(c.get("wall_s", 0.0) for c in runs.values())
    return wall, work


def main() -> int:
    own, extra = (sys.argv[: sys.argv.index("--")], sys.argv[sys.argv.index("--") + 1:]) if "--" in sys.argv \
        else (sys.argv, [])
    full = "--full" in own
    keep = own[own.index("--keep") + 1] if "--keep" in own else None
    work = Path(tempfile.mkdtemp(prefix="r1safe-study-bench-"))
    out = Path(keep) if keep else work / "study"
    try:
        cmd = [sys.executable, "-m", "r1safe.cli.main", "study", "--out", str(out),
               *(["--full"] if full else []), *extra]
        m = run_measured(cmd, env={"R1SAFE_HOME": str(work / "home")})
        budget = 2700 if full else 600
        print(f"machine: {machine()}")
        what = ("full, 3 seeds" if full else "quick") + "".join(f" {a}" for a in extra)
        print(f"study ({what}): exit {m['returncode']}, wall {m['wall_s']:.0f} s "
              f"(target <= {budget} s: {m['wall_s'] / budget:.2f}x of budget), peak RSS {m['peak_gib']:.2f} GiB "
              f"(target < 6 GiB: {m['peak_gib'] / 6:.2f}x of budget)")
        for report in (work / "home").glob("gym/*/build_report.json"):
            timings = json.loads(report.read_text())["timings"]
            print(f"  of which the gym build: {timings['total_s']:.0f} s (base-model pretraining "
                  f"{timings['base_model_s']:.0f} s)")
        results = out / "results.json"
        if results.is_file():
            data = json.loads(results.read_text())
            wall, work = section_seconds(data, out)
            for name, seconds in wall.items():
                print(f"  wall, {name}: {seconds:.0f} s ({seconds / m['wall_s']:.0%} of the wall time)")
            for name, seconds in work.items():
                print(f"  process time, {name}: {seconds:.0f} s")
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
