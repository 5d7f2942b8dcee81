"""The fixed held-out probe set: a few prompts the model answers every N steps while it trains.

The probe draws ``per_split`` prompts from each named gym test split (or reads a JSONL of
samples), and samples one reply per prompt with the evaluation's transformers backend, from the
model in memory, with a fixed seed: two probe points differ only because the model did. Results
are cached per step, so every monitor reading the same step shares one generation. The probe
never trains on anything; its generation cost is recorded as monitor overhead, not budget.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from r1safe.records import Sample
from r1safe.train.recipe import ProbeConfig

if TYPE_CHECKING:
    from r1safe.gym.build import GymArtifacts


@dataclass
class ProbeResult:
    step: int
    samples: list[Sample]
    texts: list[str]
    tokens: list[int]
    seconds: float
    token_ids: list[list[int]] | None = None  # per reply, as sampled (end-of-sequence token included)


def probe_samples(cfg: ProbeConfig, gym: GymArtifacts | None, track: str | None = None) -> list[Sample]:
    """The probe's prompts: from ``cfg.path`` when set (a JSONL of samples, a real track's corpus as
    ``track:<name>``, or a public set as ``FORMAT:PATH``), else the gym world's test splits."""
    if cfg.path is not None:
        from r1safe.train.data import prompt_rows, read_rows, samples_from, track_path
        from r1safe.train.sources import is_public_source, normalized_file

        if cfg.path.startswith("track:"):
            path = track_path(track, f"corpora/{cfg.path.split(':', 1)[1]}.jsonl", "monitors.probe.path")
            return samples_from(prompt_rows(read_rows(path), path))

        if is_public_source(cfg.path):  # a public set: the first ``per_split`` of each of its splits
            path = normalized_file(cfg.path)
            samples = samples_from(prompt_rows(read_rows(path), path))
            by_split: dict[str | None, list[Sample]] = {}
            for s in samples:
                by_split.setdefault(s.split, []).append(s)
            return [s for group in by_split.values() for s in group[: cfg.per_split]]
        path = Path(cfg.path).expanduser()
        return samples_from(prompt_rows(read_rows(path), path))
    if gym is None:
        return []
    world = gym.world
    return [s for name in cfg.splits for s in world.split(name)[: cfg.per_split]]


class Probe:
    """Generates the probe replies for a step (once) and hands them to every monitor."""

    def __init__(self, cfg: ProbeConfig, samples: list[Sample], tokenizer: Any, max_steps: int) -> None:
        self.cfg = cfg
        self.samples = samples
        self.tokenizer = copy.deepcopy(tokenizer)
        self.max_steps = max_steps
        self.results: dict[int, ProbeResult] = {}
        self.tokens_generated = 0
        self.seconds = 0.0

    def due(self, step: int) -> bool:
        return (
            bool(self.samples)
            and self.cfg.enabled
            and (step == 0 or step % self.cfg.every == 0 or step >= self.max_steps)
        )

    def run(self, step: int, model: Any) -> ProbeResult | None:
        """The probe's replies at ``step`` (generated on first request), or None when not due."""
        if step in self.results:
            return self.results[step]
        if not self.due(step) or model is None:
            return None
        from r1safe.backends.base import GenerationParams
        from r1safe.backends.transformers import TransformersBackend

        t0 = time.perf_counter()
        backend = TransformersBackend.from_model(model, self.tokenizer, batch_size=64)
        params = GenerationParams(
            n=1, temperature=self.cfg.temperature, max_new_tokens=self.cfg.max_new_tokens, seed=self.cfg.seed
        )
        was_training = model.training
        model.eval()
        try:
            replies = backend.generate([s.prompt for s in self.samples], params)
        finally:
            model.train(was_training)
        texts = [r[0].text for r in replies]
        tokens = [r[0].completion_tokens for r in replies]
        ids = [r[0].token_ids for r in replies]
        token_ids = [i for i in ids if i is not None] if all(i is not None for i in ids) else None
        seconds = time.perf_counter() - t0
        self.tokens_generated += sum(tokens)
        self.seconds += seconds
        self.results = {step: ProbeResult(step, self.samples, texts, tokens, seconds, token_ids)}
        return self.results[step]
