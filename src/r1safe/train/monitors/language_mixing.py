"""Language mixing of the reasoning: R1-Zero's defect, measured on the probe and on rollouts.

A reasoning is *mixed* when some of its words are not in the prompt's language (exact by Unicode
script, :mod:`r1safe.text.language`). Stats: ``probe_mixed_rate`` and ``probe_consistency`` (mean
share of reasoning words in the prompt's language) on the held-out probe, and the same on GRPO's
training rollouts (``rollout_*``), which cost nothing extra.
"""

from __future__ import annotations

from typing import Any

from r1safe.text.language import language_consistency
from r1safe.text.think_format import parse_reply
from r1safe.train.monitors.base import Monitor, MonitorInputs, mean
from r1safe.train.monitors.probe import Probe
from r1safe.train.monitors.sink import MetricsSink


def mixing(texts: list[str], languages: list[str | None]) -> tuple[float | None, float | None]:
    """(share of mixed reasonings, mean consistency) over replies whose reasoning has words."""
    shares = []
    for text, lang in zip(texts, languages, strict=True):
        share = language_consistency(parse_reply(text, think_forced=True).reasoning, lang or "en")
        if share is not None:
            shares.append(share)
    if not shares:
        return None, None
    return sum(s < 1.0 for s in shares) / len(shares), sum(shares) / len(shares)


class LanguageMixingMonitor(Monitor):
    name = "language_mixing"

    def __init__(self, sink: MetricsSink, probe: Probe | None, tap: Any = None) -> None:
        super().__init__(sink)
        self.probe = probe
        self.tap = tap

    def measure(self, step: int, model: Any, logs: dict[str, Any] | None) -> dict[str, float | None]:
        if logs is None:
            result = self.probe.run(step, model) if self.probe is not None else None
            if result is None:
                return {}
            rate, consistency = mixing(result.texts, [s.language for s in result.samples])
            return {"probe_mixed_rate": rate, "probe_consistency": consistency}
        if self.tap is None or not self.tap.batches:
            return {}
        texts = [t for b in self.tap.batches for t in b.texts]
        langs = [x for b in self.tap.batches for x in b.languages]
        rate, consistency = mixing(texts, langs)
        return {"rollout_mixed_rate": rate, "rollout_consistency": consistency}

    def summary(self) -> dict[str, Any]:
        key = "monitor/language_mixing/probe_mixed_rate"
        rows = [h[key] for h in self.history if key in h]
        rollout = [
            h["monitor/language_mixing/rollout_mixed_rate"]
            for h in self.history
            if "monitor/language_mixing/rollout_mixed_rate" in h
        ]
        return {
            "probe_mixed_first": rows[0] if rows else None,
            "probe_mixed_last": rows[-1] if rows else None,
            "rollout_mixed_mean": mean(rollout),
        }


def make(cfg: Any, inputs: MonitorInputs) -> LanguageMixingMonitor | None:
    """The language-mixing monitor when the recipe's ``monitors.language_mixing`` is on."""
    return LanguageMixingMonitor(inputs.sink, inputs.probe, inputs.tap) if cfg.language_mixing else None
