"""``r1safe train RECIPE.yaml``: parse options → Recipe → :func:`r1safe.train.runner.run_recipe` → table.

A bad recipe or override raises a :class:`~r1safe.errors.ConfigError` before anything is trained
(:mod:`r1safe.cli.main` shows it as one line and exit code 2). Ctrl-C leaves the run folder
resumable: the same command skips finished stages and resumes an interrupted one from its last
checkpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from r1safe.cli.options import HubDirOpt, QuietOpt, use_hub_dir

INTERRUPTED = "interrupted; rerun the same command to resume"


def _plan(recipe: Any) -> list[str]:
    from r1safe.train.recipe import scaled

    lines = [
        f"recipe {recipe.name}: base {recipe.base_model}, gym {recipe.gym_spec()}, seed {recipe.seed}, "
        f"scale {recipe.scale:g}"
    ]
    for name, stage in zip(recipe.stage_names(), recipe.stages, strict=True):
        s = scaled(stage, recipe.scale)
        if s.kind == "grpo":
            rewards = ", ".join(f"{r.name}×{r.weight:g}" for r in s.rewards)
            what = f"{s.max_steps} steps, G={s.num_generations}, beta={s.beta:g}, rewards {rewards}"
        elif s.kind == "sft":
            what = f"{s.max_steps} steps" if s.max_steps else f"{s.epochs:g} epochs"
        else:
            judge = s.judge if s.safety_judge == "judge" else s.safety_judge
            what = f"n={s.n} per prompt, accept {', '.join(s.accept)}, judge {judge}"
        lines.append(f"  {name}: {s.kind}: {what}")
    return lines


def _count(n: float) -> str:
    """Compact counts for an 80-column table: 950, 12.3k, 4.5M, 1.8e12."""
    if n >= 1e9:
        return f"{n:.1e}".replace("e+", "e")
    for div, unit in ((1e6, "M"), (1e3, "k")):
        if n >= div:
            return f"{n / div:.1f}{unit}"
    return f"{n:.0f}"


def _table(result: Any) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    kinds = {"rejection_sampling": "rs"}
    table = Table(title=f"{result.recipe.name}: {result.out_dir}", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("stage", "kind", "run", "steps", "gen tok", "trained", "FLOPs", "sec"):
        left = col in ("stage", "kind", "run")
        width = 18 if col == "stage" else len(col)
        table.add_column(col, justify="left" if left else "right", no_wrap=True, min_width=width)
    for s in [*result.stages, None]:
        c = s.compute if s is not None else result.compute
        table.add_row(
            s.name.split("_", 1)[-1] if s else "total",
            kinds.get(s.kind, s.kind) if s else "",
            {"done": "ran", "skipped": "skip"}.get(s.status, s.status) if s else "",
            str(s.steps) if s else str(sum(x.steps for x in result.stages)),
            _count(c.tokens_generated),
            _count(c.tokens_trained),
            _count(c.flops_total),
            f"{s.wall_s if s else sum(x.wall_s for x in result.stages):.0f}",
        )
    Console().print(table)
    print(f"final model: {result.final_model}")


def _check(recipe: Any, quiet: bool) -> None:
    """``--check``: the plan, then every problem the run would meet here (exit code 2 when any)."""
    from r1safe.errors import ConfigError
    from r1safe.train.data import gym_from_dir
    from r1safe.train.preflight import check, references, report

    print("\n".join(_plan(recipe)))
    spec = recipe.gym_spec()
    gym = gym_from_dir(spec) if spec not in (None, "default", "micro") else None  # default/micro: built on use
    problems = check(recipe, gym, progress=None if quiet else lambda m: print(f"  {m}", flush=True))
    if problems:
        raise ConfigError(report(recipe.name, problems))
    refs = references(recipe)
    print(f"ok: {len(refs)} data sources and models found, device {recipe.device}, precision {recipe.precision}")


OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Run folder (default: runs/<recipe name>).")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="Override a key: stages.1.max_steps=20.")]
ThreadsOpt = Annotated[int | None, typer.Option(help="torch threads (default: $R1SAFE_NUM_THREADS or 1).")]
CheckOpt = Annotated[bool, typer.Option("--check", help=(
    "Check everything the run needs (files, columns, models, hub, device, precision), print the plan, train "
    "nothing; every problem is listed, exit code 2."))]
RetrainOpt = Annotated[bool, typer.Option("--retrain-changed", help=(
    "Train again finished stages whose settings changed (replacing their models and every later stage's); "
    "without it such a run folder is refused."))]


def train_command(
    recipe: Annotated[Path, typer.Argument(help="Recipe YAML, or a shipped recipe (gym/hybrid).")],
    out: OutOpt = None,
    overrides: SetOpt = None,
    seed: Annotated[int | None, typer.Option(help="Override the recipe's seed.")] = None,
    scale: Annotated[float | None, typer.Option(help="Multiply every stage's length.")] = None,
    gym: Annotated[str | None, typer.Option(help="Gym: default | micro | a build folder.")] = None,
    hub_dir: HubDirOpt = None,
    threads: ThreadsOpt = None,
    check: CheckOpt = False,
    retrain_changed: RetrainOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Train a model through a recipe's stages (SFT, GRPO, rejection sampling), resumably."""
    sets = list(overrides or [])
    sets += [f"{k}={v}" for k, v in (("scale", scale), ("threads", threads), ("gym", gym)) if v is not None]
    from r1safe.train.recipe import load_recipe

    use_hub_dir(hub_dir)
    parsed = load_recipe(recipe, sets)
    if seed is not None:
        parsed = parsed.model_copy(update={"seed": seed})
    if check:
        _check(parsed, quiet)
        return
    from r1safe.train.runner import run_recipe

    result = run_recipe(
        parsed, out or Path("runs") / parsed.name, progress=None if quiet else lambda m: print(m, flush=True),
        retrain_changed=retrain_changed,
    )
    if not quiet:
        _table(result)
