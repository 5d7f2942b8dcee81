"""Wall time and peak memory of the real track (`r1safe study --real`) from an empty cache, phase by phase.

Targets (issue 24): the whole track, model conversion included, <= 60 min on 2 cores and < 8 GiB. The
study runs with a fresh R1SAFE_HOME and a fresh folder, as on a new machine; its own phase times (the
results' ``timing``) are printed beside each arm's training time and each evaluation's generation and
judging time.

    python benchmarks/real_track.py [--keep DIR] [-- STUDY OPTIONS]   # e.g. -- --jobs 2 --real-config f.yaml
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _measure import machine, run_measured

BUDGET_S, BUDGET_GIB = 3600, 8.0


def main() -> int:
    own, extra = (sys.argv[: sys.argv.index("--")], sys.argv[sys.argv.index("--") + 1:]) if "--" in sys.argv \
        else (sys.argv, [])
    keep = own[own.index("--keep") + 1] if "--keep" in own else None
    work = Path(tempfile.mkdtemp(prefix="r1safe-real-bench-"))
    out = Path(keep) if keep else work / "real"
    cmd = [sys.executable, "-m", "r1safe.cli.main", "study", "--real", "--out", str(out), *extra]
    m = run_measured(cmd, env={"R1SAFE_HOME": str(work / "home")})
    print(f"machine: {machine()}")
    print(f"real track: exit {m['returncode']}, wall {m['wall_s']:.0f} s (target <= {BUDGET_S} s), "
          f"peak {m['peak_gib']:.2f} GiB (target < {BUDGET_GIB:g} GiB)")
    path = out / "results.json"
    if not path.is_file():
        return 1
    results = json.loads(path.read_text())
    print("phases (wall seconds):")
    for phase, seconds in results["timing"].items():
        print(f"  {phase:<80} {seconds:7.0f}")
    print("work (process seconds):")
    for name, corpus in results.get("corpora", {}).items():
        print(f"  {name + ' corpus':<40} {corpus.get('wall_s', 0.0):7.0f}")
    for arm, a in results["arms"].items():
        t = a.get("training") or {}
        for stage in t.get("stages", []):
            print(f"  {arm + ': ' + stage['name'] + ' (' + stage['kind'] + ')':<40} {stage['wall_s']:7.0f}")
        ev = a.get("eval_timing", {})
        print(f"  {arm + ': evaluation':<40} {ev.get('generate_s', 0.0) + ev.get('judge_s', 0.0):7.0f}"
              f"  (generation {ev.get('generate_s', 0.0):.0f}, judges {ev.get('judge_s', 0.0):.0f})")
    ok = m["returncode"] == 0 and m["wall_s"] <= BUDGET_S and m["peak_gib"] < BUDGET_GIB
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
