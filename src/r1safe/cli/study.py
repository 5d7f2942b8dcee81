"""``r1safe study``: base vs SFT vs RL vs hybrid vs distilled student, one report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def study_command(
    seeds: Annotated[int | None, typer.Option(help="Seeds per arm (full mode: 3).")] = None,
    full: Annotated[bool, typer.Option("--full", help="Full study: every prompt, 4 samples, 3 seeds.")] = False,
    arms: Annotated[str | None, typer.Option(help="Comma-separated arms, e.g. base,sft,rl,hybrid,distill.")] = None,
    recipe: Annotated[list[Path] | None, typer.Option(help="An extra recipe YAML: one more arm.")] = None,
    base_per_seed: Annotated[bool | None, typer.Option(
        "--base-per-seed/--one-base",
        help="Build the base model anew for each seed (default in --full) or share seed 0's.")] = None,
    samples: Annotated[int | None, typer.Option(help="Replies per prompt.")] = None,
    limit: Annotated[int | None, typer.Option(help="Prompts per split.")] = None,
    out: Annotated[Path | None, typer.Option(help="Study folder (default studies/quick or studies/full).")] = None,
    overrides: Annotated[
        list[str] | None, typer.Option("--set", help="Override every recipe, e.g. stages.0.max_steps=10.")
    ] = None,
) -> None:
    """Train and evaluate every arm on the gym and write report.html + results.json (resumable)."""
    import time

    from rich.console import Console

    from r1safe.errors import ConfigError
    from r1safe.study.config import study_config
    from r1safe.study.runner import run_study
    from r1safe.study.summary import print_summary

    if seeds is not None and seeds < 1:
        raise ConfigError("--seeds must be >= 1")
    mode = "full" if full else "quick"
    fields: dict[str, object] = {
        "samples": samples,
        "base_per_seed": base_per_seed,
        "limit": limit,
        "out": str(out) if out else None,
        "recipes": [str(r) for r in recipe or []] or None,
        "train_overrides": overrides or None,
        "arms": [a.strip() for a in arms.split(",")] if arms else None,
    }
    from pydantic import ValidationError

    from r1safe.config import format_validation_error

    try:
        cfg = study_config(mode, seeds or (3 if full else 1), **fields)
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, "study")) from None
    console = Console()
    t0 = time.perf_counter()
    with console.status("study") as status:
        results = run_study(cfg, progress=lambda m: (status.update(m), console.log(m)))
    print_summary(console, results)
    console.print(f"report: [bold]{Path(cfg.out) / 'report.html'}[/bold]  ({time.perf_counter() - t0:.0f}s)")
