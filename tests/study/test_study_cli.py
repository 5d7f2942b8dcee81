"""``r1safe study`` rejects bad input with one line and exit code 2, writing nothing."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["--arms", "base,foo"], "unknown arm 'foo'"), (["--arms", "distill"], "needs arm 'hybrid'"),
     (["--seeds", "0"], "--seeds"), (["--seeds", "9001"], "--seeds 9001,"), (["--seeds", "a,b"], "--seeds"),
     (["--tune", "--full"], "--tune"), (["--recipe", "/nonexistent.yaml"], "no such file"),
     (["--samples", "0"], "samples")],
)
def test_bad_study_input_is_one_line_exit_2(args, needle, tmp_path):
    out = tmp_path / "study"
    proc = subprocess.run([sys.executable, "-m", "r1safe.cli.main", "study", "--out", str(out), *args],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]
    assert not out.exists()
