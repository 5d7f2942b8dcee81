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
    """One command per file; a file may bring extra commands or sub-apps in ``EXTRA_*`` lists."""
    from r1safe.cli import eval as eval_cli
    from r1safe.cli import gym, serve, study, train

    app.add_typer(gym.app, name="gym", help="Build and inspect the safety gym.")
    app.command("eval")(eval_cli.eval_command)
    app.command("train")(train.train_command)
    app.command("study")(study.study_command)
    app.command("serve")(serve.serve_command)
    for module in (eval_cli, serve):
        for name, sub_app in getattr(module, "EXTRA_APPS", ()):
            app.add_typer(sub_app, name=name)
        for name, command in getattr(module, "EXTRA_COMMANDS", ()):
            app.command(name)(command)


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
