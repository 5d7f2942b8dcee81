"""Seconds per GRPO step of ``recipes/gym/rl.yaml`` on one core, and where they go.

::

    python benchmarks/grpo_step.py                 # 20 steps, r1safe's sampler and TRL's generate() interleaved
    python benchmarks/grpo_step.py --steps 40 --rollouts r1safe
    python benchmarks/grpo_step.py --micro         # the micro gym: a smoke test in seconds

Each run trains the recipe's GRPO stage (every reward, KL 0.001, the recipe's monitors and probe)
from the gym's base model for ``--steps`` steps in a fresh folder, under ``cProfile``; rounds of
the samplers are interleaved so that both see the same load. It prints the machine, CPU seconds
per step of the training loop (with one torch thread, what an idle core's wall time would be; a
shared machine inflates wall time far more, so that is printed beside it) and the share of the
step spent sampling, scoring rewards, on the reference model's log-probs, in the policy's forward
and backward passes, and in the monitors. Target (issue 28): <= 0.4 s per step with r1safe's
sampler.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _measure import machine

#: Profile rows: (label, function names whose cumulative time it is). Names are matched on the function
#: name alone; a label takes the largest matching cumulative time (callers of each other are not added).
PARTS = (
    ("sampling (rollout)", ("_generate",)),
    ("rewards", ("_calculate_rewards",)),
    ("reference log-probs", ("_generate_and_score_completions-minus",)),
    ("loss forward", ("compute_loss",)),
    ("backward", ("backward",)),
    ("monitors (callbacks: probe, KL, plots' data)", ("call_event",)),
)


def stage_recipe(steps: int, rollout: str) -> dict[str, Any]:
    import yaml

    from r1safe.paths import shipped_recipe

    path = shipped_recipe("gym/rl")
    assert path is not None
    recipe = yaml.safe_load(path.read_text())
    grpo = dict(recipe["stages"][0])
    grpo.update(max_steps=steps, save_steps=0, rollout=rollout)
    return {**recipe, "name": f"grpo-step-{rollout}", "stages": [grpo]}


def run_once(gym: Any, steps: int, rollout: str, out: Path) -> dict[str, Any]:
    from r1safe.train.monitors import read_metrics
    from r1safe.train.recipe import parse_recipe
    from r1safe.train.runner import run_recipe

    recipe = parse_recipe(stage_recipe(steps, rollout), "benchmark")
    profiler = cProfile.Profile(time.process_time)  # CPU seconds: a busy machine inflates them far less than wall
    profiler.enable()
    result = run_recipe(recipe, out, gym=gym)
    profiler.disable()
    rows = read_metrics(result.metrics_path)
    final = next(r for r in reversed(rows) if "train_runtime" in r)
    loop_s = float(final["train_runtime"])
    stats = pstats.Stats(profiler)
    cumulative: dict[str, float] = {}
    for (_file, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        cumulative[name] = max(cumulative.get(name, 0.0), ct)
    cumulative["_generate_and_score_completions-minus"] = (
        cumulative.get("_generate_and_score_completions", 0.0) - cumulative.get("_generate", 0.0)
        - cumulative.get("_calculate_rewards", 0.0))
    parts = {label: max(cumulative.get(n, 0.0) for n in names) for label, names in PARTS}
    cpu_s = cumulative.get("_inner_training_loop", 0.0)
    rewards = [r["reward"] for r in rows if "reward" in r]
    return {"steps": result.stages[0].steps, "loop_s": loop_s, "cpu_s": cpu_s, "parts": parts,
            "tokens": result.stages[0].compute.tokens_generated, "reward_mean": statistics.mean(rewards)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--rollouts", default="r1safe,trl", help="comma-separated: r1safe, trl")
    parser.add_argument("--micro", action="store_true", help="the micro gym (a smoke test)")
    parser.add_argument("--gym", default=None, help="a built gym folder (default: the default gym)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

    from r1safe.train.data import resolve_gym
    from r1safe.train.runner import apply_threads

    apply_threads(None)
    gym = resolve_gym(args.gym or ("micro" if args.micro else "default"), print)
    rollouts = [r.strip() for r in args.rollouts.split(",") if r.strip()]
    print(f"machine: {machine()}")
    print(f"gym: {gym.root}; recipes/gym/rl.yaml's GRPO stage, {args.steps} steps per run, {args.rounds} round(s)")
    runs: dict[str, list[dict[str, Any]]] = {r: [] for r in rollouts}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.rounds):
            for rollout in rollouts:
                runs[rollout].append(run_once(gym, args.steps, rollout, Path(tmp) / f"{rollout}-{k}"))
    for rollout, results in runs.items():
        wall = statistics.median(r["loop_s"] / r["steps"] for r in results)
        cpu = statistics.median(r["cpu_s"] / r["steps"] for r in results)
        best = min(results, key=lambda r: r["cpu_s"])
        print(f"\nsampler {rollout}: {cpu:.3f} CPU s per GRPO step, {wall:.3f} s wall (medians of {len(results)}; "
              "CPU per round: " + ", ".join(f"{r['cpu_s'] / r['steps']:.3f}" for r in results)
              + f"), {best['tokens'] / best['cpu_s']:.0f} generated tokens per CPU s, mean reward "
              f"{best['reward_mean']:.3f}")
        for label, seconds in best["parts"].items():
            print(f"  {label:46s} {seconds / best['steps']:.3f} CPU s/step  {seconds / best['cpu_s']:6.1%}")
    if "r1safe" in runs and "trl" in runs:
        ours = statistics.median(r["cpu_s"] / r["steps"] for r in runs["r1safe"])
        theirs = statistics.median(r["cpu_s"] / r["steps"] for r in runs["trl"])
        print(f"\nr1safe's sampler: {theirs / ours:.2f}x less CPU per step than TRL's generate(); target <= 0.4 s: "
              f"{'met' if ours <= 0.4 else 'missed'} ({ours:.3f} CPU s; on an idle core wall time is CPU time)")

if __name__ == "__main__":
    main()
