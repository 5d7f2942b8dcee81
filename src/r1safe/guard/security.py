"""API keys, per-key rate limits and the request-size limit.

Keys come from a file (one per line, ``name:key`` or a bare key; ``#`` comments) or from
``R1SAFE_API_KEYS`` (comma-separated). Every stored key is compared with ``hmac.compare_digest``
so timing reveals neither a key nor which one matched. The audit log sees a key id, a hash
prefix, never the key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from dataclasses import dataclass
from pathlib import Path

from r1safe.errors import ConfigError
from r1safe.guard.schemas import GuardHTTPError


@dataclass(frozen=True)
class ApiKey:
    name: str
    key_id: str
    secret: bytes


def key_id(secret: str) -> str:
    return "k-" + hashlib.sha256(secret.encode()).hexdigest()[:12]


def parse_keys(lines: list[str], source: str) -> list[ApiKey]:
    keys = []
    for n, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, _, secret = line.rpartition(":") if ":" in line else ("", "", line)
        secret = secret.strip()
        if len(secret) < 8:
            raise ConfigError(f"{source}:{n}: an API key must be at least 8 characters")
        keys.append(ApiKey(name.strip() or key_id(secret), key_id(secret), secret.encode()))
    return keys


def load_keys(path: str | Path | None) -> list[ApiKey]:
    """Keys from ``path`` or, without one, from ``R1SAFE_API_KEYS``."""
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"--api-keys-file {p}: no such file")
        return parse_keys(p.read_text(encoding="utf-8").splitlines(), str(p))
    env = os.environ.get("R1SAFE_API_KEYS", "")
    return parse_keys([k for k in env.split(",") if k.strip()], "R1SAFE_API_KEYS")


class Authenticator:
    """Bearer-token check; ``keys=None`` means auth is off (``--insecure-no-auth``)."""

    def __init__(self, keys: list[ApiKey] | None) -> None:
        self.keys = keys

    def check(self, authorization: str | None) -> ApiKey:
        if self.keys is None:
            return ApiKey("anonymous", "anonymous", b"")
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise GuardHTTPError(
                401,
                "missing API key: send 'Authorization: Bearer <key>'",
                "authentication_error",
                "missing_api_key",
            )
        given = token.strip().encode()
        found = None
        for key in self.keys:  # compare with every key, so timing does not tell which matched
            if hmac.compare_digest(given, key.secret):
                found = key
        if found is None:
            raise GuardHTTPError(401, "invalid API key", "authentication_error", "invalid_api_key")
        return found


def too_many(message: str, code: str, wait: float) -> GuardHTTPError:
    """A 429 with ``Retry-After`` rounded up to at least one second (the rate limiters' one answer)."""
    return GuardHTTPError(429, message, "rate_limit_error", code, headers={"Retry-After": str(max(1, round(wait)))})


class RateLimiter:
    """A token bucket per key: ``rate_per_minute`` refill, ``burst`` capacity."""

    def __init__(self, rate_per_minute: float, burst: int) -> None:
        self.rate, self.burst = rate_per_minute / 60.0, float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, who: str) -> None:
        now = time.monotonic()
        tokens, last = self._buckets.get(who, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1.0:
            wait = (1.0 - tokens) / self.rate
            self._buckets[who] = (tokens, now)
            raise too_many(f"rate limit exceeded for this key; retry in {wait:.1f}s", "rate_limit_exceeded", wait)
        self._buckets[who] = (tokens - 1.0, now)


class FailedAuth:
    """Failed authentications per client address: after ``burst`` failures within ``window_s`` an
    address gets 429 before its key is even read, and only the first failure of each window is
    audited; the next audited one carries how many were left out (so a flood cannot fill the log)."""

    def __init__(self, burst: int = 20, window_s: float = 60.0, max_addresses: int = 10000) -> None:
        self.burst, self.window_s, self.max_addresses = burst, window_s, max_addresses
        self._seen: dict[str, tuple[float, int, int]] = {}  # address -> (window start, failures, not audited)

    def admit(self, address: str) -> None:
        """429 when ``address`` has failed ``burst`` times in the current window."""
        start, failures, _ = self._seen.get(address, (0.0, 0, 0))
        if time.monotonic() - start < self.window_s and failures >= self.burst:
            wait = self.window_s - (time.monotonic() - start)
            raise too_many(f"too many failed authentications from this address; retry in {wait:.0f}s",
                           "auth_rate_limited", wait)

    def failed(self, address: str) -> int | None:
        """Count a failure; the number of earlier failures left out of the audit when this one
        should be audited, else None."""
        now = time.monotonic()
        start, failures, hidden = self._seen.get(address, (0.0, 0, 0))
        if now - start >= self.window_s:
            if len(self._seen) >= self.max_addresses:
                self._seen = {a: v for a, v in self._seen.items() if now - v[0] < self.window_s}
            self._seen[address] = (now, 1, 0)
            return hidden
        self._seen[address] = (start, failures + 1, hidden + 1)
        return None
