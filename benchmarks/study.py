"""Wall time and peak memory of the study: the quick study (default) or the full 3-seed one.

Targets: the quick study at least 3x faster than before issue 28 (on the machine where that code
took 559 s, <= 190 s) and the README's first command <= 5 min; the full 3-seed study with the
dose-response and Goodhart sections <= 45 min; peak < 6 GiB; on 2 cores. The study runs in a fresh
cache and a fresh folder, the gym build included, as on a new machine. Prints each phase's wall
time, the gym build's, each arm's, and the table and verdict.

    python benchmarks/study.py [--full] [--keep DIR] [-- STUDY OPTIONS]   # e.g. -- --jobs 2 --no-goodhart
    python benchmarks/study.py --baseline 75bd815                         # that commit first, then this code

``--baseline REV`` runs the study of an older commit (``git archive`` of REV into a temporary
folder, run with that folder's ``src`` first on the path) on the same machine, in its own fresh
cache, then this checkout's, and prints both side by side with the speedup and, for every table
cell, whether this code's value lies inside the older run's interval. The two run one after the
other (side by side they would share the cores): compare them on a quiet machine, and read the
load averages printed with each.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _measure import machine, run_measured

ROOT = Path(__file__).resolve().parents[1]


def section_seconds(results: dict, out: Path) -> tuple[dict[str, float], dict[str, float]]:
    """The study's wall seconds per phase (seeds with the pieces run beside them; dose-response;
    Goodhart), and the process seconds of each kind of piece (with --jobs, summed over processes)."""
    wall = dict(results.get("timing", {}))
    work = {f"arm {name}": r.get("wall_s", 0.0) for name, r in results.get("runs", {}).items()}
    sizes = [json.loads(p.read_text()).get("wall_s", 0.0) for p in out.glob("arms/*@*/seed*/arm.json")]
    if sizes:
        work[f"data-size arms ({len(sizes)})"] = sum(sizes)
    runs = results.get("goodhart", {}).get("compute", {})
    if runs:
        work[f"Goodhart long runs ({len(runs)})"] = sum(c.get("wall_s", 0.0) for c in runs.values())
    return wall, work


def run_study_once(src: Path, full: bool, extra: list[str], keep: str | None) -> dict[str, Any]:
    """Run the study of the code in ``src`` from an empty cache; its wall time, peak memory and outputs."""
    work = Path(tempfile.mkdtemp(prefix="r1safe-study-bench-"))
    out = Path(keep) if keep else work / "study"
    cmd = [sys.executable, "-m", "r1safe.cli.main", "study", "--out", str(out), *(["--full"] if full else []), *extra]
    env = {"R1SAFE_HOME": str(work / "home"), "PYTHONPATH": str(src) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    load_before = os.getloadavg()[0]
    m = run_measured(cmd, env=env)
    m["load"] = (load_before, os.getloadavg()[0])
    m["builds"] = [json.loads(p.read_text())["timings"] for p in (work / "home").glob("gym/*/build_report.json")]
    results = out / "results.json"
    m["results"] = json.loads(results.read_text()) if results.is_file() else None
    m["out"] = out
    m["work"] = work
    return m


def show(name: str, m: dict[str, Any], budget: float) -> None:
    print(f"{name}: exit {m['returncode']}, wall {m['wall_s']:.0f} s (target <= {budget:.0f} s: "
          f"{m['wall_s'] / budget:.2f}x of it), peak RSS {m['peak_gib']:.2f} GiB; load average "
          f"{m['load'][0]:.1f} before, {m['load'][1]:.1f} after")
    for timings in m["builds"]:
        print(f"  gym build: {timings['total_s']:.0f} s (base-model pretraining {timings['base_model_s']:.0f} s, "
              f"reward models {timings.get('reward_models_s', 0):.0f} s)")
    data = m["results"]
    if data is None:
        return
    wall, work = section_seconds(data, m["out"])
    for phase, seconds in wall.items():
        print(f"  wall, {phase}: {seconds:.0f} s ({seconds / m['wall_s']:.0%} of the wall time)")
    for piece, seconds in work.items():
        print(f"  process time, {piece}: {seconds:.0f} s")


def compare_tables(old: dict[str, Any], new: dict[str, Any]) -> None:
    """Each table cell of the new run beside the old run's value and interval."""
    outside = 0
    for arm, cells in new["table"].items():
        before = old["table"].get(arm, {})
        shown = []
        for key, cell in cells.items():
            prior = before.get(key)
            if cell is None or prior is None or key in ("wall_s", "flops"):
                continue
            lo, hi = (prior.get("ci") or [prior["value"], prior["value"]])[:2]
            inside = lo - 1e-9 <= cell["value"] <= hi + 1e-9
            outside += not inside
            shown.append(f"{key} {prior['value']:.3f}->{cell['value']:.3f}{'' if inside else ' (OUTSIDE)'}")
        print(f"  {arm}: " + "; ".join(shown))
    print(f"  cells outside the older run's 95% interval: {outside}")
    verdicts = [(a["text"], b["text"]) for a, b in zip(old["verdict"]["claims"], new["verdict"]["claims"],
                                                       strict=False)]
    changed = [pair for pair in verdicts if pair[0] != pair[1]]
    print(f"  verdict claims worded differently: {len(changed)} of {len(verdicts)}")
    for before, after in changed:
        print(f"    before: {before}\n    after:  {after}")


def export(rev: str) -> Path:
    """The source tree of commit ``rev`` in a temporary folder (its ``src``)."""
    folder = Path(tempfile.mkdtemp(prefix="r1safe-baseline-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder / "src"


def main() -> int:
    own, extra = (sys.argv[: sys.argv.index("--")], sys.argv[sys.argv.index("--") + 1:]) if "--" in sys.argv \
        else (sys.argv, [])
    full = "--full" in own
    keep = own[own.index("--keep") + 1] if "--keep" in own else None
    baseline = own[own.index("--baseline") + 1] if "--baseline" in own else None
    budget = 2700.0 if full else 300.0
    what = ("full, 3 seeds" if full else "quick") + "".join(f" {a}" for a in extra)
    print(f"machine: {machine()}")
    runs: dict[str, dict[str, Any]] = {}
    try:
        if baseline:
            src = export(baseline)
            runs[f"commit {baseline}"] = run_study_once(src, full, extra, None)
            shutil.rmtree(src.parent, ignore_errors=True)
        runs["this checkout"] = run_study_once(ROOT / "src", full, extra, keep)
        for name, m in runs.items():
            show(f"study ({what}), {name}", m, budget)
        current = runs["this checkout"]
        if current["results"] is not None:
            data = current["results"]
            for arm, cells in data["table"].items():
                shown = {k: round(c["value"], 3) for k, c in cells.items() if c is not None}
                print(f"  {arm}: {shown}")
            for line in data["verdict"]["axes"] + data["verdict"]["claims"]:
                print(f"  - {line['text']}")
        if baseline:
            old = runs[f"commit {baseline}"]
            print(f"speedup over commit {baseline}: {old['wall_s'] / current['wall_s']:.2f}x "
                  f"({old['wall_s']:.0f} s -> {current['wall_s']:.0f} s, target >= 3x)")
            if old["results"] is not None and current["results"] is not None:
                compare_tables(old["results"], current["results"])
        return max(m["returncode"] for m in runs.values())
    finally:
        for m in runs.values():
            shutil.rmtree(m["work"], ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
