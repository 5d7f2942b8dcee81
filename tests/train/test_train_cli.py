"""``r1safe train`` as a user runs it: a base model that cannot be loaded is one line and exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

CLI = [sys.executable, "-c", "from r1safe.cli.main import app; app()"]


@pytest.mark.parametrize(("base_model", "needle"), [
    ("some-org/not-here", "base_model (some-org/not-here): not a local folder, not in the hub cache, and the hub "
                          "cannot be reached; `hf download some-org/not-here"),
    ("./no/such/folder", "base_model (./no/such/folder): model directory ./no/such/folder does not exist"),
])
def test_unloadable_base_model_is_one_line_exit_2(tmp_path: Path, base_model: str, needle: str) -> None:
    rows = tmp_path / "sft.jsonl"
    rows.write_text(json.dumps({"messages": [{"role": "user", "content": "hi"},
                                             {"role": "assistant", "content": "<think>\nhello\n</think>\n\nhello"}]}))
    recipe = tmp_path / "r.yaml"
    recipe.write_text(yaml.safe_dump({"name": "r", "base_model": base_model, "data": {"sft": str(rows)},
                                      "stages": [{"kind": "sft", "max_steps": 1}]}))
    out = tmp_path / "run"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([*CLI, "train", str(recipe), "--out", str(out)], capture_output=True, text=True,
                          timeout=300, env=env, cwd=tmp_path)
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], proc.stderr
    run_json = out / "run.json"
    assert not run_json.exists() or json.loads(run_json.read_text())["status"] != "done"
    assert not (out / "stages").exists()
