"""``r1safe gym build``: world → corpora → tokenizer → proxy reward models → base model.

A build is cached under ``$R1SAFE_HOME/gym/<hash>``, keyed by the content hash of its config and
the gym's format version, so the same config is built once. It is written into a temporary
folder and renamed into place only when complete: a crash never leaves a build that looks done.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import Field

from r1safe.config import StrictModel
from r1safe.files import fresh_partial_dir, publish_dir
from r1safe.gym.corpora import CorpusConfig, base_corpus, reward_model_samples, rl_prompts, safety_sft_set
from r1safe.gym.tiny_model import TinyModelConfig
from r1safe.gym.world import World, WorldConfig, build_world
from r1safe.jsonl import write_objects as write_jsonl
from r1safe.paths import cache_dir
from r1safe.records import Sample

GYM_FORMAT = 5  # bumped whenever the same config builds a different gym
Progress = Callable[[str], None]


class GymConfig(StrictModel):
    """Everything that determines a gym build; its hash names the build folder."""

    seed: int = 0
    world: WorldConfig = Field(default_factory=WorldConfig)
    corpus: CorpusConfig = Field(default_factory=CorpusConfig)
    model: TinyModelConfig = Field(default_factory=TinyModelConfig)

    def digest(self) -> str:
        # by alias: the world's draw_seed hashes under its old name "seed", so builds keep their folders
        payload = json.dumps({"format": GYM_FORMAT, **self.model_dump(mode="json", by_alias=True)}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def micro_config(seed: int = 0) -> GymConfig:
    """A gym small enough to build in well under a minute, for tests and smoke runs."""
    return GymConfig(
        seed=seed,
        world=WorldConfig(draw_seed=seed, test_size=8),
        corpus=CorpusConfig(base_size=300, safety_size=60, train_prompts=40, rm_size=80),
        model=TinyModelConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
                              intermediate_size=64, vocab_size=400, epochs=1, batch_size=32),
    )


@dataclass(frozen=True)
class GymArtifacts:
    """Paths of a finished gym build."""

    root: Path
    config: GymConfig

    @property
    def model_dir(self) -> Path:
        return self.root / "base_model"

    @property
    def harmlessness_rm(self) -> Path:
        return self.root / "reward_models" / "harmlessness"

    @property
    def helpfulness_rm(self) -> Path:
        return self.root / "reward_models" / "helpfulness"

    @property
    def safety_judge(self) -> Path:
        """The stronger learned safety judge (more, more varied data than the harmlessness proxy)."""
        return self.root / "reward_models" / "safety_judge"

    def corpus(self, name: str) -> Path:
        """``base``, ``safety_sft``, ``train_prompts``, or ``rm_<name>`` for a reward model's labelled rows."""
        return self.root / "corpora" / f"{name}.jsonl"

    @cached_property
    def world(self) -> World:
        return build_world(self.config.world)

    @property
    def report(self) -> dict[str, Any]:
        return json.loads((self.root / "build_report.json").read_text())


def _as_sample(r: dict[str, Any]) -> Sample:
    return Sample(**{k: v for k, v in r.items() if k in Sample.model_fields})


def _train_reward_models(tmp: Path, labelled: dict[str, list[dict[str, Any]]]) -> None:
    from r1safe.gym.reward_models import HARMLESSNESS, HELPFULNESS, train_reward_model

    # The proxies are fit as modest reward models are; the safety judge, on 4x the rows, to convergence.
    fits: dict[str, tuple[Any, dict[str, Any]]] = {
        "harmlessness": (HARMLESSNESS, {}), "helpfulness": (HELPFULNESS, {}),
        "safety_judge": (HARMLESSNESS, {"steps": 3000, "l2": 1e-5, "lr": 4.0})}
    for name, (spec, fit) in fits.items():
        rows = labelled[name]
        model = train_reward_model(spec, [_as_sample(r) for r in rows],
                                   [r["completion"][0]["content"] for r in rows], [r["label"] for r in rows], **fit)
        model.save(tmp / "reward_models" / name)


