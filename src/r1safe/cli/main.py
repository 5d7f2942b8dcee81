"""Entry point of the ``r1safe`` command: registers one sub-command per file, and the one error path.

Every command imports its heavy dependencies (torch, transformers) inside its body, so
``r1safe --help`` stays fast. Commands only raise: a user error (:class:`~r1safe.errors.R1SafeError`)
becomes one line ``error: ...`` on stderr and exit code 2, Ctrl-C the command's ``INTERRUPTED``
message and exit code 130; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import typer

from r1safe.errors import R1SafeError

INTERRUPTED = "interrupted"


class _App(typer.Typer):
    """The root app: :class:`R1SafeError` out of any command is one line and exit code 2.

    Caught here, around the whole command line, so the console script and ``app()`` answer the
    same; typer's test runner, which calls the command directly, still sees the exception."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except R1SafeError as err:
            print(f"error: {err}", file=sys.stderr)
            sys.exit(2)


app = _App(
    name="r1safe",
    help="Make R1-style reasoning models harmless without breaking them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def interruptible(command: Callable[..., Any], message: str = INTERRUPTED) -> Callable[..., Any]:
    """``command`` with Ctrl-C turned into ``message`` on stderr and exit code 130 (click would
    otherwise print "Aborted!" and exit 1, as if the command had failed)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt:
            print(f"error: {message}", file=sys.stderr)
            raise typer.Exit(130) from None

    return run


def _add_app(name: str, sub_app: typer.Typer, help_text: str | None = None) -> None:
    for info in sub_app.registered_commands:
        info.callback = interruptible(info.callback) if info.callback else None
    if help_text:
        app.add_typer(sub_app, name=name, help=help_text)
    else:
        app.add_typer(sub_app, name=name)


def _register() -> None:
    """One command (or sub-app) per file, each registered here."""
    from r1safe.cli import audit, guard, gym, review, serve, study, train
    from r1safe.cli import eval as eval_cli

    _add_app("gym", gym.app, help_text="Build and inspect the safety gym.")
    app.command("eval")(interruptible(eval_cli.eval_command, eval_cli.INTERRUPTED))
    app.command("eval-rescore")(interruptible(eval_cli.rescore_command))
    app.command("train")(interruptible(train.train_command, train.INTERRUPTED))
    app.command("study")(interruptible(study.study_command))
    app.command("serve")(interruptible(serve.serve_command))
    _add_app("guard", guard.app)
    _add_app("review", review.app)
    app.command("audit")(interruptible(audit.audit_command))


_register()


def main() -> None:
    """Run the CLI (the ``r1safe`` console script)."""
    app()


if __name__ == "__main__":
    main()
