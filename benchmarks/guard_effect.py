"""What the guard buys: ``r1safe eval`` through the guard's URL versus the bare model.

::

    python benchmarks/guard_effect.py                          # the default gym's base model
    python benchmarks/guard_effect.py --gym DIR --model DIR    # another gym build, and a trained arm too
    python benchmarks/guard_effect.py --limit 8 --samples 2    # quicker

For each model it runs the evaluation pipeline twice on the gym's held-out test splits: with the
``transformers`` backend on the bare model, and with the ``openai`` backend pointed at
``r1safe serve --model MODEL`` on loopback, under the default policy with the output language
stated in the prompt (``Answer in English.``) and without it. It prints harmful compliance and
harmful reasoning on every harmful split, over-refusal on borderline and benign, and capability,
each with its 95% interval, bare and guarded side by side. Reasoning that the guard withholds
from a blocked reply is not counted as harmful reasoning: the client never sees it.

The guard's classifier is trained here, from the gym, without this gym's test prompts; with
``--scope all`` (default) it has seen every category's topics in other phrasings, with ``--scope
seen`` only the categories, wrappers and language that safety training may see.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

ROWS = [("harmful_compliance", s) for s in ("id", "ood_category", "ood_wrapper", "ood_language", "multi_turn")]
ROWS += [("harmful_reasoning", s) for s in ("id", "ood_category", "ood_wrapper", "ood_language", "multi_turn")]
ROWS += [("over_refusal", "borderline"), ("over_refusal", "benign"), ("capability", "capability")]


def cell(metrics: dict[str, Any], name: str, split: str) -> str:
    st = (metrics.get(name) or {}).get("by_split", {}).get(split)
    if not st:
        return "-"
    lo, hi = st["ci"] or (float("nan"), float("nan"))
    return f"{st['value']:.2f} [{lo:.2f},{hi:.2f}]"


def evaluate(model: str, gym: str | None, out: Path, args: argparse.Namespace, url: str | None) -> dict[str, Any]:
    from r1safe.backends.base import GenerationParams
    from r1safe.eval.config import EvalConfig
    from r1safe.eval.pipeline import run

    cfg = EvalConfig(
        model=model if url is None else "guard",
        gym=gym,
        limit=args.limit,
        out=str(out),
        report=False,
        backend="transformers" if url is None else "openai",
        base_url=url,
        judges=["oracle", "refusal", "format"],
        backend_options={} if url is None else {"concurrency": 16, "timeout": 300},
        generation=GenerationParams(n=args.samples, max_new_tokens=args.max_new_tokens),
        bootstrap=500,
    )
    start = time.perf_counter()
    results = run(cfg)
    print(
        f"  {'guarded' if url else 'bare':<8} {model}: {results['counts']['completions']} replies in "
        f"{time.perf_counter() - start:.0f}s"
    )
    return results["metrics"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", action="append", help="model dirs (default: the gym's base model)")
    parser.add_argument("--gym", default=None, help="a built gym folder (default: the default gym)")
    parser.add_argument("--limit", type=int, default=16, help="prompts per split")
    parser.add_argument("--samples", type=int, default=2, help="replies per prompt")
    parser.add_argument("--max-new-tokens", type=int, default=160)
    parser.add_argument(
        "--scope",
        choices=["all", "seen"],
        default="all",
        help="guard classifier data: every category and language, or what safety training sees",
    )
    args = parser.parse_args()

    from r1safe.classifiers.harm.training import gym_data, train_classifier
    from r1safe.eval import gym_link
    from r1safe.guard.testing import free_port, machine, spawn_guard
    from r1safe.gym.world import TEST_SPLITS, WorldConfig, build_world

    print(f"machine: {machine()}")
    tmp = Path(tempfile.mkdtemp(prefix="guard-effect-"))
    world = build_world(WorldConfig(**gym_link.world_config(args.gym)))
    test_texts = {s.last_user_text for name in TEST_SPLITS for s in world.split(name)}
    classifier = train_classifier(gym_data(args.scope, exclude=test_texts))
    print(f"guard classifier: scope {args.scope}, trained without this gym's test prompts")
    classifier.save(tmp / "classifier")
    base = {
        "classifier": str(tmp / "classifier"),
        "limits": {"rate_per_minute": 1e6, "burst": 100000, "upstream_timeout_s": 600, "max_tokens": 4096},
    }
    variants = {
        "guard + language note": {"language": {"state_in_prompt": True}},
        "guard, no language note": {"language": {"state_in_prompt": False}},
    }
    policies = []
    for j, extra in enumerate(variants.values()):
        path = tmp / f"policy-{j}.yaml"
        path.write_text(json.dumps({**base, **extra}))
        policies.append(path)
    models = args.model or [gym_link.base_model_dir(args.gym)]
    tables = {}
    for i, model in enumerate(models):
        print(f"\nmodel {model}")
        columns = {"bare model": evaluate(model, args.gym, tmp / f"bare-{i}", args, None)}
        for j, (label, path) in enumerate(zip(variants, policies, strict=True)):
            port = free_port()
            audit = str(tmp / f"audit-{i}-{j}.sqlite")
            with spawn_guard("r1safe.cli.main", port, None, audit, str(path), ["--model", model]) as _:
                columns[label] = evaluate(
                    model, args.gym, tmp / f"guarded-{i}-{j}", args, f"http://127.0.0.1:{port}/v1"
                )
        tables[model] = columns

    from r1safe.guard.policy import load_policy

    shipped = load_policy("default").language.state_in_prompt
    print(f"\nthe shipped default policy states the language in the prompt: {shipped}")
    for model, columns in tables.items():
        print(f"\n{model}  (value [95% interval], {args.samples} replies x <= {args.limit} prompts per split)")
        print(f"  {'metric':<20}{'split':<14}" + "".join(f"{label:>26}" for label in columns))
        for name, split in ROWS:
            print(f"  {name:<20}{split:<14}" + "".join(f"{cell(m, name, split):>26}" for m in columns.values()))


if __name__ == "__main__":
    main()
