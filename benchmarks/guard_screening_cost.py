"""What screening costs per request, in CPU milliseconds, for the default policy as it resolves for the
gym model and for a real model, side by side in one process.

    python benchmarks/guard_screening_cost.py [--n 300]

``benchmarks/guard_overhead.py`` measures the guard end to end on loopback, where a busy shared
machine's queueing swamps a few milliseconds; this one times the screens themselves with
``time.process_time`` (CPU time of this process, 1 torch thread): the input screen
(:class:`r1safe.guard.screening.InputScreen`, every normalised reading of every part) on each gym
request, held-out real request and obfuscated real request, and the output screen
(:class:`~r1safe.guard.screening.OutputScreen`: the guard classifier on every part of the reasoning and
the answer, plus the refusal judge for a real model) on each gym reply, as one non-streamed request
screens them. Prints p50 / p99 per policy beside the target (p50 ≤ 20 ms per request).
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np


def cpu_ms(fn, items) -> list[float]:
    """CPU milliseconds of ``fn`` on each item."""
    out = []
    for item in items:
        start = time.process_time()
        fn(item)
        out.append((time.process_time() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="requests per kind")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    from guard_adversarial import real_transforms
    from r1safe.classifiers.data.harm import load_harm_rows
    from r1safe.guard.policy import for_model, load_policy
    from r1safe.guard.screening import InputScreen, OutputScreen, request_sample
    from r1safe.guard.testing import machine
    from r1safe.gym.render import render_completion
    from r1safe.gym.world import build_world
    from r1safe.text.think_format import parse_reply

    rng = random.Random(0)
    world = build_world()
    gym = [s for name in ("benign", "borderline", "id") for s in world.split(name)]
    gym = rng.sample(gym, min(args.n, len(gym)))
    real = [r.text for r in load_harm_rows() if r.head == "request" and r.split == "test"]
    real = rng.sample(real, min(args.n, len(real)))
    ops = list(real_transforms().values())
    obfuscated = [rng.choice(ops)(t) for t in real]
    replies = [parse_reply(render_completion(s, "comply" if s.kind == "harmful" else "help")) for s in gym]
    pairs = list(zip(gym, replies, strict=True))
    print(f"machine: {machine()}")
    print(f"{'policy':14}{'input: gym':>22}{'input: real':>22}{'input: obfuscated':>22}{'output: gym reply':>22}"
          f"{'request total':>22}")
    for name, gym_model in (("gym", True), ("real default", False)):
        policy = for_model(load_policy(None), gym_model=gym_model)
        screen_in, screen_out = InputScreen(policy), OutputScreen(policy)
        screen_out.screen(request_sample("w", gym[0].prompt, "en"), "warm up", "warm up")

        rows = [
            cpu_ms(lambda s, f=screen_in: f.screen([m["content"] for m in s.prompt]), gym),
            cpu_ms(lambda t, f=screen_in: f.screen([t]), real),
            cpu_ms(lambda t, f=screen_in: f.screen([t]), obfuscated),
            cpu_ms(lambda sr, f=screen_out: f.screen(request_sample("r", sr[0].prompt, sr[0].language),
                                                      sr[1].reasoning, sr[1].answer), pairs),
        ]
        total = [a + b for a, b in zip(rows[0], rows[3], strict=True)]  # one gym request: input + output screen
        cells = "".join(f"{f'p50 {np.percentile(r, 50):.1f} / p99 {np.percentile(r, 99):.1f}':>22}" for r in rows)
        p50 = np.percentile(total, 50)
        print(f"{name:14}{cells}{f'p50 {p50:.1f} / p99 {np.percentile(total, 99):.1f}':>22}"
              f"  target p50 <= 20 ms: {'PASS' if p50 <= 20 else 'FAIL'}")
    print("(CPU milliseconds per request, 1 torch thread; 'request total' = input + output screen of a gym request)")


if __name__ == "__main__":
    main()
