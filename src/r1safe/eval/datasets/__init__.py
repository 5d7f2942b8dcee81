"""Dataset sources: each turns a description into a list of :class:`~r1safe.records.Sample`.

``gym`` is the safety gym's held-out test suite; ``jsonl`` reads a file of Sample rows; the public
benchmarks (harmbench, strongreject, xstest, advbench, jailbreakbench, sorry_bench, wildjailbreak,
multijail) and the real track's sets (wildguardtest, jailjudge, saferlhf, coconot, oasst, arena_hard) read
their published files; ``arithmetic`` is generated. :func:`load_suite` reads a comma-separated ``--suite``,
concatenates the entries' samples, then filters splits and applies the per-split limit, with a
one-line error for an unknown split or a sample id two entries share.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from r1safe.errors import ConfigError, DataError
from r1safe.eval.datasets.base import DATASETS, select
from r1safe.records import Sample

PUBLIC = ("harmbench", "strongreject", "xstest", "advbench", "jailbreakbench", "sorry_bench", "wildjailbreak",
          "multijail", "wildguardtest", "jailjudge", "saferlhf", "coconot", "oasst", "arena_hard", "arithmetic")


def load_suite(suite: str, splits: list[str] | None = None, limit: int | None = None, *,
               files: dict[str, str] | None = None, dataset_params: dict[str, dict[str, Any]] | None = None,
               **params: Any) -> list[Sample]:
    """Samples of ``suite``, filtered to ``splits``, at most ``limit`` per split, in a fixed order.

    ``suite`` is a comma-separated list of entries, each ``gym``, a ``.jsonl`` path, a public
    dataset's ``name`` or ``name=PATH``. ``files`` maps names to local paths (for config files;
    ``name=PATH`` wins), ``dataset_params`` maps names to their loader's parameters (e.g.
    ``{"multijail": {"languages": ["zh", "ar"]}}``), and ``params`` go to the gym.
    """
    entries = [e.strip() for e in suite.split(",") if e.strip()]
    if not entries:
        raise ConfigError(f"empty suite {suite!r}; use 'gym', a .jsonl path or a dataset name")
    for option, given in (("files", files), ("dataset_params", dataset_params)):
        unknown = [n for n in given or {} if n not in PUBLIC]
        if unknown:
            raise ConfigError(f"{option}: unknown dataset {unknown[0]!r}; known: {', '.join(PUBLIC)}")
    samples: list[Sample] = []
    entry_of: dict[str, str] = {}
    for entry in entries:
        for sample in _load_entry(entry, files or {}, dataset_params or {}, params):
            if sample.id in entry_of:
                raise DataError(f"suite {suite!r}: sample id {sample.id!r} comes from both {entry_of[sample.id]!r} "
                                f"and {entry!r}; ids key the run records")
            entry_of[sample.id] = entry
            samples.append(sample)
    return select(samples, splits, limit, source=suite)


def _load_entry(entry: str, files: dict[str, str], dataset_params: dict[str, dict[str, Any]],
                gym_params: dict[str, Any]) -> list[Sample]:
    name, has_path, path = (part.strip() for part in entry.partition("="))
    if entry == "gym":
        return DATASETS.create("gym", **gym_params)
    if name in PUBLIC:
        if has_path and not path:
            raise ConfigError(f"suite entry {entry!r}: no path after '='")
        return DATASETS.create(name, path=path or files.get(name) or None, **dataset_params.get(name, {}))
    if not has_path and (entry.endswith(".jsonl") or Path(entry).is_file()):
        return DATASETS.create("jsonl", path=entry)
    raise ConfigError(f"unknown suite {name!r}; use 'gym', the path of a .jsonl file of samples, "
                      f"or a dataset ({', '.join(PUBLIC)}), optionally as name=PATH")


__all__ = ["DATASETS", "PUBLIC", "load_suite", "select"]
