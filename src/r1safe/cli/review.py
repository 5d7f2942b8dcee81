"""``r1safe review``: list and resolve the guard's review queue (approve / reject, who and why)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, help="Human review of flagged and held answers.")
AuditOpt = Annotated[Path, typer.Option("--audit", help="The guard's audit log.")]
ByOpt = Annotated[str, typer.Option("--by", help="Who decides (recorded).")]
WhyOpt = Annotated[str, typer.Option("--why", help="Why (recorded).")]
DEFAULT = Path("runs/guard/audit.sqlite")


@app.command("list")
def list_reviews(
    audit: AuditOpt = DEFAULT,
    status: Annotated[str, typer.Option(help="pending, decided or all.")] = "pending",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Items in the review queue."""
    from r1safe.errors import ConfigError
    from r1safe.guard.audit import open_audit

    if status not in ("pending", "decided", "all"):
        raise ConfigError(f"--status {status!r}: use pending, decided or all")
    for row in open_audit(audit).reviews(status, limit=10_000):
        if as_json:
            typer.echo(json.dumps(row))  # ASCII: escape codes in model text arrive escaped
            continue
        answer = " ".join(printable(str(row["payload"].get("answer", ""))).split())[:80]
        state = row["decision"] or ("held" if row["held"] else "pending")
        typer.echo(
            f"{row['id']:>5}  {state:<8} {printable(row['reason']):<28} {printable(row['request_id'])}  {answer}"
        )


_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` without terminal escape sequences and control characters (model output may hold them)."""
    return _ESCAPE.sub("", text)


def _decide(audit: Path, review_id: int, decision: str, by: str, why: str) -> None:
    from r1safe.guard.audit import open_audit

    open_audit(audit).decide(review_id, decision, by, why)
    typer.echo(f"review {review_id}: {decision}d by {by}")


@app.command("approve")
def approve(review_id: int, by: ByOpt, why: WhyOpt, audit: AuditOpt = DEFAULT) -> None:
    """Approve an item; a held answer is then released at GET /v1/held/ID."""
    _decide(audit, review_id, "approve", by, why)


@app.command("reject")
def reject(review_id: int, by: ByOpt, why: WhyOpt, audit: AuditOpt = DEFAULT) -> None:
    """Reject an item; a held answer stays withheld."""
    _decide(audit, review_id, "reject", by, why)