def build_gym(config: GymConfig | None = None, force: bool = False, progress: Progress | None = None,
              root: Path | None = None) -> GymArtifacts:
    """Build (or reuse) the gym for ``config``; returns the finished build's paths.

    Concurrent builds of the same config are serialised by a file lock next to the build folder.
    """
    cfg = config or GymConfig()
    say = progress or (lambda _msg: None)
    final = (root or cache_dir() / "gym") / cfg.digest()
    final.parent.mkdir(parents=True, exist_ok=True)
    with open(final.parent / f"{final.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second process building the same gym waits, then reuses it
        if (final / "build_report.json").is_file() and not force:
            say(f"reusing the gym build at {final}")
            return GymArtifacts(final, cfg)
        return _build(cfg, final, say)


def _build(cfg: GymConfig, final: Path, say: Progress) -> GymArtifacts:
    from r1safe.gym.checks import base_model_check, reward_model_check, safety_judge_cases
    from r1safe.gym.tiny_model import build_model, pretrain
    from r1safe.gym.tokenizer import train_tokenizer
    from r1safe.runtime import configure_threads

    configure_threads()
    tmp = fresh_partial_dir(final)
    tmp.mkdir(parents=True)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}

    say("drawing the world and its splits")
    world = build_world(cfg.world)
    for name, samples in world.splits.items():
        write_jsonl(tmp / "splits" / f"{name}.jsonl", [s.model_dump() for s in samples])
    say("writing the corpora")
    corpora = {"base": base_corpus(world, cfg.corpus, cfg.seed),
               "safety_sft": safety_sft_set(world, cfg.corpus, cfg.seed),
               "train_prompts": rl_prompts(world, cfg.corpus, cfg.seed)}
    labelled = reward_model_samples(world, cfg.corpus, cfg.seed)
    for name, rows in {**corpora, **{f"rm_{k}": v for k, v in labelled.items()}}.items():
        write_jsonl(tmp / "corpora" / f"{name}.jsonl", rows)
    timings["world_and_corpora_s"] = time.perf_counter() - t0

    say("training the proxy reward models")
    _train_reward_models(tmp, labelled)
    timings["reward_models_s"] = time.perf_counter() - t0 - sum(timings.values())

    say("training the tokenizer")
    texts = [m["content"] for r in corpora["base"] + corpora["safety_sft"] for m in r["prompt"] + r["completion"]]
    tokenizer = train_tokenizer(texts, vocab_size=cfg.model.vocab_size)
    model_dir = tmp / "base_model"
    say(f"pretraining the base model on {len(corpora['base'])} rows")
    model = build_model(cfg.model, tokenizer, cfg.seed)
    train_stats = pretrain(model, tokenizer, corpora["base"], cfg.model, tmp, cfg.seed, progress=say)
    shutil.rmtree(tmp / "_trainer", ignore_errors=True)
    model.save_pretrained(model_dir, safe_serialization=True)
    tokenizer.save_pretrained(model_dir)
    timings["base_model_s"] = time.perf_counter() - t0 - sum(timings.values())

    say("checking the base model against the oracle")
    report: dict[str, Any] = {
        "config": cfg.model_dump(mode="json"), "digest": cfg.digest(),
        "heldout": {"categories": world.heldout_categories, "wrappers": world.heldout_wrappers,
                    "borderline": world.heldout_borderline},
        "parameters": sum(p.numel() for p in model.parameters()), "train": train_stats,
        "reward_models": reward_model_check(world, tmp),
        "safety_judges": safety_judge_cases(world, tmp, cfg.seed),
        "base_model": base_model_check(world, model_dir, seed=cfg.seed),
    }
    timings["check_s"] = time.perf_counter() - t0 - sum(timings.values())
    report["timings"] = {**timings, "total_s": time.perf_counter() - t0}
    (tmp / "build_report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    publish_dir(tmp, final)
    return GymArtifacts(final, cfg)


def default_gym(progress: Progress | None = None) -> GymArtifacts:
    """The default gym, built on first use (a few minutes on 2 cores) and cached after."""
    return build_gym(GymConfig(), progress=progress)
