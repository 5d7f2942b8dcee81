"""Summaries of the audit log over a period: the regular audits the seed paper asks for.

Requests, block rate by reason and by judge, flags, language drift (replies not in the
expected language), review decisions and latency percentiles (total, guard overhead, judges).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import datetime
from typing import Any

import numpy as np

from r1safe.errors import R1SafeError
from r1safe.guard.audit import AuditLog

_SPAN = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(value: str, now: float | None = None) -> float:
    """``24h``, ``7d``, ``30m``, or an ISO date/time → a UNIX timestamp."""
    now = time.time() if now is None else now
    match = _SPAN.match(value.strip())
    if match:
        seconds = float(match.group(1)) * _SECONDS[match.group(2)]
        if seconds > 200 * 365 * 86400:
            raise R1SafeError(f"--since {value!r}: a span of at most 200 years, please")
        return now - seconds
    try:
        return datetime.fromisoformat(value.strip()).timestamp()
    except (ValueError, OverflowError, OSError):
        raise R1SafeError(f"--since {value!r}: use a span like 24h, 7d, 30m or an ISO date like 2026-11-01") from None


def _percentiles(values: list[float]) -> dict[str, float | None]:
    clean = [v for v in values if v is not None]
    if not clean:
        return {"p50": None, "p90": None, "p99": None}
    p50, p90, p99 = np.percentile(clean, [50, 90, 99])
    return {"p50": round(float(p50), 2), "p90": round(float(p90), 2), "p99": round(float(p99), 2)}


def summarize(audit: AuditLog, since: float = 0.0) -> dict[str, Any]:
    """The period's figures as a plain dict (JSON-ready)."""
    rows = audit.requests(since)
    answered = [r for r in rows if r["status"] == 200]
    blocked = [r for r in answered if r["verdict"] == "blocked"]
    checked = [r for r in answered if r["language_expected"] and r["language_detected"]]
    drift = [r for r in checked if "language_mismatch" in r["flags"]]
    decisions = Counter(d["decision"] for d in audit.decisions(since))
    return {
        "since": datetime.fromtimestamp(since).isoformat(timespec="seconds") if since else None,
        "requests": len(rows),
        "by_status": dict(Counter(str(r["status"]) for r in rows)),
        "answered": len(answered),
        "block_rate": round(len(blocked) / len(answered), 4) if answered else None,
        "blocked_by_reason": dict(Counter(r["reason"] for r in blocked)),
        "blocked_by_judge": dict(Counter(r["judge"] or "input" for r in blocked)),
        "verdicts": dict(Counter(r["verdict"] for r in answered)),
        "flags": dict(Counter(f for r in rows for f in r["flags"])),
        "language_drift": round(len(drift) / len(checked), 4) if checked else None,
        "reasoning_mixed": round(sum("reasoning_mixed" in r["flags"] for r in answered) / len(answered), 4)
        if answered
        else None,
        "language_pairs": dict(Counter(f"{r['language_expected']}->{r['language_detected']}" for r in drift)),
        "reviews_pending": len(audit.reviews("pending", limit=1_000_000)),
        "review_decisions": dict(decisions),
        "latency_ms": _percentiles([r["latency_ms"] for r in answered]),
        "guard_overhead_ms": _percentiles([r["guard_ms"] for r in answered]),
        "judge_ms": _percentiles([r["judge_ms"] for r in answered]),
        "policies": dict(Counter(f"{r['policy_version']}@{r['policy_hash']}" for r in rows)),
    }


def render(summary: dict[str, Any]) -> str:
    """The summary as aligned text lines for a terminal."""
    lines = [f"audit since {summary['since'] or 'the beginning'}"]
    for key, value in summary.items():
        if key == "since":
            continue
        if isinstance(value, dict):
            inner = ", ".join(f"{k}={v}" for k, v in value.items()) or "-"
            lines.append(f"  {key:<20} {inner}")
        else:
            lines.append(f"  {key:<20} {'-' if value is None else value}")
    return "\n".join(lines)
