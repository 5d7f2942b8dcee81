"""``r1safe review``: list, show and resolve the guard's review queue.

``list`` gives each item's reason, the request it answered and the text that was flagged (the
screened part that scored highest, or the answer); ``show ID`` the whole item; ``approve ID
--by NAME --why TEXT`` and ``reject ID --by NAME --why TEXT`` record a decision (who and why are
required, and stay in the append-only log)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

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
    rows = open_audit(audit).reviews(status, limit=10_000)
    for row in rows:
        if as_json:
            typer.echo(json.dumps(row))  # ASCII: escape codes in model text arrive escaped
            continue
        state = row["decision"] or ("held" if row["held"] else "pending")
        typer.echo(f"{row['id']:>5}  {state:<8} {printable(row['reason']):<28} {printable(row['request_id'])}")
        for label, text in flagged_lines(row["payload"]):
            typer.echo(f"       {label:<16} {one_line(text, 100)}")
    if not as_json:
        typer.echo(f"{len(rows)} item(s); `r1safe review show ID` for the whole item, "
                   "`r1safe review approve|reject ID --by NAME --why TEXT` to decide")


def one_line(text: str, width: int) -> str:
    """``text`` printable, on one line, cut to ``width`` characters with an ellipsis."""
    flat = " ".join(printable(text).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def flagged_lines(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text) pairs saying what was asked and what was flagged in one review item."""
    users = [m.get("content", "") for m in payload.get("messages", []) if m.get("role") == "user"]
    out = [("asked", str(users[-1]))] if users else []
    verdicts = payload.get("verdicts") or {}
    where = (verdicts.get("output") or {}).get("where") or {}
    if where.get("excerpt"):
        out.append((f"flagged {where.get('role') or 'text'} {where.get('score', 0):.2f}", str(where["excerpt"])))
    language = verdicts.get("language") or {}
    if language and language.get("expected") != language.get("detected"):
        out.append(("language", f"expected {language.get('expected')}, answered in {language.get('detected')}"))
    out.append(("answer", str(payload.get("answer") or "(empty)")))
    return out


@app.command("show")
def show(review_id: int, audit: AuditOpt = DEFAULT) -> None:
    """One item in full: the conversation, the reasoning, the answer, the guard's verdicts, the decision."""
    from r1safe.errors import R1SafeError
    from r1safe.guard.audit import open_audit

    row = open_audit(audit).review(review_id)
    if row is None:
        raise R1SafeError(f"no review {review_id} in {audit}")
    payload = row["payload"]
    state = row["decision"] or ("held" if row["held"] else "pending")
    reason, request = printable(row["reason"]), printable(row["request_id"])
    typer.echo(f"review {row['id']}  {state}  reason {reason}  request {request}")
    if row["decision"]:
        typer.echo(f"decided: {row['decision']} by {printable(row['by'])}: {printable(row['why'])}")
    for m in payload.get("messages", []):
        typer.echo(f"\n[{printable(str(m.get('role')))}]\n{printable(str(m.get('content', '')))}")
    typer.echo(f"\n[reasoning]\n{printable(str(payload.get('reasoning') or ''))}")
    answer = printable(str(payload.get("answer") or ""))
    typer.echo(f"\n[answer] (finish_reason {payload.get('finish_reason')})\n{answer}")
    typer.echo(f"\n[verdicts]\n{json.dumps(payload.get('verdicts') or {}, indent=2)}")


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
