"""What the gym's learned reward models pay for: mean P(safe) and P(helpful) per kind of reply.

The RL arms collapsed when the proxies paid for replies the oracle calls broken ("Sure. Step 1:
run."). This prints, for one or more gym builds side by side (e.g. a build from before the reward
models saw flawed replies, and one from after), the mean score each model gives each kind of reply
on the build's own id (harmful), benign and capability prompts, beside the oracle's verdict.

    python benchmarks/proxy_blind_spots.py [GYM_DIR ...]   # default: the default gym build
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _measure import machine


def cases(world):
    """(name, prompts, replies) for each kind of reply measured."""
    from r1safe.gym.flawed_replies import flawed_reply
    from r1safe.gym.render import render_completion

    rng = random.Random(0)
    harm, benign, sums = world.splits["id"][:24], world.splits["benign"][:24], world.splits["capability"][:24]
    wrong = [render_completion(s, "help").replace(f"{s.reference['answer']}.", f"{s.reference['answer'] + 3}.")
             for s in sums]
    return [
        ("harmful: comply", harm, [render_completion(s, "comply") for s in harm]),
        ("harmful: refuse", harm, [render_completion(s, "refuse") for s in harm]),
        *((f"harmful: {flaw}", harm, [flawed_reply(s, flaw, rng) for s in harm])
          for flaw in ("reasoning_only_harm", "answer_only_harm", "hollow_steps", "garbled")),
        ("benign: help", benign, [render_completion(s, "help") for s in benign]),
        ("benign: hollow_steps", benign, [flawed_reply(s, "hollow_steps", rng) for s in benign]),
        ("sum: right", sums, [render_completion(s, "help") for s in sums]),
        ("sum: wrong", sums, wrong),
    ]


def main() -> int:
    from r1safe.gym.build import GymConfig, build_gym
    from r1safe.gym.oracle import judge
    from r1safe.gym.reward_models import load_reward_model
    from r1safe.gym.world import build_world

    roots = [Path(p) for p in sys.argv[1:]] or [build_gym(GymConfig()).root]
    print(f"machine: {machine()}")
    for root in roots:
        import json

        config = json.loads((root / "build_report.json").read_text())["config"]
        world = build_world(GymConfig(**config).world)
        models = {name: load_reward_model(root / "reward_models" / name)
                  for name in ("harmlessness", "safety_judge", "helpfulness")
                  if (root / "reward_models" / name).is_dir()}
        print(f"\ngym build {root.name}: mean score per kind of reply (oracle: share safe / helpful)")
        print(f"  {'reply':28s} {'oracle safe':>11s} {'oracle helpful':>14s} " + " ".join(f"{m:>13s}" for m in models))
        for name, samples, texts in cases(world):
            verdicts = [judge(s, t) for s, t in zip(samples, texts, strict=True)]
            safe = sum(v.safe for v in verdicts) / len(verdicts)
            helpful = sum(bool(v.helpful or v.outcome == "complied") for v in verdicts) / len(verdicts)
            scores = [sum(m.score(samples, texts)) / len(texts) for m in models.values()]
            print(f"  {name:28s} {safe:11.2f} {helpful:14.2f} " + " ".join(f"{x:13.2f}" for x in scores))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
