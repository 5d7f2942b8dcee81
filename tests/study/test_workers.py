"""The study's process pool: a failing piece does not make the study wait for the pieces not yet started
(with Goodhart runs in the pool, that could be hours)."""

from __future__ import annotations

import pytest

from r1safe.files import atomic_write_text
from r1safe.study.workers import run_side_by_side


def test_a_failure_drops_the_pieces_not_yet_started(tmp_path):
    # each piece creates its folder, then fails: atomic_write_text is handed the progress callback as its text
    calls = {f"piece {i}": (atomic_write_text, (tmp_path / f"p{i}" / "out.txt",)) for i in range(6)}
    heard: list[str] = []
    with pytest.raises(TypeError):
        run_side_by_side(calls, 1, lambda key, k, n: heard.append(key))
    started = sorted(p.name for p in tmp_path.iterdir())
    assert started[0] == "p0" and "p5" not in started  # the first ran; the last never started
    assert heard == []
