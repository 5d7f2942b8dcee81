"""``r1safe eval`` and ``r1safe eval-rescore``: parse options → EvalConfig → pipeline → table.

Bad input (unknown split, missing model folder, malformed dataset row, k <= 0) raises a
:class:`~r1safe.errors.ConfigError` before any run folder is written; :mod:`r1safe.cli.main` shows
it as one line and exit code 2. Ctrl-C leaves a partial run that the same command resumes.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from r1safe.cli.options import (
    FORCE_THINK,
    SAMPLES,
    SEED,
    TEMPERATURE,
    TOP_P,
    ForceThinkOpt,
    HubDirOpt,
    MaxNewTokensOpt,
    QuietOpt,
    SamplesOpt,
    SeedOpt,
    TemperatureOpt,
    TopPOpt,
    comma_list,
    use_hub_dir,
)
from r1safe.errors import ConfigError

INTERRUPTED = "interrupted; the run folder is partial, rerun the same command to finish"


def _options(pairs: list[str] | None, flag: str, dotted: bool) -> dict[str, Any]:
    """``--judge-option llama_guard.model=PATH`` → ``{"llama_guard": {"model": "PATH"}}`` (values read as
    YAML scalars, so numbers and booleans keep their type); without ``dotted``, ``key=value`` pairs."""
    import yaml

    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        head, dot, tail = key.partition(".")
        if not sep or not key or (dotted and not (dot and head and tail)):
            form = "JUDGE.KEY=VALUE" if dotted else "KEY=VALUE"
            raise ConfigError(f"{flag} {pair!r}: expected {form}")
        try:
            value = yaml.safe_load(raw) if raw else ""
        except yaml.YAMLError:
            value = raw
        if dotted:
            out.setdefault(head, {})[tail] = value
        else:
            out[key] = value
    return out


def eval_command(
    model: Annotated[str, typer.Option(help="Local model folder, hub id, or 'gym' (base model).")] = "gym",
    suite: Annotated[str, typer.Option(
        help="Comma-separated suites: 'gym', a .jsonl of samples, or a public benchmark by name with its local "
             "file as NAME=PATH (harmbench, strongreject, xstest, advbench, jailbreakbench, sorry_bench, "
             "wildjailbreak, multijail).")] = "gym",
    splits: Annotated[str | None, typer.Option(help="Comma-separated splits (default: all).")] = None,
    samples: SamplesOpt = SAMPLES,
    out: Annotated[str | None, typer.Option(help="Run folder (default: under runs/eval/).")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many prompts per split.")] = None,
    batch_size: Annotated[int, typer.Option(help="Sequences per forward pass (prompts x samples).")] = 64,
    max_new_tokens: MaxNewTokensOpt = None,
    temperature: TemperatureOpt = TEMPERATURE,
    top_p: TopPOpt = TOP_P,
    seed: SeedOpt = SEED,
    backend: Annotated[str, typer.Option(help="transformers | openai | vllm")] = "transformers",
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server URL (openai).")] = None,
    force_think: ForceThinkOpt = FORCE_THINK,
    judges: Annotated[str | None, typer.Option(
        "--judges", "--judge",
        help="Comma-separated judges (default: oracle, refusal, format; +proxy on the gym). Real text: "
             "refusal_clf, llama_guard, qwen3guard, strongreject, llm_refusal, guard_classifier.")] = None,
    judge_option: Annotated[list[str] | None, typer.Option(
        help="JUDGE.KEY=VALUE, repeatable (e.g. llama_guard.model=PATH, strongreject.base_url=URL).")] = None,
    backend_option: Annotated[list[str] | None, typer.Option(
        help="KEY=VALUE for the backend, repeatable (e.g. device=cuda, dtype=bfloat16).")] = None,
    gym: Annotated[str | None, typer.Option(help="A built gym folder (default: the default gym).")] = None,
    threads: Annotated[int | None, typer.Option(help="torch CPU threads.")] = None,
    hub_dir: HubDirOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Measure how harmful, over-cautious and language-mixed a reasoning model is (resumable)."""
    use_hub_dir(hub_dir)
    for flag, value in (
        ("--samples", samples),
        ("--limit", limit),
        ("--batch-size", batch_size),
        ("--max-new-tokens", max_new_tokens),
    ):
        if value is not None and value < 1:
            raise ConfigError(f"{flag} must be at least 1, got {value}")
    data: dict[str, Any] = {
        "model": model,
        "suite": suite,
        "splits": comma_list(splits, "--splits") or None,
        "limit": limit,
        "generation": {
            "n": samples,
            "temperature": temperature,
            "top_p": top_p,
            "max_new_tokens": max_new_tokens,
            "seed": seed,
            "force_think": force_think,
        },
        "backend": backend,
        "base_url": base_url,
        "batch_size": batch_size,
        "judges": comma_list(judges, "--judges") or None,
        "judge_options": _options(judge_option, "--judge-option", dotted=True),
        "backend_options": _options(backend_option, "--backend-option", dotted=False),
        "gym": gym,
        "out": out,
        "threads": threads,
        "progress": not quiet,
    }
    _run(data, quiet)


def _run(data: dict[str, Any], quiet: bool) -> None:
    from r1safe.config import validate
    from r1safe.eval.config import EvalConfig
    from r1safe.eval.pipeline import run
    from r1safe.eval.report import print_table

    results = run(validate(EvalConfig, data, "eval options"))
    if not quiet:
        print_table(results)


def rescore_command(
    run_dir: Annotated[str, typer.Argument(help="A finished run folder.")],
    judges: Annotated[str | None, typer.Option(
        "--judges", "--judge", help="Comma-separated judges (default: the run's).")] = None,
    judge_option: Annotated[list[str] | None, typer.Option(
        help="JUDGE.KEY=VALUE, repeatable, merged into the run's own (e.g. llama_guard.model=PATH).")] = None,
    hub_dir: HubDirOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Rerun judges and metrics on a finished run's replies, without loading the model."""
    use_hub_dir(hub_dir)
    from r1safe.eval.pipeline import rescore
    from r1safe.eval.report import print_table

    options = _options(judge_option, "--judge-option", dotted=True)
    results = rescore(run_dir, judges=comma_list(judges, "--judges") or None, judge_options=options or None,
                      progress=not quiet)
    if not quiet:
        print_table(results)
