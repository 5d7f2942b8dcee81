"""``r1safe gym``: build the safety gym and look at what it holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="YAML GymConfig (defaults if omitted).")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="Override a config key, e.g. --set model.epochs=2.")]


def load_gym_config(config: Path | None, overrides: list[str] | None):
    """The GymConfig from a YAML file and ``--set`` overrides (defaults when neither is given)."""
    from r1safe.config import apply_overrides, load_yaml, validate
    from r1safe.gym.build import GymConfig

    data = load_yaml(config) if config else {}
    return validate(GymConfig, apply_overrides(data, overrides or []), str(config or "gym config"))


@app.command("build")
def build(
    config: ConfigOpt = None,
    overrides: SetOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if a cached build exists.")] = False,
    micro: Annotated[bool, typer.Option("--micro", help="A seconds-fast micro gym, for smoke tests.")] = False,
    out: Annotated[Path | None, typer.Option(help="Build under this folder instead of the cache.")] = None,
) -> None:
    """Build the world, corpora, tokenizer, proxy reward models and the base model."""
    from rich.console import Console

    from r1safe.cli.options import log_progress
    from r1safe.gym.build import build_gym, micro_config
    from r1safe.gym.summary import summary_table

    console = Console()
    cfg = micro_config() if micro and not config else load_gym_config(config, overrides)
    with console.status("building the gym") as status:
        gym = build_gym(cfg, force=force, root=out, progress=log_progress(console, status))
    console.print(summary_table(gym.report))
    console.print(f"base model: [bold]{gym.model_dir}[/bold]")
    console.print(f"proxy reward models: {gym.harmlessness_rm.parent}")


@app.command("show")
def show(
    split: Annotated[str, typer.Argument(help="A split name: train, id, ood_category, ...")] = "id",
    n: Annotated[int, typer.Option("-n", "--n", help="How many records.")] = 3,
    seed: Annotated[int, typer.Option(help="World seed.")] = 0,
) -> None:
    """Print a few records of a split with their ideal safe reply."""
    from rich.console import Console

    from r1safe.gym.render import render_completion
    from r1safe.gym.world import WorldConfig, build_world, train_prompts

    world = build_world(WorldConfig(draw_seed=seed))
    samples = train_prompts(world, max(n, 1), seed) if split == "train" else world.split(split)
    console = Console()
    for s in samples[:n]:
        behaviour = "refuse" if s.kind == "harmful" else "help"
        console.rule(f"{s.id}  {s.kind}/{s.category}  {s.language}  {s.wrapper}")
        for m in s.prompt:
            console.print(f"[bold]{m['role']}[/bold]: {m['content']}", markup=True, highlight=False)
        console.print(f"[dim]ideal:[/dim] {render_completion(s, behaviour)}", highlight=False)
