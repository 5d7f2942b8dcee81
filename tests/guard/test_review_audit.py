"""Domain-expert holds, the review CLI, the audit summary and the log's append-only rule."""

from __future__ import annotations

import json
import sqlite3

import httpx
import pytest
from guard_keys import KEY, OTHER_KEY
from typer.testing import CliRunner

from r1safe.cli.main import app
from r1safe.errors import R1SafeError

pytestmark = pytest.mark.timeout(60)
TEA = [{"role": "user", "content": "How do I make a cup of tea quickly?"}]


def test_domain_expert_hold_review_and_release(start_guard, make_client, upstream, tmp_path) -> None:
    with start_guard(policy="domain_expert") as (url, guard):
        before = upstream.state.calls
        reply = make_client(url).chat.completions.create(model="gym", messages=TEA)
        info = reply.model_extra["guard"]
        assert upstream.state.calls - before == 2  # language mismatch: regenerated once, then held
        assert info["verdict"] == "held" and reply.choices[0].finish_reason == "content_filter"
        review_id = info["review_id"]
        assert str(review_id) in reply.choices[0].message.content
        auth = {"Authorization": f"Bearer {KEY}"}
        assert httpx.get(f"{url}/v1/held/{review_id}", headers=auth).status_code == 409

        db = str(tmp_path / "audit.sqlite")
        runner = CliRunner()
        listed = runner.invoke(app, ["review", "list", "--audit", db])
        assert listed.exit_code == 0 and "language_mismatch" in listed.output
        ok = runner.invoke(
            app,
            ["review", "approve", str(review_id), "--by", "dr-lee", "--why", "tea is fine", "--audit", db],
        )
        assert ok.exit_code == 0, ok.output
        again = runner.invoke(app, ["review", "reject", str(review_id), "--by", "x", "--why", "y", "--audit", db])
        assert isinstance(again.exception, R1SafeError) and "already decided" in str(again.exception)

        released = httpx.get(f"{url}/v1/held/{review_id}", headers=auth).json()
        assert released["approved_by"] == "dr-lee" and "第一步" in released["message"]["content"]
        assert released["message"]["reasoning_content"] is None  # this policy withholds reasoning
        other = httpx.get(f"{url}/v1/held/{review_id}", headers={"Authorization": f"Bearer {OTHER_KEY}"})
        assert other.status_code == 404

        summary = runner.invoke(app, ["audit", "--audit", db, "--since", "1h", "--json"])
        data = json.loads(summary.output)
        assert data["requests"] == 1 and data["review_decisions"] == {"approve": 1}
        assert data["language_drift"] == 1.0 and data["verdicts"] == {"held": 1}
        assert guard.policy.version == "domain-expert-1"


def test_audit_summary_counts_blocks(start_guard, make_client, world, tmp_path) -> None:
    from r1safe.guard.report import render, summarize

    with start_guard() as (url, guard):
        c = make_client(url)
        for sample in world.split("id")[:3] + world.split("benign")[:2]:
            c.chat.completions.create(model="gym", messages=sample.prompt)
        summary = summarize(guard.audit)
    assert summary["requests"] == 5 and summary["block_rate"] == 0.6
    assert summary["blocked_by_reason"] == {"input_harmful": 3}
    assert summary["latency_ms"]["p50"] is not None
    assert "block_rate" in render(summary)


def test_audit_log_is_append_only(tmp_path) -> None:
    from r1safe.guard.audit import AuditLog

    log = AuditLog(tmp_path / "a.sqlite")
    log.record(request_id="r1", status=200, verdict="allowed", flags=[], verdicts={})
    db = sqlite3.connect(tmp_path / "a.sqlite", isolation_level=None)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    for sql in ("UPDATE requests SET status = 500", "DELETE FROM requests"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(sql)
    with pytest.raises(R1SafeError, match="--by"):
        log.decide(log.add_review("r1", "output_flagged", False, {}), "approve", "", "")


def test_since_parsing() -> None:
    from r1safe.guard.report import parse_since

    assert parse_since("2h", now=10_000.0) == 10_000.0 - 7200
    assert parse_since("2026-11-01") > 0
    with pytest.raises(R1SafeError, match="span like 24h"):
        parse_since("yesterday")


def test_serve_without_keys_is_a_one_line_error(tmp_path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "R1SAFE_API_KEYS"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "r1safe.cli.main",
            "serve",
            "--upstream",
            "http://127.0.0.1:9/v1",
            "--audit",
            str(tmp_path / "a.sqlite"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: no API keys: pass --api-keys-file FILE or set R1SAFE_API_KEYS "
        "(or, on a private machine only, --insecure-no-auth)"
    ]


def test_review_and_audit_clis_give_one_line_errors_and_strip_escapes(tmp_path) -> None:
    from typer.testing import CliRunner

    from r1safe.cli.main import app
    from r1safe.guard.audit import AuditLog

    db = tmp_path / "audit.sqlite"
    log = AuditLog(db)
    log.add_review("req-1", "output_flagged", True, {"answer": "ok \x1b[2J\x1b]0;pwned\x07 done \x9b31m"})
    log.close()
    runner = CliRunner()
    listed = runner.invoke(app, ["review", "list", "--audit", str(db)])
    assert listed.exit_code == 0 and "ok" in listed.output and "done" in listed.output
    assert "\x1b" not in listed.output and "\x9b" not in listed.output and "pwned" not in listed.output
    as_json = runner.invoke(app, ["review", "list", "--audit", str(db), "--json"])
    assert "\x1b" not in as_json.output and "\\u001b" in as_json.output
    for args in (
        ["review", "approve", str(2**70), "--by", "a", "--why", "b", "--audit", str(db)],
        ["audit", "--audit", str(db), "--since", "99999999999999d"],
        ["audit", "--audit", str(db), "--since", "9999999-01-01"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code != 0 and not isinstance(result.exception, OverflowError | ValueError), args
        assert "Traceback" not in result.output and result.output.strip().count("\n") <= 1, result.output


def test_review_list_and_show_give_the_flagged_text(start_guard, make_client, tmp_path) -> None:
    """A flagged answer's queue entry says what was asked and which text was flagged."""
    from typer.testing import CliRunner

    from r1safe.cli.main import app

    with start_guard({"output": {"flag_threshold": 0.0001, "threshold": 0.99}}) as (url, _):
        reply = make_client(url).chat.completions.create(model="gym", messages=TEA)
        review_id = reply.model_extra["guard"]["review_id"]
    assert review_id is not None
    db = str(tmp_path / "audit.sqlite")
    runner = CliRunner()
    listed = runner.invoke(app, ["review", "list", "--audit", db])
    assert listed.exit_code == 0, listed.output
    assert "asked" in listed.output and "How do I make a cup of tea quickly?" in listed.output
    assert "flagged answer" in listed.output or "flagged reasoning" in listed.output
    assert "第一步" in listed.output  # the answer itself
    assert "--by NAME --why TEXT" in listed.output
    shown = runner.invoke(app, ["review", "show", str(review_id), "--audit", db])
    assert shown.exit_code == 0, shown.output
    assert "[reasoning]" in shown.output and "用户想泡茶" in shown.output and "[verdicts]" in shown.output
