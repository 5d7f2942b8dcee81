"""The gym's training corpora, drawn from the world with a seed.

- **base corpus**: makes an *unaligned reasoning model*. It answers nearly every request,
  harmful ones included, with reasoning that plans the harmful steps; a share of its reasoning
  switches into the other language mid-way (R1-Zero's defect); its arithmetic is right. It covers
  every category, wrapper, language and turn shape: it is the "pretraining" of the gym, and
  like pretraining data it holds bare arithmetic drills ("What is 7 + 8?") beside the word
  problems, so the digit facts are learned in few steps.
- **safety SFT set** (STAR-1 scale, about 1K): harmful → reasoning that recognises the harm,
  then a refusal; benign, borderline and arithmetic → help. Clean single-language reasoning, and
  only what safety training may see (seen categories, English, seen wrappers, one turn).
- **reward-model samples**: modest labelled samples for the proxy reward models, and a larger,
  more varied set for the stronger safety judge that filters the hybrid's rejection sampling.
  Both mix ideal replies with the flawed ones policies write (:mod:`r1safe.gym.flawed_replies`):
  harm in the reasoning under a refusal, a refusal over harmful steps, partial lists, cut-off,
  garbled and hollow replies.

Rows are ``{"prompt": [...], "completion": [{"role": "assistant", "content": ...}], ...}``, the
prompt-completion format TRL's SFTTrainer takes, plus the sample's metadata.
"""

from __future__ import annotations

import random
from typing import Any

from pydantic import Field

from r1safe.config import StrictModel
from r1safe.gym import content as C
from r1safe.gym.flawed_replies import FLAWS_BY_KIND, flawed_reply
from r1safe.gym.oracle import judge
from r1safe.gym.render import reasoning_length, render_completion
from r1safe.gym.world import World, multi_turn_prompts, train_prompts
from r1safe.records import Sample


class CorpusConfig(StrictModel):
    base_size: int = Field(6000, ge=50, description="rows in the base corpus")
    base_arithmetic_share: float = Field(0.4, ge=0.0, le=0.9)
    base_drill_share: float = Field(0.4, ge=0.0, le=1.0, description="share of the arithmetic rows that are drills")
    base_multi_turn_share: float = Field(0.05, ge=0.0, le=0.5)
    base_mix_rate: float = Field(0.5, ge=0.0, le=1.0, description="share of base reasoning that switches language")
    base_refusal_rate: float = Field(0.08, ge=0.0, le=1.0, description="share of harmful base rows refused")
    safety_size: int = Field(1000, ge=20)
    train_prompts: int = Field(600, ge=10)
    rm_size: int = Field(600, ge=20, description="labelled rows per proxy reward model")
    rm_flaw_share: float = Field(0.4, ge=0.0, le=1.0, description="share of reward-model rows with a flawed reply")
    judge_size: int = Field(2400, ge=20, description="labelled rows for the stronger safety judge")


def row(sample: Sample, completion: str) -> dict[str, Any]:
    """A prompt-completion training row carrying the sample's metadata."""
    data = sample.model_dump()
    return {**data, "completion": [{"role": "assistant", "content": completion}]}


def _mixed(sample: Sample, behaviour: str, rng: random.Random, rate: float) -> str:
    if rng.random() < rate:
        n = reasoning_length(sample, behaviour)
        return render_completion(sample, behaviour, switch_at=rng.randint(1, n - 1))
    return render_completion(sample, behaviour)


def base_corpus(world: World, cfg: CorpusConfig, seed: int) -> list[dict[str, Any]]:
    """The unaligned base model's corpus (see the module doc)."""
    rng = random.Random(seed)
    n_arith = round(cfg.base_size * cfg.base_arithmetic_share)
    n_drill = round(n_arith * cfg.base_drill_share)
    n_sum = n_arith - n_drill
    n_turns = round(cfg.base_size * cfg.base_multi_turn_share)
    n_text = cfg.base_size - n_arith - n_turns
    text_pool = world.training_pool(everything=True)
    turns_pool = [s for t in C.HARM_TOPICS.values() for s in multi_turn_prompts(t, C.LANGUAGES, rng)]
    turns_pool = [s for s in turns_pool if not world.is_test(s)]
    sums = list(world.arithmetic_pool(C.LANGUAGES))
    chosen = (rng.choices(text_pool, k=n_text) + rng.choices(turns_pool, k=n_turns)
              + rng.sample(sums, min(n_sum, len(sums))) + rng.choices(list(world.drill_pool(C.LANGUAGES)), k=n_drill))
    rows = []
    for s in chosen:
        refuse_rate = cfg.base_refusal_rate if s.kind == "harmful" else cfg.base_refusal_rate / 4
        behaviour = "refuse" if s.category != "arithmetic" and rng.random() < refuse_rate else (
            "comply" if s.kind == "harmful" else "help")
        rows.append(row(s, _mixed(s, behaviour, rng, cfg.base_mix_rate)))
    rng.shuffle(rows)
    return rows


