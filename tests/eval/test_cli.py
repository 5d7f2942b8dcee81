"""``r1safe eval`` as a user runs it: real subprocesses, bad input, and a SIGKILL half-way."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from r1safe.gym.world import TEST_SPLITS

CLI = [sys.executable, "-c", "from r1safe.cli.main import app; app()"]  # what the console script runs


def r1safe(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, env=env)


def assert_one_line_error(proc: subprocess.CompletedProcess[str], out: Path, pattern: str) -> None:
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert pattern in lines[0]
    assert not (out / "results.json").exists()


@pytest.mark.parametrize(("args", "pattern"), [
    (["--splits", "id,nope"], "unknown split 'nope'"),
    (["--samples", "0"], "--samples must be at least 1, got 0"),
    (["-k", "-3"], "--samples must be at least 1, got -3"),
    (["--limit", "0"], "--limit must be at least 1"),
    (["--judges", "oracle,vibes"], "unknown judge 'vibes'"),
    (["--judge", "oracle,vibes"], "unknown judge 'vibes'"),
    (["--judge-option", "model=x"], "--judge-option 'model=x': expected JUDGE.KEY=VALUE"),
    (["--backend-option", "device"], "--backend-option 'device': expected KEY=VALUE"),
    (["--suite", "harmbench"], "harmbench: no local file and the hub is offline (HF_HUB_OFFLINE); download "
                               "harmbench_behaviors_text_all.csv from https://"),
    (["--suite", "wildjailbreak"], "(gated: accept its terms there first)"),
    (["--suite", "xstest=/nonexistent.csv"], "/nonexistent.csv: no such dataset file"),
])
def test_bad_options(gym_dir: str, tmp_path: Path, args: list[str], pattern: str) -> None:
    out = tmp_path / "run"
    proc = r1safe("eval", "--model", "gym", "--gym", gym_dir, "--out", str(out), *args)
    assert_one_line_error(proc, out, pattern)
    assert not out.exists()


def test_missing_model_dir(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = r1safe("eval", "--model", str(tmp_path / "no_such_model"), "--out", str(out), "--limit", "1")
    assert_one_line_error(proc, out, "does not exist")
    assert not out.exists()


def test_malformed_dataset_row(model_dir: str, tmp_path: Path) -> None:
    data = tmp_path / "rows.jsonl"
    data.write_text('{"id": "a", "prompt": "hello"}\n{"id": "b", "prompt": [{"role": "user"}]}\n')
    out = tmp_path / "run"
    proc = r1safe("eval", "--model", model_dir, "--suite", str(data), "--out", str(out))
    assert_one_line_error(proc, out, "rows.jsonl: row 2: prompt")


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


@pytest.mark.slow
def test_sigkill_half_way_then_resume(gym_dir: str, tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["eval", "--model", "gym", "--gym", gym_dir, "--limit", "3", "-k", "2", "--max-new-tokens", "48",
            "--batch-size", "4", "--out", str(out), "--quiet"]
    total = len(TEST_SPLITS) * 3 * 2  # every split x 3 prompts x k=2, in batches of 2 prompts
    gens = out / "generations.jsonl"
    proc = subprocess.Popen([*CLI, *args], env={**os.environ, "OMP_NUM_THREADS": "1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while _lines(gens) < 8 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    done = _lines(gens)
    print(f"killed after {done} of {total} replies")
    assert 8 <= done < total, f"the kill should land half-way, {done} of {total} replies were written"
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"
    assert not (out / "results.json").exists()

    finished = r1safe(*args)
    assert finished.returncode == 0, finished.stderr
    rows = [json.loads(x) for x in gens.read_text().splitlines()]
    keys = [(r["sample_id"], r["index"]) for r in rows]
    assert len(keys) == len(set(keys)) == total
    assert keys[:done] == [(r["sample_id"], r["index"]) for r in rows[:done]]  # nothing finished was lost
    judged = [json.loads(x) for x in (out / "judgements.jsonl").read_text().splitlines()]
    triples = {(j["sample_id"], j["index"], j["judge"]) for j in judged}
    assert len(triples) == total * 4
    results = json.loads((out / "results.json").read_text())
    assert results["status"] == "complete" and results["counts"]["completions"] == total
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    assert len((out / "records.jsonl").read_text().splitlines()) == total
