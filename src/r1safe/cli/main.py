"""Entry point of the ``r1safe`` command: registers one sub-command per file.

Every command imports its heavy dependencies (torch, transformers) inside its body, so
``r1safe --help`` stays fast. A user error (:class:`~r1safe.errors.R1SafeError`) becomes one
line on stderr and exit code 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys

import typer

from r1safe.errors import R1SafeError

app = typer.Typer(
    name="r1safe",
    help="Make R1-style reasoning models harmless without breaking them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    from r1safe.cli import gym

    app.add_typer(gym.app, name="gym", help="Build and inspect the safety gym.")
    for module, names in (
        ("eval", ["eval_command:eval"]),
        ("train", ["train_command:train"]),
        ("study", ["study_command:study"]),
        ("serve", ["serve_command:serve"]),
    ):
        try:
            mod = __import__(f"r1safe.cli.{module}", fromlist=["_"])
        except ModuleNotFoundError as err:
            if err.name != f"r1safe.cli.{module}":
                raise
            continue
        for spec in names:
            func, name = spec.split(":")
            if hasattr(mod, func):
                app.command(name)(getattr(mod, func))
        for extra in getattr(mod, "EXTRA_APPS", ()):
            app.add_typer(extra[1], name=extra[0])
        for extra in getattr(mod, "EXTRA_COMMANDS", ()):
            app.command(extra[0])(extra[1])


_register()


def main() -> None:
    """Run the CLI, turning user errors into one line and exit code 2."""
    try:
        app()
    except R1SafeError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
