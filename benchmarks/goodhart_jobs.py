"""The Goodhart section's long runs one at a time vs side by side (``--jobs``), on the default gym.

Runs the same RL-alone Goodhart runs (β 0 and 0.04, one seed, half the recipe's steps by default)
twice in fresh folders, ``jobs`` 1 then ``jobs`` N, each as its own ``r1safe study`` process, and
prints the wall times, their ratio, the largest process's peak memory, and whether the two gave
the same curves (each run is seeded, so they must). The gym build is cached before timing.

    python benchmarks/goodhart_jobs.py [--jobs 2] [--steps 0.5] [--betas 0,0.04]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _measure import machine, run_measured


def study(out: Path, jobs: int, steps: float, betas: str) -> list[str]:
    return [sys.executable, "-m", "r1safe.cli.main", "study", "--arms", "base", "--out", str(out), "--goodhart",
            "--goodhart-arms", "rl", "--goodhart-betas", betas, "--goodhart-steps", str(steps),
            "--jobs", str(jobs)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--steps", type=float, default=0.5, help="each run's steps as a multiple of the recipe's")
    parser.add_argument("--betas", default="0,0.04")
    args = parser.parse_args()
    from r1safe.gym.build import default_gym

    default_gym()
    work = Path(tempfile.mkdtemp(prefix="r1safe-goodhart-jobs-"))
    try:
        measured = {}
        for jobs in (1, args.jobs):
            measured[jobs] = run_measured(study(work / f"jobs{jobs}", jobs, args.steps, args.betas))
            if measured[jobs]["returncode"]:
                print(f"jobs {jobs}: exit {measured[jobs]['returncode']}")
                return measured[jobs]["returncode"]
        results = {j: json.loads((work / f"jobs{j}" / "results.json").read_text()) for j in measured}
        curves = {j: r["goodhart"]["curves"] for j, r in results.items()}
        bon = {j: sum(json.loads(f.read_text())["wall_s"]
                      for f in (work / f"jobs{j}" / "goodhart" / "bon").rglob("*.json")) for j in measured}
        # with jobs > 1 the runs train in the study's first phase, beside the base arm; one at a time, in the
        # Goodhart phase: both phases together, less best-of-n, are the runs plus the base arm's evaluation
        runs = {j: sum(r["timing"].values()) - r["timing"]["dose-response"] - bon[j] for j, r in results.items()}
        one, many = measured[1], measured[args.jobs]
        print(f"machine: {machine()}")
        print(f"{len(curves[1])} RL-alone Goodhart runs (β {args.betas}, {args.steps}× the recipe's steps); "
              "best-of-n and the report stay sequential")
        print(f"  the runs and the base arm's evaluation: one at a time {runs[1]:.0f} s, {args.jobs} side by side "
              f"{runs[args.jobs]:.0f} s: speed-up {runs[1] / runs[args.jobs]:.2f}x")
        print(f"  the whole command: {one['wall_s']:.0f} s vs {many['wall_s']:.0f} s: "
              f"speed-up {one['wall_s'] / many['wall_s']:.2f}x (best-of-n {bon[1]:.0f} s)")
        print(f"  peak RSS of the largest process: {max(one['peak_gib'], many['peak_gib']):.2f} GiB")
        print(f"  same curves: {curves[1] == curves[args.jobs]}")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
