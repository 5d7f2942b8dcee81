"""The real track's prompts: permissive training pools, development prompts and held-out test sets.

Every prompt comes from a public file in the data folder (``shared/data`` layout, :func:`r1safe.paths.data_dir`)
or is generated (arithmetic). Each source has a role, fixed here and printed in the report's data card:

- **train** (permissively licensed only, so a model trained on them may ship): AdvBench harmful goals (MIT),
  OASST and Arena-Hard benign prompts (Apache-2.0), CoCoNot's contrast preference prompts (MIT: benign
  requests that sound harmful), generated arithmetic;
- **dev** (learning-rate choice): other slices of the same permissive sources;
- **test**, in distribution: the rest of AdvBench, OASST and arithmetic; **held out** (sources no arm
  trains on): WildGuardTest prompts (harmful and unharmful, vanilla and adversarial), JAILJUDGE-mini and
  Safe-RLHF-mini questions, CoCoNot's contrast evaluation set. Their licenses allow evaluation only.

A source is cut into train/dev/test by a hash of each prompt's text (:func:`bucket`), so the cut does not
depend on file order, and no prompt text is in two roles. Prompts longer than ``max_chars`` are left out
(a 135M model with a 2-core budget; the report says how many).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path

from r1safe.errors import ConfigError
from r1safe.records import Sample


@dataclass(frozen=True)
class SourceInfo:
    """One public source as the data card lists it."""

    name: str
    file: str
    license: str
    role: str
    note: str = ""


SOURCES = (
    SourceInfo("advbench", "advbench/harmful_behaviors.csv", "MIT", "train / dev / test (in distribution)",
               "harmful goals (Zou et al., 2023)"),
    SourceInfo("oasst", "oasst-model-eval/en_100_text.jsonl", "Apache-2.0", "train / dev / test (in distribution)",
               "benign user requests (Open-Assistant samples)"),
    SourceInfo("arena_hard", "arena-hard-auto/arena-hard-v0.1/question.jsonl", "Apache-2.0", "train / dev",
               "benign hard prompts (Chatbot Arena)"),
    SourceInfo("coconot", "coconot", "MIT", "train / dev: preference prompts; test: the contrast evaluation set",
               "benign requests that sound harmful (over-refusal)"),
    SourceInfo("arithmetic", "(generated)", "generated", "train / dev / test (in distribution)",
               "one-step word problems with exact answers"),
    SourceInfo("wildguardtest", "wildguardtest/wildguardtest.parquet", "ODC-BY, research use", "test (held out)",
               "harmful and unharmful prompts, vanilla and adversarial (3 annotators)"),
    SourceInfo("jailjudge", "jailbreakeval/JAILJUDGEmini.csv", "JAILJUDGE license: evaluation only",
               "test (held out)", "harmful questions, many jailbreak-wrapped"),
    SourceInfo("saferlhf", "jailbreakeval/Safe-RLHFmini.csv", "CC-BY-NC-4.0: evaluation only", "test (held out)",
               "red-team questions that drew an unsafe-labelled response"),
)


def bucket(text: str, salt: str = "r1safe-real") -> float:
    """A stable number in [0, 1) from a prompt's text: the train/dev/test cut."""
    return zlib.crc32(f"{salt}\x1f{text}".encode()) / 2**32


@dataclass
class Pools:
    """The track's prompts by role; ``test`` maps a test split's name to its samples."""

    train_harmful: list[Sample] = field(default_factory=list)
    train_benign: list[Sample] = field(default_factory=list)
    train_borderline: list[Sample] = field(default_factory=list)
    train_arithmetic: list[Sample] = field(default_factory=list)
    dev: list[Sample] = field(default_factory=list)
    test: dict[str, list[Sample]] = field(default_factory=dict)
    dropped_long: dict[str, int] = field(default_factory=dict)

    def card(self) -> list[dict[str, object]]:
        """The data card: every source, its license and role, and how many prompts each role holds."""
        counts = {
            "train: harmful (advbench)": len(self.train_harmful), "train: benign": len(self.train_benign),
            "train: borderline (coconot_pref)": len(self.train_borderline),
            "train: arithmetic": len(self.train_arithmetic), "dev": len(self.dev),
            **{f"test: {name}": len(rows) for name, rows in self.test.items()},
        }
        return [{"source": s.name, "file": s.file, "license": s.license, "role": s.role, "note": s.note,
                 "left out as too long": self.dropped_long.get(s.name, 0)} for s in SOURCES] + \
            [{"counts": counts}]


