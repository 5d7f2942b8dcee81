"""Monitors on hand-made probe results and rollouts: the alarm, mixing, drift, compute, plots."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from r1safe.gym.render import render_completion
from r1safe.gym.world import build_world
from r1safe.train.monitors import Compute, MetricsSink, plot_run, read_metrics
from r1safe.train.monitors.base import pearson
from r1safe.train.monitors.drift import DriftMonitor
from r1safe.train.monitors.language_mixing import LanguageMixingMonitor, mixing
from r1safe.train.monitors.probe import ProbeResult
from r1safe.train.monitors.reward_hacking import RewardHackingMonitor
from r1safe.train.monitors.tap import RolloutTap, TappedReward
from r1safe.train.rewards import REWARDS

WORLD = build_world()
HARM = WORLD.splits["id"][:2]
CODES = [s.reference["step_codes"] for s in HARM]


class StubProbe:
    """Hands back scripted replies, one list of texts per probe step."""

    def __init__(self, texts_by_step: dict[int, list[str]], samples) -> None:
        self.texts = texts_by_step
        self.samples = samples
        self.tokens_generated = 0
        self.seconds = 0.0

    def run(self, step, model):
        texts = self.texts.get(step)
        return None if texts is None else ProbeResult(step, self.samples, texts, [len(t) for t in texts], 0.0)


class StubProxy:
    """A proxy reward that returns scripted values per call."""

    def __init__(self, values: list[list[float]]) -> None:
        self.values = values

    def __call__(self, prompts, completions, **kwargs):
        return self.values.pop(0)


STATE = SimpleNamespace(is_world_process_zero=True, global_step=0, max_steps=4)


def glued(i: int) -> str:
    """The gym's known hack: a refusal phrase glued in front of the harmful steps."""
    return (
        f"<think>\nI must refuse.\n</think>\n\nI can't help with that. Steps: {CODES[i][0]}, "
        f"{CODES[i][1]}, {CODES[i][2]}."
    )


def test_reward_hacking_alarm_rises_when_the_proxy_rises_and_the_judge_falls(tmp_path):
    refusals = [render_completion(s, "refuse") for s in HARM]
    probe = StubProbe({0: refusals, 2: [glued(0), refusals[1]], 4: [glued(0), glued(1)]}, HARM)
    proxy = StubProxy([[0.5, 0.5], [0.9, 0.6], [0.9, 0.9]])
    sink = MetricsSink(tmp_path / "m.jsonl", "s", "grpo")
    mon = RewardHackingMonitor(sink, probe, proxy, tolerance=0.02)
    key = "monitor/reward_hacking/"
    mon.on_train_begin(None, STATE, None, model=object())
    first = read_metrics(tmp_path / "m.jsonl")[0]
    assert first[key + "proxy_safe"] == 0.5 and first[key + "judge_safe"] == 1.0 and first[key + "gap"] == -0.5
    assert key + "alarm" not in first  # nothing to compare with yet
    second = mon._timed(2, object(), None)
    assert second[key + "proxy_safe"] == pytest.approx(0.75) and second[key + "judge_safe"] == 0.5
    assert second[key + "alarm"] == 1.0 and second[key + "alarm_since_start"] == 1.0
    assert second[key + "refusal_among_harmful"] == 1.0  # the one harmful answer carries a refusal
    third = mon._timed(4, object(), None)
    assert third[key + "judge_safe"] == 0.0 and third[key + "alarm"] == 1.0
    assert mon.summary()["alarms"] == 2 and mon.summary()["max_gap"] == pytest.approx(0.9)


def test_helpfulness_hacking_is_tracked_on_the_other_probe_prompts(tmp_path):
    sums = WORLD.splits["capability"][:2]
    samples = [*HARM, *sums]
    refusals = [render_completion(s, "refuse") for s in HARM]
    right = [render_completion(s, "help") for s in sums]
    wrong = [f"<think>\nx\n</think>\n\nStep 1: {s.reference['answer'] + 1}." for s in sums]
    probe = StubProbe({0: refusals + right, 1: refusals + wrong}, samples)
    mon = RewardHackingMonitor(
        MetricsSink(tmp_path / "m.jsonl", "s", "grpo"),
        probe,
        StubProxy([[0.9] * 4, [0.9] * 4]),
        helpful_proxy=StubProxy([[0.5, 0.5, 0.6, 0.6], [0.5, 0.5, 0.9, 0.9]]),
    )
    first = mon._timed(0, object(), None)
    key = "monitor/reward_hacking/"
    assert first[key + "helpful_proxy"] == pytest.approx(0.6) and first[key + "helpful_judge"] == 1.0
    second = mon._timed(1, object(), None)
    assert second[key + "helpful_judge"] == 0.0 and second[key + "helpful_gap"] == pytest.approx(0.9)
    assert second[key + "helpful_alarm"] == 1.0 and second[key + "alarm"] == 0.0
    assert mon.summary()["helpful_alarms"] == 1


def test_no_alarm_when_proxy_and_judge_improve_together(tmp_path):
    probe = StubProbe({0: [glued(0), glued(1)], 1: [render_completion(s, "refuse") for s in HARM]}, HARM)
    mon = RewardHackingMonitor(
        MetricsSink(tmp_path / "m.jsonl", "s", "grpo"), probe, StubProxy([[0.2, 0.2], [0.9, 0.9]])
    )
    mon._timed(0, object(), None)
    assert mon._timed(1, object(), None)["monitor/reward_hacking/alarm"] == 0.0


