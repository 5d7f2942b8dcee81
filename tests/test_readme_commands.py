"""Every ``r1safe`` command the README shows parses as written: known subcommands, known options, valid values."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer

from r1safe.cli.main import app

#: click's usage error, from the click typer vendors (typer re-exports only its BadParameter)
UsageError = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
README = Path(__file__).resolve().parents[1] / "README.md"


def readme_commands() -> list[str]:
    """The ``r1safe …`` lines of the README's bash blocks (comments dropped, continuations joined)."""
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    lines: list[str] = []
    for block in blocks:
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split(" #", 1)[0].strip()
            line = re.sub(r"^(\S+/)?\.venv/bin/", "", line.split("&&")[-1].strip())
            if line.startswith("r1safe "):
                lines.append(line)
    return lines


def parse(args: list[str]) -> typer.Context:
    """Parse ``args`` down to the leaf command without running it; raises click's usage errors."""
    command = typer.main.get_command(app)
    ctx = command.make_context("r1safe", list(args))
    while hasattr(command, "resolve_command"):  # a group: its subcommand comes next
        name, sub, rest = command.resolve_command(ctx, [*ctx._protected_args, *ctx.args])
        assert sub is not None, f"unknown subcommand in {args}"
        command, ctx = sub, sub.make_context(name, rest, parent=ctx)
    return ctx


def test_the_readme_shows_commands():
    assert len(readme_commands()) >= 10


@pytest.mark.parametrize("line", readme_commands())
def test_each_readme_command_parses(line):
    args = shlex.split(line)[1:]
    try:
        parse(args)
    except UsageError as err:
        pytest.fail(f"README: `{line}` does not parse: {err.format_message()}")


@pytest.mark.parametrize("args", [["gym", "show", "ood_wrapper", "--count", "2"], ["trian", "x.yaml"],
                                  ["study", "--seeds"]])
def test_a_command_that_does_not_parse_is_caught(args):
    with pytest.raises(UsageError):
        parse(args)