def _load(name: str, root: Path) -> list[Sample]:
    from r1safe.eval.datasets import load_suite

    info = next(s for s in SOURCES if s.name == name)
    path = root / info.file
    if not path.exists():
        raise ConfigError(f"data: {path} not found (the {name} file of the data folder {root}); set "
                          "--data-dir or R1SAFE_DATA_DIR to a folder in the shared/data layout")
    return load_suite(f"{name}={path}")


def _short(samples: list[Sample], max_chars: int, pools: Pools, name: str) -> list[Sample]:
    kept = [s for s in samples if len(s.last_user_text) <= max_chars]
    pools.dropped_long[name] = pools.dropped_long.get(name, 0) + len(samples) - len(kept)
    return kept


def _cut(samples: list[Sample], train: float, dev: float) -> tuple[list[Sample], list[Sample], list[Sample]]:
    parts: tuple[list[Sample], list[Sample], list[Sample]] = ([], [], [])
    for s in samples:
        b = bucket(s.last_user_text)
        parts[0 if b < train else 1 if b < train + dev else 2].append(s)
    return parts


def _relabel(samples: list[Sample], split: str) -> list[Sample]:
    return [s.model_copy(update={"split": split}) for s in samples]


def build_pools(root: Path, max_chars: int = 600, arithmetic: int = 300) -> Pools:
    """Every role's prompts from the data folder ``root`` (see the module doc)."""
    from r1safe.eval.datasets.arithmetic import load as arithmetic_problems

    pools = Pools()
    adv_train, adv_dev, adv_test = _cut(_short(_load("advbench", root), max_chars, pools, "advbench"), 0.7, 0.1)
    oasst_train, oasst_dev, oasst_test = _cut(_short(_load("oasst", root), max_chars, pools, "oasst"), 0.5, 0.1)
    arena = _short(_load("arena_hard", root), max_chars, pools, "arena_hard")
    arena_train, arena_dev, _ = _cut(arena, 0.8, 0.2)
    coconot = _short(_load("coconot", root), max_chars, pools, "coconot")
    pref = [s for s in coconot if s.split == "coconot_pref"]
    pref_train, pref_dev, _ = _cut(pref, 0.85, 0.15)
    arith_train = arithmetic_problems(n=arithmetic, seed=0, split="arithmetic_train")
    seen = frozenset(s.last_user_text for s in arith_train)
    arith_dev = arithmetic_problems(n=48, seed=1, split="arithmetic_dev", exclude=seen)
    seen |= {s.last_user_text for s in arith_dev}
    arith_test = arithmetic_problems(n=max(48, arithmetic // 4), seed=2, split="arithmetic", exclude=seen)

    pools.train_harmful = _relabel(adv_train, "train_harmful")
    pools.train_benign = _relabel(oasst_train + arena_train, "train_benign")
    pools.train_borderline = _relabel(pref_train, "train_borderline")
    pools.train_arithmetic = arith_train
    pools.dev = (_relabel(adv_dev, "dev_harmful") + _relabel(oasst_dev + arena_dev, "dev_benign")
                 + _relabel(pref_dev, "dev_borderline") + arith_dev)
    wild = _short(_load("wildguardtest", root), max_chars, pools, "wildguardtest")
    pools.test = {
        "advbench": _relabel(adv_test, "advbench"),
        "oasst": _relabel(oasst_test, "oasst"),
        "arithmetic": arith_test,
        "coconot_contrast": [s for s in coconot if s.split == "coconot_contrast"],
        **{split: [s for s in wild if s.split == split] for split in (
            "wildguard_harmful_vanilla", "wildguard_harmful_adversarial",
            "wildguard_unharmful_vanilla", "wildguard_unharmful_adversarial")},
        "jailjudge": _short(_load("jailjudge", root), max_chars, pools, "jailjudge"),
        "saferlhf": _short(_load("saferlhf", root), max_chars, pools, "saferlhf"),
    }
    return pools


HELD_OUT = ("wildguard_harmful_vanilla", "wildguard_harmful_adversarial", "wildguard_unharmful_vanilla",
            "wildguard_unharmful_adversarial", "jailjudge", "saferlhf", "coconot_contrast")
IN_DISTRIBUTION = ("advbench", "oasst", "arithmetic")
