"""r1safe's inspect-ai tasks run against r1safe's own guard, at their default settings (R1's
32,768-token budget, temperature 0.6, top-p 0.95), through inspect's ``openai`` provider."""

from __future__ import annotations

import pytest
from guard_keys import KEY

pytest.importorskip("inspect_ai")
pytestmark = pytest.mark.timeout(240)


def test_gym_task_runs_through_the_guard_with_its_defaults(start_guard, upstream, tmp_path) -> None:
    from inspect_ai import eval as inspect_eval
    from inspect_ai.model import get_model

    from r1safe.cli import inspect_tasks

    with start_guard() as (url, guard):
        before = len(upstream.state.bodies)
        # inspect takes an unknown model name for OpenAI's newest and would call /v1/responses, which
        # the guard does not serve: responses_api=false keeps it on chat completions (README).
        model = get_model("openai/gym", base_url=url + "/v1", api_key=KEY, responses_api=False)
        (log,) = inspect_eval(inspect_tasks.gym(limit=1), model=model, log_dir=str(tmp_path / "logs"),
                              display="none")
        audited = guard.audit.requests()
    assert log.status == "success", log.error
    sent = upstream.state.bodies[before:]
    assert sent and {b["max_tokens"] for b in sent} == {32768}
    assert {b["temperature"] for b in sent} == {0.6} and {b["top_p"] for b in sent} == {0.95}
    samples = log.samples or []
    assert len(samples) == len(log.eval.dataset.sample_ids) * 4  # R1's k = 4 epochs
    assert all(s.error is None for s in samples)
    assert len(audited) == len(samples)
    verdicts = {r["verdict"] for r in audited}
    assert "blocked" in verdicts and "allowed" in verdicts  # the gym's harmful prompts meet the input screen
    scores = {s.scorer for s in log.results.scores}
    assert {"oracle", "refusal", "format"} <= scores
