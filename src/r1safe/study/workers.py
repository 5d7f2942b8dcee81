"""Independent pieces of a study run side by side in worker processes (``r1safe study --jobs N``).

Each piece is a module-level function and its arguments (pickled to a spawned process, which
loads torch afresh with ``$R1SAFE_NUM_THREADS`` threads, default 1); its progress lines go to
stdout, prefixed as in a one-process run. Results come back keyed and in the order asked for,
whichever finished first, so a study's results do not depend on ``jobs``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def run_side_by_side(calls: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]], jobs: int,
                     finished: Callable[[str, int, int], None]) -> dict[str, Any]:
    """``{key: fn(*args, say)}`` for every call, ``jobs`` at a time; ``finished(key, k, n)`` hears each
    as it ends. The first failure is raised once the pieces already running end; the ones not yet
    started are dropped (a rerun resumes them, and the finished ones are kept)."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    results: dict[str, Any] = {}
    waiting = iter(calls.items())
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, len(calls)), mp_context=context) as pool:
        running: dict[Future[Any], str] = {}

        def start_next() -> None:  # a piece is handed to the pool only when a worker is free for it
            item = next(waiting, None)
            if item is not None:
                key, (fn, args) = item
                running[pool.submit(_call_in_worker, fn, args)] = key

        for _ in range(min(jobs, len(calls))):
            start_next()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                key = running.pop(future)
                try:
                    results[key] = future.result()
                except BaseException:
                    wait(running)
                    raise
                finished(key, len(results), len(calls))
                start_next()
    return {key: results[key] for key in calls}


def _call_in_worker(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    from r1safe.runtime import configure_threads

    configure_threads()
    return fn(*args, _print_progress)


def _print_progress(message: str) -> None:
    print(message, flush=True)
