"""Options the commands share, with their defaults read from the config models, so that a default
(R1's temperature 0.6, top-p 0.95, k=4 samples, the token budgets) is written once, in the model.

A command takes ``temperature: TemperatureOpt = TEMPERATURE``; ``--max-new-tokens`` defaults to
None so that :class:`~r1safe.eval.config.EvalConfig` picks the gym's or R1's budget.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from r1safe.backends.base import GenerationParams
from r1safe.eval.config import GYM_MAX_NEW_TOKENS, REAL_MAX_NEW_TOKENS

_GENERATION = GenerationParams()  # what EvalConfig's generation defaults to

SAMPLES: int = _GENERATION.n
TEMPERATURE: float = _GENERATION.temperature
TOP_P: float = _GENERATION.top_p
SEED: int = _GENERATION.seed
FORCE_THINK: bool = _GENERATION.force_think

SamplesOpt = Annotated[int, typer.Option("--samples", "-k", help=f"Samples per prompt (R1: several; {SAMPLES}).")]
TemperatureOpt = Annotated[float, typer.Option(help=f"Sampling temperature (R1: {TEMPERATURE}).")]
TopPOpt = Annotated[float, typer.Option(help=f"Nucleus sampling top-p (R1: {TOP_P}).")]
MaxNewTokensOpt = Annotated[int | None, typer.Option(
    help=f"Token budget per reply (default: {GYM_MAX_NEW_TOKENS} on the gym, R1's {REAL_MAX_NEW_TOKENS} for "
         "real models).")]
SeedOpt = Annotated[int, typer.Option(help="Sampling and bootstrap seed.")]
ForceThinkOpt = Annotated[bool, typer.Option(
    help="Open the reply with '<think>\\n' (R1's advice); --no-force-think for non-reasoning models.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output or table.")]
HubDirOpt = Annotated[Path | None, typer.Option("--hub-dir", help=(
    "A local copy of the Hugging Face Hub: every hub id the command reads (datasets, models, judge models) is "
    "read from DIR/<hub id>, as `hf download ID --local-dir DIR/ID` lays it out (datasets: add --repo-type "
    "dataset)."))]


def comma_list(text: str | None, option: str, kind: type = str) -> list[Any] | None:
    """A comma-separated option as a list of ``kind`` (None when the option was not given; blank
    items dropped); an item ``kind`` cannot read is a one-line error naming the option."""
    from r1safe.errors import ConfigError

    if text is None:
        return None
    try:
        return [kind(v.strip()) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ConfigError(f"{option} {text!r}: expected a comma-separated list") from None


def log_progress(console: Any, status: Any) -> Any:
    """A progress callback that shows each message in ``status`` and logs it to ``console`` as plain
    text: the messages' ``[arm s0]`` prefixes are labels, not rich markup to be swallowed."""
    from rich.text import Text

    def say(message: str) -> None:
        status.update(Text(message))
        console.log(Text(message))

    return say


def use_hub_dir(hub_dir: Path | None) -> None:
    """Point every hub reference of this command at ``hub_dir`` (``$R1SAFE_HUB_DIR``, inherited by
    the processes a run starts); a folder that does not exist is a one-line error."""
    import os

    from r1safe.errors import ConfigError
    from r1safe.paths import HUB_DIR_ENV

    if hub_dir is None:
        return
    if not hub_dir.is_dir():
        raise ConfigError(f"--hub-dir {hub_dir}: no such folder")
    os.environ[HUB_DIR_ENV] = str(hub_dir.resolve())
