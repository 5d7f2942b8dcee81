"""What rewards and monitors cost inside GRPO, and how many GRPO steps a second this machine runs.

::

    python benchmarks/train_overhead.py                 # the default gym (built on first use)
    python benchmarks/train_overhead.py --micro         # the micro gym: seconds, for a smoke test
    python benchmarks/train_overhead.py --steps 60 --gym PATH

It trains one GRPO stage of ``recipes/gym/hybrid.yaml``'s shape (every reward, KL 0.001, all
monitors with the recipe's probe) from the gym's base model for ``--steps`` steps and reads:

- the instrumented share: time inside the reward functions (the rollout tap times each call) and
  inside the monitors' callbacks (probe generation included), over the training loop's wall time;
  the target is <= 5 %;
- an A/B check: the same stage with one cheap rule reward (format) and the monitors off; the
  difference in seconds per step is the overhead measured from outside (noisy on a busy machine:
  the load average is printed);
- GRPO steps per second (TRL's ``train_runtime``), generated tokens per second, and FLOPs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def machine() -> str:
    """One line naming the machine, torch's threads and the load."""
    import torch

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or cpu
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (
        f"{cpu}, {os.cpu_count()} cores, {gpu}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"Python {platform.python_version()}, load avg {load:.2f}"
    )


def stage(steps: int, full: bool) -> dict[str, Any]:
    """The hybrid recipe's first GRPO stage, at ``steps`` steps (``full``: every reward)."""
    import yaml

    hybrid = yaml.safe_load((ROOT / "recipes" / "gym" / "hybrid.yaml").read_text())
    grpo = dict(next(s for s in hybrid["stages"] if s["kind"] == "grpo"))
    grpo.update(max_steps=steps, save_steps=0)
    if not full:
        grpo["rewards"] = [{"name": "format", "weight": 1.0}]
    return {"recipe": hybrid, "stage": grpo}


def run(gym: Any, steps: int, full: bool, out: Path) -> dict[str, Any]:
    from r1safe.train.monitors import read_metrics
    from r1safe.train.recipe import parse_recipe
    from r1safe.train.runner import run_recipe

    spec = stage(steps, full)
    data = {**spec["recipe"], "name": "overhead", "stages": [spec["stage"]]}
    if not full:
        data["monitors"] = {
            "probe": {"enabled": False},
            "language_mixing": False,
            "drift": False,
            "reward_hacking": {"enabled": False},
        }
    recipe = parse_recipe(data, "benchmark")
    result = run_recipe(recipe, out, gym=gym)
    rows = read_metrics(result.metrics_path)
    final = next(r for r in reversed(rows) if "train_runtime" in r)
    c = result.stages[0].compute
    loop_s = float(final["train_runtime"])
    probes = sum("monitor/reward_hacking/length" in r for r in rows)
    return {
        "steps": result.stages[0].steps,
        "loop_s": loop_s,
        "reward_s": c.reward_s,
        "monitor_s": c.monitor_s,
        "tokens": c.tokens_generated,
        "flops": c.flops_total,
        "params": c.params,
        "probe_s": c.probe_s,
        "probes": probes,
        "probe_every": recipe.monitors.probe.every,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--micro", action="store_true", help="use the micro gym (a smoke test)")
    parser.add_argument("--gym", default=None, help="a built gym folder (default: the default gym)")
    parser.add_argument("--no-ab", action="store_true", help="skip the A/B run without rewards and monitors")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from r1safe.train.data import resolve_gym
    from r1safe.train.runner import apply_threads

    apply_threads(None)
    gym = resolve_gym(args.gym or ("micro" if args.micro else "default"), print)
    print(f"machine: {machine()}")
    print(f"gym: {gym.root}")
    with tempfile.TemporaryDirectory() as tmp:
        full = run(gym, args.steps, True, Path(tmp) / "full")
        bare = None if args.no_ab else run(gym, args.steps, False, Path(tmp) / "bare")
    per_step = full["loop_s"] / full["steps"]
    share = (full["reward_s"] + full["monitor_s"]) / full["loop_s"]
    print(f"model: {full['params']:,} parameters; {full['steps']} GRPO steps")
    print(
        f"GRPO: {full['steps'] / full['loop_s']:.2f} steps/s ({per_step:.3f} s/step), "
        f"{full['tokens'] / full['loop_s']:.0f} generated tokens/s, {full['flops']:.3g} FLOPs"
    )
    print(f"rewards:  {full['reward_s']:7.2f} s  {full['reward_s'] / full['loop_s']:6.1%} of the loop")
    print(
        f"monitors: {full['monitor_s']:7.2f} s  {full['monitor_s'] / full['loop_s']:6.1%} of the loop, "
        f"of which probe generation {full['probe_s']:.2f} s"
    )
    verdict = "meets" if share <= 0.05 else "misses"
    print(f"overhead (instrumented): {share:.1%} of a GRPO step, {verdict} the 5% target")
    if full["probes"]:
        # steady state: rewards and light monitors every step, one probe every `probe_every` steps (the probe
        # before the first step is a per-stage cost that shrinks as a stage gets longer)
        each = full["probe_s"] / full["probes"]
        light = (full["reward_s"] + full["monitor_s"] - full["probe_s"]) / full["loop_s"]
        steady = light + each / (full["probe_every"] * per_step)
        print(
            f"steady state: {steady:.1%} (one {each:.2f} s probe every {full['probe_every']} steps, "
            f"{full['probes']} in this run, + {light:.1%} for rewards and the other monitors)"
        )
    if bare is not None:
        bare_step = bare["loop_s"] / bare["steps"]
        print(
            f"A/B: {per_step:.3f} s/step with every reward and monitor, {bare_step:.3f} s/step with one rule "
            f"reward and no monitors: {(per_step - bare_step) / per_step:+.1%} (noisy; replies differ too)"
        )
    print(json.dumps({"machine": machine(), "full": full, "bare": bare, "overhead_share": share}))


if __name__ == "__main__":
    main()
