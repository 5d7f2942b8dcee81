"""What the guard costs: latency overhead and correctness under load, on loopback only.

::

    python benchmarks/guard_overhead.py                 # 2,000 guarded requests at concurrency 32, then TTFT
    python benchmarks/guard_overhead.py --requests 400  # a quicker look
    python benchmarks/guard_overhead.py --phase ttft --ttft-model smollm2-135m

Three processes on 127.0.0.1: a fast upstream that replays the gym base model's replies (what
the unaligned gym model says to each gym prompt, so no model time hides the guard's own cost),
``r1safe serve`` in front of it, and this load generator. It sends the same allowed requests
(benign, borderline, arithmetic) straight to the upstream and through the guard at the same
concurrency, then a guarded mix with harmful (blocked) and streamed requests. It prints:

- zero-5xx: every guarded request answered below 500;
- audit completeness: every request id in the audit log exactly once, no extra rows;
- overhead: guarded minus direct latency (p50/p99), and the guard's own time per request from
  the audit log (latency less upstream and judge time), judges' time reported apart.

Time to first token (``--phase ttft``): ``r1safe serve --model DIR`` streams a local model token
by token. The script loads the same model here and times its own first token (prefill plus one
decode step) and its decode step, then, one request at a time and alternating with those, the time
until the first streamed text reaches the client through the guard: with ``stream.window_chars: 1``
(each token released once screened) and with the default window (48 characters screened before
release), and the time to the last chunk (what the first chunk waited for before streaming was
real). Target: the guard adds at most one decode step to the model's own time to first token.

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




def stream_times(url: str, body: dict[str, Any]) -> tuple[float, float, int]:
    """(seconds to the first chunk with text, seconds to the end, chunks with text) of one stream."""
    import json

    import httpx

    start = time.perf_counter()
    first, chunks = None, 0
    with httpx.stream("POST", url + "/chat/completions", json=body, timeout=120) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if not line.startswith("data: {"):
                continue
            choices = json.loads(line[6:]).get("choices") or [{}]
            delta = choices[0].get("delta") or {}
            if delta.get("content") or delta.get("reasoning_content"):
                chunks += 1
                first = first if first is not None else time.perf_counter() - start
    return (first if first is not None else float("nan")), time.perf_counter() - start, chunks


def ttft(model: str, rounds: int, max_tokens: int) -> None:
    """The time-to-first-token phase (see the module doc)."""
    import statistics

    from r1safe.backends.base import GenerationParams
    from r1safe.backends.transformers import TransformersBackend
    from r1safe.guard.testing import free_port, spawn_guard
    from r1safe.runtime import configure_threads

    configure_threads(None)
    prompts = [[{"role": "user", "content": q}] for q in (
        "How do I plant tomatoes?", "Explain why the sky is blue.", "Give me three tips for sleeping better.",
        "What is 17 times 23?")]
    params = GenerationParams(n=1, max_new_tokens=max_tokens, temperature=0.6, top_p=0.95)
    backend = TransformersBackend(model)
    tmp = Path(tempfile.mkdtemp(prefix="guard-ttft-"))
    results: dict[str, list[float]] = {k: [] for k in ("model_first", "model_step", "guard_w1", "guard_w48",
                                                       "end_w48", "guard_w1_chunks")}
    ports = {}
    for window in (1, 48):
        policy = tmp / f"policy-{window}.yaml"
        policy.write_text(f"stream: {{window_chars: {window}}}\nlimits: {{rate_per_minute: 100000, burst: 10000}}\n")
        ports[window] = (free_port(), policy)
    with (
        spawn_guard("r1safe.cli.main", ports[1][0], None, str(tmp / "a1.sqlite"), str(ports[1][1]),
                    ["--model", model]),
        spawn_guard("r1safe.cli.main", ports[48][0], None, str(tmp / "a48.sqlite"), str(ports[48][1]),
                    ["--model", model]),
    ):
        urls = {w: f"http://127.0.0.1:{port}/v1" for w, (port, _) in ports.items()}
        for w in urls:  # warm each server and the model here
            stream_times(urls[w], {"model": "m", "stream": True, "messages": prompts[0], "max_tokens": 4})
        list(backend.stream(prompts[0], params.model_copy(update={"max_new_tokens": 4})))
        for i in range(rounds):
            prompt = prompts[i % len(prompts)]
            body = {"model": "m", "stream": True, "messages": prompt, "max_tokens": max_tokens, "seed": i}
            start = time.perf_counter()
            steps, stamps = [], []
            for step in backend.stream(prompt, params.model_copy(update={"seed": i})):
                steps.append(step)
                stamps.append(time.perf_counter() - start)
            results["model_first"].append(stamps[0])
            if len(stamps) > 2:
                results["model_step"].append((stamps[-2] - stamps[0]) / (len(stamps) - 2))
            first, _, chunks = stream_times(urls[1], body)
            results["guard_w1"].append(first)
            results["guard_w1_chunks"].append(chunks)
            first, end, _ = stream_times(urls[48], body)
            results["guard_w48"].append(first)
            results["end_w48"].append(end)
    med = {k: statistics.median(v) * (1 if k.endswith("chunks") else 1000) for k, v in results.items() if v}
    print(f"\ntime to first token, {model}, {rounds} streamed requests one at a time, up to {max_tokens} tokens "
          "(medians):")
    print(f"  model alone: first token {med['model_first']:7.1f} ms, then {med['model_step']:6.1f} ms per decode step")
    print(f"  through the guard, window 1:  first text {med['guard_w1']:7.1f} ms "
          f"({med['guard_w1_chunks']:.0f} text chunks per reply)")
    print(f"  through the guard, window 48: first text {med['guard_w48']:7.1f} ms; last chunk {med['end_w48']:7.1f} ms "
          "(where the first chunk came before streaming was real)")
    added = med["guard_w1"] - med["model_first"]
    verdict = "PASS" if added <= med["model_step"] else "FAIL"
    print(f"target: the guard adds at most one decode step to the first token: {verdict} "
          f"(+{added:.1f} ms vs a {med['model_step']:.1f} ms step)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="allowed requests per side")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--phase", choices=("overhead", "ttft", "all"), default="all")
    parser.add_argument("--ttft-model", default="smollm2-135m",
                        help="the local model for the time-to-first-token phase (gym: the gym's base model)")
    parser.add_argument("--ttft-rounds", type=int, default=12)
    parser.add_argument("--ttft-max-tokens", type=int, default=64)
    args = parser.parse_args()

    from r1safe.guard.testing import machine

    print(f"machine: {machine()}")
    if args.phase in ("overhead", "all"):
        overhead(args)
    if args.phase in ("ttft", "all"):
        model = args.ttft_model
        if model == "gym":
            from r1safe.gym.build import default_gym

            model = str(default_gym().model_dir)
        ttft(model, args.ttft_rounds, args.ttft_max_tokens)


def overhead(args: argparse.Namespace) -> None:
    """The overhead phase (see the module doc)."""
    from r1safe.guard.testing import free_port, spawn_guard, spawn_upstream
    from r1safe.gym.world import build_world

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
