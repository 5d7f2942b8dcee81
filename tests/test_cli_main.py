"""The CLI's one error path, its registered commands, and option defaults read from the config models."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
import typer

from r1safe.cli.main import app, interruptible
from r1safe.cli.options import SAMPLES, TEMPERATURE, TOP_P
from r1safe.eval.config import EvalConfig

CLI = [sys.executable, "-c", "from r1safe.cli.main import app; app()"]


def test_user_error_from_any_command_is_one_line_and_exit_2(tmp_path) -> None:
    proc = subprocess.run([*CLI, "review", "list", "--status", "nope", "--audit", str(tmp_path / "a.sqlite")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["error: --status 'nope': use pending, decided or all"]


def test_ctrl_c_is_the_commands_message_and_exit_130(capsys) -> None:
    def long_command() -> None:
        raise KeyboardInterrupt

    with pytest.raises(typer.Exit) as stopped:
        interruptible(long_command, "interrupted; rerun to resume")()
    assert stopped.value.exit_code == 130
    assert capsys.readouterr().err == "error: interrupted; rerun to resume\n"


def test_every_command_is_registered_in_main() -> None:
    commands = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    assert commands == {"eval", "eval-rescore", "train", "study", "serve", "audit", "gym", "guard", "review"}


def test_sampling_defaults_come_from_the_config() -> None:
    generation = EvalConfig(model="some/model", suite="gym").generation
    assert (generation.n, generation.temperature, generation.top_p) == (SAMPLES, TEMPERATURE, TOP_P)


def test_progress_messages_keep_their_bracketed_labels():
    """``[sft s0]`` is a label, not rich markup: the study's and gym's logs must show it."""
    from rich.console import Console

    from r1safe.cli.options import log_progress

    shown: list[str] = []
    console = Console(record=True, width=200, file=io.StringIO())
    status = type("Status", (), {"update": lambda self, text: shown.append(str(text))})()
    log_progress(console, status)("[sft s0] done before, skipped")
    assert "[sft s0] done before, skipped" in console.export_text()
    assert shown == ["[sft s0] done before, skipped"]
