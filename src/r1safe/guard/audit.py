"""The append-only audit log and review queue: SQLite in WAL mode.

Every chat request gets one row in ``requests`` (request id, key id — a hash, never the key —,
policy version and hash, verdicts, latency), committed before its reply is sent, so a crash
never loses a record whose reply a client saw. Flagged items go to ``reviews``; a reviewer's
decision is a new row in ``decisions``. Triggers forbid UPDATE and DELETE on all three tables.
The period summary for ``r1safe audit`` is in :mod:`r1safe.guard.report`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from r1safe.errors import R1SafeError

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
  id INTEGER PRIMARY KEY, request_id TEXT NOT NULL UNIQUE, ts REAL NOT NULL, key_id TEXT,
  policy_version TEXT, policy_hash TEXT, model TEXT, stream INTEGER, status INTEGER, verdict TEXT,
  reason TEXT, judge TEXT, flags TEXT, verdicts TEXT, language_expected TEXT, language_detected TEXT,
  latency_ms REAL, upstream_ms REAL, judge_ms REAL, guard_ms REAL);
CREATE INDEX IF NOT EXISTS requests_ts ON requests(ts);
CREATE TABLE IF NOT EXISTS reviews (
  id INTEGER PRIMARY KEY, request_id TEXT NOT NULL, ts REAL NOT NULL, reason TEXT, held INTEGER,
  payload TEXT);
CREATE TABLE IF NOT EXISTS decisions (
  id INTEGER PRIMARY KEY, review_id INTEGER NOT NULL REFERENCES reviews(id), ts REAL NOT NULL,
  decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')), by TEXT NOT NULL, why TEXT NOT NULL);
"""
_TRIGGERS = "".join(
    f"CREATE TRIGGER IF NOT EXISTS {t}_no_{op.lower()} BEFORE {op} ON {t} "
    f"BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;\n"
    for t in ("requests", "reviews", "decisions")
    for op in ("UPDATE", "DELETE")
)
REQUEST_FIELDS = (
    "request_id",
    "ts",
    "key_id",
    "policy_version",
    "policy_hash",
    "model",
    "stream",
    "status",
    "verdict",
    "reason",
    "judge",
    "flags",
    "verdicts",
    "language_expected",
    "language_detected",
    "latency_ms",
    "upstream_ms",
    "judge_ms",
    "guard_ms",
)


class AuditLog:
    """One SQLite file; safe to share between the server's threads and a CLI reading it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=10.0)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a process crash loses no commit
        self.db.executescript(SCHEMA + _TRIGGERS)

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def _insert(self, table: str, row: dict[str, Any]) -> int:
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        values = [json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v for v in row.values()]
        with self._lock:
            cur = self.db.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", values)
            return int(cur.lastrowid or 0)

    def record(self, **fields: Any) -> int:
        """Append one request record (autocommitted before this returns)."""
        unknown = set(fields) - set(REQUEST_FIELDS)
        if unknown:
            raise ValueError(f"unknown audit fields {sorted(unknown)}")
        fields.setdefault("ts", time.time())
        return self._insert("requests", fields)

    def add_review(self, request_id: str, reason: str, held: bool, payload: dict[str, Any]) -> int:
        return self._insert(
            "reviews",
            {
                "request_id": request_id,
                "ts": time.time(),
                "reason": reason,
                "held": int(held),
                "payload": payload,
            },
        )

    def decide(self, review_id: int, decision: str, by: str, why: str) -> int:
        """Record approve/reject for a pending review; deciding twice is an error."""
        if decision not in ("approve", "reject"):
            raise R1SafeError(f"decision must be approve or reject, got {decision!r}")
        if not by.strip() or not why.strip():
            raise R1SafeError("a review decision needs --by (who) and --why (the reason)")
        review = self.review(review_id)
        if review is None:
            raise R1SafeError(f"no review {review_id} in {self.path}")
        if review["decision"] is not None:
            raise R1SafeError(f"review {review_id} was already decided: {review['decision']} by {review['by']}")
        return self._insert(
            "decisions",
            {"review_id": review_id, "ts": time.time(), "decision": decision, "by": by, "why": why},
        )

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self.db.execute(sql, args).fetchall()]

    def reviews(self, status: str = "pending", limit: int = 100) -> list[dict[str, Any]]:
        """Reviews with their decision (if any): ``pending``, ``decided`` or ``all``."""
        where = {"pending": "WHERE d.id IS NULL", "decided": "WHERE d.id IS NOT NULL", "all": ""}[status]
        rows = self._query(
            "SELECT r.*, d.decision, d.by, d.why, d.ts AS decided_ts FROM reviews r "
            f"LEFT JOIN decisions d ON d.review_id = r.id {where} ORDER BY r.id LIMIT ?",
            (limit,),
        )
        for row in rows:
            row["payload"] = json.loads(row["payload"] or "{}")
        return rows

    def review(self, review_id: int) -> dict[str, Any] | None:
        """The review with its decision, or None (also for an id no SQLite integer can hold)."""
        if not -(2**63) <= review_id < 2**63:
            return None
        rows = self._query(
            "SELECT r.*, d.decision, d.by, d.why FROM reviews r LEFT JOIN decisions d ON d.review_id = r.id "
            "WHERE r.id = ?",
            (review_id,),
        )
        if not rows:
            return None
        rows[0]["payload"] = json.loads(rows[0]["payload"] or "{}")
        return rows[0]

    def requests(self, since: float = 0.0) -> list[dict[str, Any]]:
        rows = self._query("SELECT * FROM requests WHERE ts >= ? ORDER BY id", (since,))
        for row in rows:
            row["flags"] = json.loads(row["flags"] or "[]")
            row["verdicts"] = json.loads(row["verdicts"] or "{}")
        return rows

    def decisions(self, since: float = 0.0) -> list[dict[str, Any]]:
        return self._query("SELECT * FROM decisions WHERE ts >= ? ORDER BY id", (since,))


def open_audit(path: str | Path) -> AuditLog:
    """Open an existing audit log for reading or review; a missing file is a one-line error."""
    if not Path(path).is_file():
        raise R1SafeError(f"{path}: no audit log here (the server writes it; see `r1safe serve --audit`)")
    return AuditLog(path)
