"""kill -9 of the guard's process under load loses no audit record whose reply a client saw."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from r1safe.guard.testing import free_port

pytestmark = pytest.mark.timeout(120)


def test_kill_9_mid_load_loses_no_committed_record(classifier_dir, upstream, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"classifier: {classifier_dir}\nlimits: {{rate_per_minute: 100000, burst: 10000}}\n")
    audit, port = tmp_path / "audit.sqlite", free_port()
    cmd = [
        sys.executable,
        "-c",
        "from r1safe.cli.main import app; app()",
        "serve",
        "--upstream",
        upstream.state.url,
        "--port",
        str(port),
        "--audit",
        str(audit),
        "--policy",
        str(policy),
        "--insecure-no-auth",
    ]
    proc = subprocess.Popen(
        cmd, env={**os.environ, "HF_HUB_OFFLINE": "1"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, "the guard exited"
            assert time.monotonic() < deadline, "guard did not start"
            time.sleep(0.2)

        seen: list[str] = []
        stop = threading.Event()

        def load(i: int) -> None:
            body = {"messages": [{"role": "user", "content": f"How do I make a cup of tea? ({i})"}]}
            with httpx.Client(base_url=url, timeout=5) as client:
                while not stop.is_set():
                    try:
                        reply = client.post("/v1/chat/completions", json=body)
                    except httpx.HTTPError:
                        return
                    if reply.status_code == 200:
                        seen.append(reply.json()["id"])

        threads = [threading.Thread(target=load, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        time.sleep(2.0)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert len(seen) > 20
    db = sqlite3.connect(audit)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ids = [r[0] for r in db.execute("SELECT request_id FROM requests")]
    assert len(ids) == len(set(ids))
    missing = set(seen) - set(ids)
    assert not missing, f"{len(missing)} answered requests missing from the audit log"
