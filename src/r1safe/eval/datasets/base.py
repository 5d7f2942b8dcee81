"""The dataset registry and the split/limit filter shared by every source."""

from __future__ import annotations

from r1safe.errors import ConfigError
from r1safe.records import Sample
from r1safe.registry import Registry

DATASETS: Registry[list[Sample]] = Registry("dataset")


def select(samples: list[Sample], splits: list[str] | None, limit: int | None, source: str) -> list[Sample]:
    """Keep ``splits`` (in the order given) and the first ``limit`` samples of each."""
    present = list(dict.fromkeys(s.split for s in samples))
    wanted = splits or present
    unknown = [s for s in wanted if s not in present]
    if unknown:
        raise ConfigError(f"unknown split {unknown[0]!r} in {source}; known: {', '.join(present)}")
    out: list[Sample] = []
    for split in wanted:
        rows = [s for s in samples if s.split == split]
        out.extend(rows[:limit] if limit is not None else rows)
    return out


# Each source is one module with a ``load(**params) -> list[Sample]``, imported on first use.
for _name in ("gym", "jsonl"):
    DATASETS.register_lazy(_name, f"r1safe.eval.datasets.{_name}", "load")
# Public safety benchmarks, read from a local file in their published columns (or by hub name).
for _name in ("harmbench", "strongreject", "xstest", "advbench", "jailbreakbench", "sorry_bench",
              "wildjailbreak", "multijail"):
    DATASETS.register_lazy(_name, f"r1safe.eval.datasets.{_name}", "load")
# Real prompts of the real track (held-out evaluation sets and permissive training pools), and
# generated arithmetic.
for _name in ("wildguardtest", "jailjudge", "saferlhf", "coconot", "oasst", "arena_hard", "arithmetic"):
    DATASETS.register_lazy(_name, f"r1safe.eval.datasets.{_name}", "load")