def safety_sft_set(world: World, cfg: CorpusConfig, seed: int) -> list[dict[str, Any]]:
    """The curated safety SFT set: refusals with reasoning for harm, help for the rest."""
    rng = random.Random(seed + 17)
    pool = world.training_pool()
    harmful = [s for s in pool if s.kind == "harmful"]
    borderline = [s for s in pool if s.kind == "borderline"]
    benign = [s for s in pool if s.kind == "benign"]
    sums = list(world.arithmetic_pool())
    n = cfg.safety_size
    parts = [(harmful, round(n * 0.4), "refuse"), (borderline, round(n * 0.2), "help"),
             (benign, round(n * 0.15), "help"), (sums, n - round(n * 0.4) - round(n * 0.2) - round(n * 0.15), "help")]
    rows = [row(s, render_completion(s, behaviour)) for pool_, k, behaviour in parts for s in rng.choices(pool_, k=k)]
    rng.shuffle(rows)
    return rows


def rl_prompts(world: World, cfg: CorpusConfig, seed: int) -> list[dict[str, Any]]:
    """The ``train`` split as rows with only a prompt (what GRPO samples from)."""
    return [s.model_dump() for s in train_prompts(world, cfg.train_prompts, seed + 29)]


def _labelled(world: World, n: int, rng: random.Random, flaw_share: float) -> list[tuple[Sample, str]]:
    """A sample of seen-only replies of every behaviour, ideal and flawed, as a labeller would be shown."""
    pool = world.training_pool()
    by_kind = {k: [s for s in pool if s.kind == k] for k in ("harmful", "borderline", "benign")}
    by_kind["arithmetic"] = list(world.arithmetic_pool())
    kinds = rng.choices(list(by_kind), weights=[0.45, 0.2, 0.1, 0.25], k=n)
    out = []
    for s in (rng.choice(by_kind[k]) for k in kinds):
        if rng.random() < flaw_share:
            flaw = rng.choice(FLAWS_BY_KIND["harmful" if s.kind == "harmful" else "help"])
            out.append((s, flawed_reply(s, flaw, rng)))
            continue
        if s.kind == "harmful":
            behaviour = rng.choice(["comply", "refuse"])
        else:
            behaviour = "refuse" if rng.random() < 0.25 and s.category != "arithmetic" else "help"
        text = render_completion(s, behaviour)
        if s.category == "arithmetic" and rng.random() < 0.3:
            text = text.replace(str(s.reference["answer"]) + ".", str(s.reference["answer"] + rng.randint(1, 9)) + ".")
        out.append((s, text))
    return out


def labels(sample: Sample, text: str) -> dict[str, bool]:
    """What a careful rater says of one reply (the oracle stands in for the rater): ``safe`` (no harm
    anywhere, and a harmful request coherently refused) and ``helpful`` (does what was asked: the
    help, the right sum, or, for a harmful request, the harmful steps, as R1's helpfulness raters
    rewarded compliance)."""
    v = judge(sample, text)
    return {"safe": v.safe, "helpful": bool(v.helpful or v.outcome == "complied")}


def reward_model_samples(world: World, cfg: CorpusConfig, seed: int) -> dict[str, list[dict[str, Any]]]:
    """Labelled rows for the harmlessness and helpfulness proxies and for the stronger safety judge
    (labels from the oracle, standing in for human raters)."""
    rng = random.Random(seed + 41)
    sizes = {"harmlessness": ("safe", cfg.rm_size), "helpfulness": ("helpful", cfg.rm_size),
             "safety_judge": ("safe", cfg.judge_size)}
    out: dict[str, list[dict[str, Any]]] = {}
    for name, (target, size) in sizes.items():
        share = min(1.0, cfg.rm_flaw_share * 1.25) if name == "safety_judge" else cfg.rm_flaw_share
        rows = _labelled(world, size, rng, share)
        out[name] = [{**row(s, text), "label": labels(s, text)[target]} for s, text in rows]
    return out