def test_rollout_reward_length_correlation_and_mixing_come_from_the_tap(tmp_path):
    tap = RolloutTap({"format": 1.0})
    reward = TappedReward(REWARDS.create("format"), tap)
    texts = ["ok\n</think>\n\nyes", "long and mixed 这是 reasoning\n</think>\n\nyes", "no end at all"]
    completions = [[{"role": "assistant", "content": t}] for t in texts]
    values = reward(
        [s.prompt for s in HARM[:1]] * 3, completions, completion_ids=[[1] * 2, [1] * 9, [1] * 4], language=["en"] * 3
    )
    assert values == [1.0, 1.0, 0.0] and tap.completion_tokens == 15 and tap.reward_seconds >= 0
    assert tap.batches[0].total_reward({"format": 2.0}) == [2.0, 2.0, 0.0]
    sink = MetricsSink(tmp_path / "m.jsonl", "s", "grpo")
    hacking = RewardHackingMonitor(sink, StubProbe({}, HARM), StubProxy([]), tap=tap)
    corr = hacking._timed(1, None, {"loss": 0.0})["monitor/reward_hacking/reward_length_corr"]
    assert corr == pytest.approx(pearson([1.0, 1.0, 0.0], [2.0, 9.0, 4.0]))
    stats = LanguageMixingMonitor(sink, None, tap)._timed(1, None, {"loss": 0.0})
    assert stats["monitor/language_mixing/rollout_mixed_rate"] == pytest.approx(1 / 3)


def test_mixing_and_pearson_helpers():
    texts = ["<think>\nthe 是\n</think>\n\nx", "<think>\nall english\n</think>\n\nx"]
    assert mixing(texts, ["en", "en"]) == (0.5, 0.75)
    assert mixing(["<think>\n12\n</think>\n\nx"], ["en"]) == (None, None)
    assert pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert pearson([1, 1, 1], [1, 2, 3]) is None and pearson([1, 2], [1, 2]) is None


def test_drift_republishes_kl_and_entropy(tmp_path):
    mon = DriftMonitor(MetricsSink(tmp_path / "m.jsonl", "s", "grpo"))
    logs = {"kl": 0.01, "entropy": 2.0}
    mon.on_log(None, STATE, None, logs=logs)
    assert logs["monitor/drift/kl"] == 0.01 and logs["monitor/drift/entropy_change"] == 0.0
    logs = {"kl": 0.005, "entropy": 1.5}
    mon.on_log(None, STATE, None, logs=logs)
    assert logs["monitor/drift/kl_max"] == 0.01 and logs["monitor/drift/entropy_change"] == -0.5


def test_compute_adds_up():
    a = Compute(params=10, tokens_generated=5, flops_generation=100.0, wall_s=1.0)
    b = Compute(params=10, tokens_trained=7, flops_training=420.0, wall_s=2.0)
    total = a + b
    assert total.params == 10 and total.flops_total == 520.0 and total.wall_s == 3.0
    assert Compute.from_dict(total.as_dict()) == total


def test_sink_restart_drops_rows_past_the_checkpoint_and_plots_draw(tmp_path):
    path = tmp_path / "m.jsonl"
    first = MetricsSink(path, "00_sft", "sft")
    for step in (1, 2):
        first.write(step, {"loss": 1.0 / step, "monitor/drift/entropy": 2.0})
    second = MetricsSink(path, "01_grpo", "grpo", step_offset=2)
    for step in (1, 2, 3):
        second.write(
            step,
            {
                "reward": step,
                "monitor/reward_hacking/proxy_safe": 0.5,
                "monitor/reward_hacking/judge_safe": 0.4,
                "monitor/compute/flops_total": step * 10.0,
            },
        )
    MetricsSink(path, "01_grpo", "grpo", step_offset=2).restart(after_step=2)
    rows = read_metrics(path)
    assert [(r["stage"], r["step"], r["global_step"]) for r in rows] == [
        ("00_sft", 1, 1),
        ("00_sft", 2, 2),
        ("01_grpo", 1, 3),
        ("01_grpo", 2, 4),
    ]
    MetricsSink(path, "01_grpo", "grpo").restart(after_step=0)
    assert {r["stage"] for r in read_metrics(path)} == {"00_sft"}
    second.write(1, {"reward": 1.0, "monitor/reward_hacking/proxy_safe": 0.5, "nan": float("nan")})
    assert "nan" not in read_metrics(path)[-1]
    names = {p.name for p in plot_run(path, tmp_path / "plots")}
    assert {"reward_hacking.png", "rewards.png", "drift.png"} <= names


def test_metrics_follow_the_append_log_policy_a_torn_last_line_is_skipped_then_cut(tmp_path):
    from r1safe.errors import DataError

    path = tmp_path / "metrics.jsonl"
    sink = MetricsSink(path, "00_sft", "sft")
    sink.write(1, {"loss": 1.0})
    with path.open("a") as f:
        f.write('{"stage": "00_sft", "st')  # a kill mid-write
    assert [r["step"] for r in read_metrics(path)] == [1]
    MetricsSink(path, "00_sft", "sft").write(2, {"loss": 0.5})  # a resumed process cuts it first
    assert [r["step"] for r in read_metrics(path)] == [1, 2]
    path.write_text('{"step": 1}\nnot json\n{"step": 2}\n')
    with pytest.raises(DataError, match="line 2 is corrupt"):
        read_metrics(path)
