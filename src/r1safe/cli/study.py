"""``r1safe study``: base vs SFT vs RL vs hybrid vs distilled student, one report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from r1safe.cli.options import comma_list, log_progress


def parse_seeds(text: str | None, offset: int) -> int | list[int] | None:
    """``--seeds``: a count ("3": seeds 0, 1, 2) or a comma-separated list ("9001,9002,9003"), plus
    ``--seed-offset``. A seed is an offset of the gym's world and model seeds."""
    from r1safe.errors import ConfigError

    if text is None:
        return None
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ConfigError(f"--seeds {text!r}: give a count (3) or a comma-separated list (9001,9002)") from None
    if not values:
        raise ConfigError("--seeds: no seed given")
    if "," not in text:
        if not 1 <= values[0] <= 50:
            raise ConfigError(f"--seeds {values[0]}: a count must be 1..50; for one seed write --seeds {values[0]},")
        return [offset + i for i in range(values[0])]
    return [offset + v for v in values]


def study_command(
    seeds: Annotated[str | None, typer.Option(
        help="How many seeds (3: seeds 0, 1, 2) or which (9001,9002,9003); each seed draws its own base model "
             "in --full, and the first one draws the world (full mode: 3).")] = None,
    seed_offset: Annotated[int, typer.Option(help="Added to every seed, e.g. 9000 for seeds nobody tuned on.")] = 0,
    full: Annotated[bool, typer.Option(
        "--full", help="Full study: every prompt, 4 samples, 3 seeds, the oracle-filtered hybrid (ablation), the "
                         "dose-response and the Goodhart section (hours on a CPU; --no-goodhart to skip it).")
    ] = False,
    tune: Annotated[bool, typer.Option(
        "--tune", help="Choose each arm's learning rate on development seeds (default 1000) by the rule in the "
                       "README; writes tuning.json.")] = False,
    arms: Annotated[str | None, typer.Option(help="Comma-separated arms, e.g. base,sft,rl,hybrid,distill.")] = None,
    recipe: Annotated[list[Path] | None, typer.Option(help="An extra recipe YAML: one more arm.")] = None,
    base_per_seed: Annotated[bool | None, typer.Option(
        "--base-per-seed/--one-base",
        help="Build the base model anew for each seed (default in --full) or share seed 0's.")] = None,
    goodhart: Annotated[bool | None, typer.Option(
        "--goodhart/--no-goodhart",
        help="Goodhart curves: RL alone and the hybrid's GRPO stages run 4x longer at KL 0, 0.001 and 0.04, with "
             "KL, proxy and oracle probed along the way, plus best-of-n against the proxy (default in --full).")
    ] = None,
    goodhart_arms: Annotated[str | None, typer.Option(help="Goodhart runs of these arms (rl,hybrid).")] = None,
    goodhart_betas: Annotated[str | None, typer.Option(help="Goodhart KL coefficients, e.g. 0,0.001,0.04.")] = None,
    goodhart_steps: Annotated[float | None, typer.Option(
        help="Goodhart runs: each GRPO stage runs this many times its recipe's steps (default 4).")] = None,
    dose: Annotated[bool | None, typer.Option(
        "--dose/--no-dose",
        help="Dose-response: evaluate snapshots along each arm against cumulative FLOPs, and train the SFT and "
             "hybrid arms on 125-1000 safety rows (default in --full).")] = None,
    samples: Annotated[int | None, typer.Option(help="Replies per prompt.")] = None,
    limit: Annotated[int | None, typer.Option(help="Prompts per split.")] = None,
    out: Annotated[Path | None, typer.Option(help="Study folder (default studies/quick or studies/full).")] = None,
    jobs: Annotated[int | None, typer.Option(
        help="Independent work side by side, one process each: the seeds (gym build, arms; with fewer seeds than "
             "jobs, groups of a seed's arms), the Goodhart runs and the data-size arms (default: one per core, up "
             "to 2, in --full up to 4; the results do not depend on it).",
        min=1)] = None,
    overrides: Annotated[
        list[str] | None, typer.Option("--set", help="Override every recipe, e.g. stages.0.max_steps=10.")
    ] = None,
    real: Annotated[bool, typer.Option(
        "--real", help="The real track instead of the gym: a real model (SmolLM2-135M-Instruct from its wheel) "
                       "cold-started into R1's format, then base, SFT, RL alone and the hybrid trained and "
                       "evaluated on real held-out prompts (studies/real).")] = False,
    data_dir: Annotated[Path | None, typer.Option(
        help="--real: the public data folder (shared/data layout; default $R1SAFE_DATA_DIR or ../shared/data).")
    ] = None,
    real_config: Annotated[Path | None, typer.Option(
        "--real-config", help="--real: a YAML of RealStudyConfig fields (sizes, arms, recipe overrides).")] = None,
) -> None:
    """Train and evaluate every arm on the gym and write report.html + results.json (resumable)."""
    import time

    from rich.console import Console

    from r1safe.errors import ConfigError

    if real:
        from r1safe.cli.study_real import real_study

        real_study(out=out, data_dir=data_dir, config_file=real_config, jobs=jobs, samples=samples, limit=limit,
                   arms=arms, tune=tune)
        return
    from r1safe.study.config import study_config
    from r1safe.study.runner import run_study
    from r1safe.study.summary import print_summary, print_tuning

    if tune and full:
        raise ConfigError("--tune and --full are separate runs: tune on development seeds, then report with --full")
    from r1safe.study.tuning import DEV_SEEDS, TUNED_ARMS

    chosen = parse_seeds(seeds, seed_offset)
    if tune and chosen is None:
        chosen = [seed_offset + s for s in DEV_SEEDS]
    mode = "full" if full else "quick"
    fields: dict[str, object] = {
        "samples": samples,
        "base_per_seed": base_per_seed,
        "limit": limit,
        "out": str(out) if out else ("studies/tune" if tune else None),
        "recipes": [str(r) for r in recipe or []] or None,
        "train_overrides": overrides or None,
        "jobs": jobs,
        "arms": [a.strip() for a in arms.split(",")] if arms else (list(TUNED_ARMS) if tune else None),
        "dose": {"enabled": dose} if dose is not None else None,
        "goodhart": {k: v for k, v in {
            "enabled": goodhart, "steps_factor": goodhart_steps,
            "arms": comma_list(goodhart_arms, "--goodhart-arms"),
            "betas": comma_list(goodhart_betas, "--goodhart-betas", float)}.items() if v is not None} or None,
    }
    if tune and base_per_seed is None:
        fields["base_per_seed"] = True
    from pydantic import ValidationError

    from r1safe.config import format_validation_error

    try:
        cfg = study_config(mode, chosen if chosen is not None else (3 if full else 1), **fields)
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, "study")) from None
    console = Console()
    t0 = time.perf_counter()
    if tune:
        from r1safe.study.tuning import tune as run_tuning

        with console.status("tuning") as status:
            report = run_tuning(cfg, progress=log_progress(console, status))
        print_tuning(console, report)
        console.print(f"tuning: [bold]{Path(cfg.out) / 'tuning.json'}[/bold]  ({time.perf_counter() - t0:.0f}s)")
        return
    with console.status("study") as status:
        results = run_study(cfg, progress=log_progress(console, status))
    print_summary(console, results)
    console.print(f"report: [bold]{Path(cfg.out) / 'report.html'}[/bold]  ({time.perf_counter() - t0:.0f}s)")
