"""What the guard costs: latency overhead and correctness under load, on loopback only.

::

    python benchmarks/guard_overhead.py                 # 2,000 guarded requests at concurrency 32
    python benchmarks/guard_overhead.py --requests 400  # a quicker look

Three processes on 127.0.0.1: a fast upstream that replays the gym base model's replies (what
the unaligned gym model says to each gym prompt, so no model time hides the guard's own cost),
``r1safe serve`` in front of it, and this load generator. It sends the same allowed requests
(benign, borderline, arithmetic) straight to the upstream and through the guard at the same
concurrency, then a guarded mix with harmful (blocked) and streamed requests. It prints:

- zero-5xx: every guarded request answered below 500;
- audit completeness: every request id in the audit log exactly once, no extra rows;
- overhead: guarded minus direct latency (p50/p99), and the guard's own time per request from
  the audit log (latency less upstream and judge time), judges' time reported apart.

Bounded: every phase has a deadline and the script stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

DEADLINE_S = 240.0


async def fire(url: str, bodies: list[dict[str, Any]], concurrency: int) -> list[tuple[int, float, str | None]]:
    """(status, seconds, request id) per body, ``concurrency`` in flight, bounded by a deadline."""
    import httpx

    sem = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def one(body: dict[str, Any]) -> tuple[int, float, str | None]:
            async with sem:
                start = time.perf_counter()
                try:
                    if body.get("stream"):
                        async with client.stream("POST", "/chat/completions", json=body) as r:
                            async for _ in r.aiter_lines():
                                pass
                            return r.status_code, time.perf_counter() - start, r.headers.get("x-request-id")
                    r = await client.post("/chat/completions", json=body)
                    rid = r.headers.get("x-request-id") or (r.json().get("id") if r.status_code == 200 else None)
                    return r.status_code, time.perf_counter() - start, rid
                except Exception:
                    return 599, time.perf_counter() - start, None

        return await asyncio.wait_for(asyncio.gather(*(one(b) for b in bodies)), DEADLINE_S)


def pct(values: list[float]) -> str:
    p50, p99 = np.percentile(values, [50, 99])
    return f"p50 {p50:7.2f} ms   p99 {p99:7.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="allowed requests per side")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    from r1safe.guard.testing import free_port, machine, spawn_guard, spawn_upstream
    from r1safe.gym.world import build_world

    print(f"machine: {machine()}")
    world = build_world()
    allowed = [s for name in ("benign", "borderline", "capability") for s in world.split(name)]
    harmful = [s for name in ("id", "ood_wrapper", "multi_turn") for s in world.split(name)]
    bodies = [{"model": "gym", "messages": allowed[i % len(allowed)].prompt} for i in range(args.requests)]
    extra = [{"model": "gym", "messages": harmful[i % len(harmful)].prompt} for i in range(args.requests // 5)]
    extra += [
        {"model": "gym", "stream": True, "messages": allowed[i % len(allowed)].prompt}
        for i in range(args.requests // 10)
    ]

    tmp = Path(tempfile.mkdtemp(prefix="guard-overhead-"))
    policy = tmp / "policy.yaml"
    policy.write_text("limits: {rate_per_minute: 1000000, burst: 100000}\n")
    up_port, guard_port = free_port(), free_port()
    audit = tmp / "audit.sqlite"
    with (
        spawn_upstream(up_port) as _,
        spawn_guard("r1safe.cli.main", guard_port, f"http://127.0.0.1:{up_port}/v1", str(audit), str(policy)),
    ):
        up, guard = f"http://127.0.0.1:{up_port}/v1", f"http://127.0.0.1:{guard_port}/v1"
        asyncio.run(fire(up, bodies[:64], 8))  # warm both
        asyncio.run(fire(guard, bodies[:64], 8))
        warm = sqlite3.connect(audit).execute("SELECT count(*) FROM requests").fetchone()[0]
        one_by_one = bodies[: min(300, len(bodies))]
        seq_direct = asyncio.run(fire(up, one_by_one, 1))
        seq_guarded = asyncio.run(fire(guard, one_by_one, 1))
        t0 = time.perf_counter()
        direct = asyncio.run(fire(up, bodies, args.concurrency))
        t1 = time.perf_counter()
        guarded = asyncio.run(fire(guard, bodies, args.concurrency))
        t2 = time.perf_counter()
        mixed = asyncio.run(fire(guard, extra, args.concurrency))

    all_guarded = seq_guarded + guarded + mixed
    statuses = Counter(s for s, _, _ in all_guarded)
    print(
        f"\nrequests: {len(direct)} direct in {t1 - t0:.1f}s, {len(guarded)} guarded in {t2 - t1:.1f}s "
        f"({len(guarded) / (t2 - t1):.0f}/s), then {len(mixed)} guarded mixed (harmful + streamed)"
    )
    print(f"guarded statuses: {dict(statuses)}")
    fivexx = sum(n for s, n in statuses.items() if s >= 500)
    print(f"zero-5xx: {'PASS' if fivexx == 0 else 'FAIL'} ({fivexx} of {len(all_guarded)} at 5xx)")

    db = sqlite3.connect(audit)
    rows = db.execute(
        "SELECT request_id, verdict, latency_ms, upstream_ms, judge_ms, guard_ms, stream FROM requests"
    ).fetchall()[warm:]
    counts = Counter(r[0] for r in rows)
    ids = [rid for _, _, rid in all_guarded]
    complete = None not in ids and all(counts[i] == 1 for i in ids) and len(rows) == len(ids)
    print(
        f"audit completeness: {'PASS' if complete else 'FAIL'} ({len(rows)} rows for {len(ids)} requests, "
        f"{sum(c > 1 for c in counts.values())} duplicated, {sum(counts[i] == 0 for i in ids if i)} missing)"
    )
    print(f"verdicts: {dict(Counter(r[1] for r in rows))}")

    sd, sg = [t * 1000 for _, t, _ in seq_direct], [t * 1000 for _, t, _ in seq_guarded]
    print(f"\nlatency seen by the client, one request at a time ({len(sd)} each side):")
    print(f"  direct to upstream  {pct(sd)}")
    print(f"  through the guard   {pct(sg)}")
    p50_seq = float(np.percentile(sg, 50) - np.percentile(sd, 50))
    print(f"  difference          p50 {p50_seq:7.2f} ms   (the guard's whole cost, judges included, no queueing)")
    d_ms = [t * 1000 for _, t, _ in direct]
    g_ms = [t * 1000 for _, t, _ in guarded]
    print(f"\nlatency seen by the client (allowed, non-stream, concurrency {args.concurrency}):")
    print(f"  direct to upstream  {pct(d_ms)}")
    print(f"  through the guard   {pct(g_ms)}")
    p50 = float(np.percentile(g_ms, 50) - np.percentile(d_ms, 50))
    p99 = float(np.percentile(g_ms, 99) - np.percentile(d_ms, 99))
    print(f"  difference          p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   (includes queueing on 2 shared cores)")
    steady = [r for r in rows[len(seq_guarded) : len(seq_guarded) + len(guarded)] if not r[6]]
    own = [r[5] for r in steady]
    judge = [r[4] for r in steady]
    print("inside the guard, per request (audit log, same requests):")
    print(f"  guard's own time    {pct(own)}   (latency less upstream and judges)")
    print(f"  judges' model time  {pct(judge)}   (input + output classifier, reported apart)")
    print(f"  upstream wait       {pct([r[3] for r in steady])}")
    verdict = "PASS" if np.percentile(own, 50) <= 5.0 else "FAIL"
    print(f"target p50 guard overhead <= 5 ms: {verdict} ({np.percentile(own, 50):.2f} ms)")


if __name__ == "__main__":
    main()
