"""``r1safe audit``: summarise the guard's audit log over a period."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def audit_command(
    audit: Annotated[Path, typer.Option("--audit", help="The guard's audit log.")] = Path("runs/guard/audit.sqlite"),
    since: Annotated[str | None, typer.Option(help="A span (24h, 7d) or an ISO date; default: everything.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Requests, block rate by reason and judge, language drift, review decisions, latency."""
    from r1safe.guard.audit import open_audit
    from r1safe.guard.report import parse_since, render, summarize

    summary = summarize(open_audit(audit), parse_since(since) if since else 0.0)
    typer.echo(json.dumps(summary, indent=2) if as_json else render(summary))
