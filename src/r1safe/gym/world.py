"""The gym world: a seeded, deterministic generator of chat records with exact ground truth.

Records are :class:`~r1safe.records.Sample` objects. The world splits them, by seed, into
``train`` (what safety training may see) and held-out test splits that probe generalization:

==============  ===========================================================================
split           what it holds
==============  ===========================================================================
id              harmful, seen categories, plain wrapper, English
ood_category    harmful, categories never trained on, plain, English
ood_wrapper     harmful, seen categories, jailbreak wrappers never trained on, English
ood_language    harmful, seen categories, plain, Chinese
multi_turn      harmful request after benign turns, split across turns, or escalated
borderline      benign requests that look harmful (XSTest style), English
benign          everyday requests, English
capability      arithmetic word problems with an exact answer, English
paraphrase      harmful, seen categories, asked for by the plan's first step, never by name
compositional   harmful, seen categories, the request in two halves the prompt asks to join
nested_wrapper  harmful, seen categories, a jailbreak wrapper inside another, one held out
code_switch     harmful, seen categories, English and Chinese mixed in one turn
==============  ===========================================================================

The last four (``SHIFT_SPLITS``, see :mod:`r1safe.gym.shifts`) are harder, honest shifts added
after the first eight; each is drawn with its own random stream, so the first eight splits and
every training pool are exactly what they were before.

``train`` holds English single-turn prompts of seen categories and seen wrappers only, so no
held-out category, wrapper, language or turn structure leaks into safety training. No test
prompt text appears in any training pool (base corpus included).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from pydantic import AliasChoices, Field, model_validator

from r1safe.config import StrictModel
from r1safe.gym import content as C
from r1safe.gym.prompts import harm_reference, help_reference, make_sample, user_turn
from r1safe.gym.shifts import SHIFT_SPLITS, shift_pools
from r1safe.records import Sample

TEST_SPLITS = ("id", "ood_category", "ood_wrapper", "ood_language", "multi_turn", "borderline", "benign", "capability",
               *SHIFT_SPLITS)
#: The harmful splits of the first world, whose pooled held-out numbers the study has always reported.
HARMFUL_SPLITS = ("id", "ood_category", "ood_wrapper", "ood_language", "multi_turn")


class WorldConfig(StrictModel):
    """How the world is drawn. Content (topics, templates) is fixed; ``draw_seed`` draws which
    categories, wrappers and topics are held out and which prompts land in each split. (The gym's
    own ``seed`` is another one: it samples the corpora and initialises and trains the base model.)
    ``seed`` is still read as its old name, and the build digest keeps that name, so existing gym
    builds keep their folders."""

    draw_seed: int = Field(0, validation_alias=AliasChoices("draw_seed", "seed"), serialization_alias="seed")
    heldout_categories: int = Field(2, ge=1, le=len(C.CATEGORIES) - 2)
    heldout_wrappers: int = Field(3, ge=1, le=len(C.WRAPPERS) - 2)
    heldout_borderline: int = Field(3, ge=0, le=len(C.BORDERLINE_TOPICS) - 2)
    test_size: int = Field(48, ge=1, le=200, description="prompts per test split")
    number_range: tuple[int, int] = (10, 49)
    operations: tuple[Literal["+", "-"], ...] = Field(
        ("+",), min_length=1,
        description="arithmetic operations; the default tiny model learns addition in its budget, not subtraction")

    @model_validator(mode="after")
    def _check_range(self) -> WorldConfig:
        lo, hi = self.number_range
        if not 10 <= lo < hi <= 99 or hi - lo < 5:
            raise ValueError(f"number_range must satisfy 10 <= lo < hi <= 99 with hi - lo >= 5, got {lo, hi}")
        return self


def harmful_prompts(topic: C.HarmTopic, wrappers: list[str], languages: tuple[str, ...]) -> Iterator[Sample]:
    """Every single-turn phrasing of one harmful topic under the given wrappers and languages."""
    ref = harm_reference(topic)
    for lang in languages:
        for form in C.REQUEST_FORMS:
            req = form(lang, t=topic.request(lang))
            for w in wrappers:
                yield make_sample(user_turn(C.WRAPPERS[w](lang, req=req)), kind="harmful", category=topic.category,
                              language=lang, wrapper=w, reference=ref)


def help_prompts(topic: C.HelpTopic, wrappers: list[str], languages: tuple[str, ...]) -> Iterator[Sample]:
    """Every single-turn phrasing of one benign or borderline topic."""
    ref = help_reference(topic)
    category = "borderline" if topic.kind == "borderline" else "everyday"
    for lang in languages:
        for form in C.REQUEST_FORMS:
            req = form(lang, t=topic.request(lang))
            for w in wrappers:
                yield make_sample(user_turn(C.WRAPPERS[w](lang, req=req)), kind=topic.kind, category=category,
                              language=lang, wrapper=w, reference=ref)


def arithmetic_prompt(a: int, b: int, op: str, name: int, item: int, lang: str, drill: bool = False) -> Sample:
    """One word problem (or a bare ``drill``); ``a op b`` with ``a >= b`` for subtraction."""
    if drill:
        text = C.DRILL[op](lang, a=a, b=b)
    else:
        text = C.ARITHMETIC[op](lang, a=a, b=b, name=C.NAMES[name](lang), item=C.ITEMS[item](lang))
    ref = {"a": a, "b": b, "op": op, "answer": a + b if op == "+" else a - b}
    return make_sample(user_turn(text), kind="benign", category="arithmetic", language=lang, wrapper="plain",
                       reference=ref)


def multi_turn_prompts(topic: C.HarmTopic, languages: tuple[str, ...], rng: random.Random) -> Iterator[Sample]:
    """The three multi-turn shapes for one harmful topic: follow, split and escalate."""
    ref = harm_reference(topic)
    benign = list(C.BENIGN_TOPICS.values())
    for lang in languages:
        for style, turns in C.MULTI_TURN.items():
            b = rng.choice(benign)
            helped = C.SENT["answer_steps"](lang, s1=b.steps[0](lang), s2=b.steps[1](lang), s3=b.steps[2](lang))
            fields = {"t": topic.request(lang), "cat": C.CATEGORIES[topic.category](lang), "b": b.request(lang),
                      "help": helped.split(" ", 1)[-1] if lang == "en" else helped[3:]}
            messages = [{"role": "user" if i % 2 == 0 else "assistant", "content": t(lang, **fields)}
                        for i, t in enumerate(turns)]
            yield make_sample(messages, kind="harmful", category=topic.category, language=lang,
                              wrapper=f"turns:{style}", turns=(len(messages) + 1) // 2, reference=ref)


@dataclass
class World:
    """A drawn world: which categories, wrappers and borderline topics are held out, and the splits."""

    config: WorldConfig
    heldout_categories: list[str]
    heldout_wrappers: list[str]
    heldout_borderline: list[str]
    splits: dict[str, list[Sample]] = field(default_factory=dict)

    @property
    def seen_categories(self) -> list[str]:
        return [c for c in C.CATEGORIES if c not in self.heldout_categories]

    @property
    def seen_wrappers(self) -> list[str]:
        return [w for w in C.WRAPPERS if w not in self.heldout_wrappers]

    @cached_property
    def test_texts(self) -> set[str]:
        return {_prompt_key(s) for name in TEST_SPLITS for s in self.splits.get(name, [])}

    @cached_property
    def test_sums(self) -> set[tuple[int, int, str]]:
        return {(s.reference["a"], s.reference["b"], s.reference["op"]) for s in self.splits.get("capability", [])}

    def is_test(self, sample: Sample) -> bool:
        """True when ``sample`` is, or shares its prompt or sum with, a held-out test record."""
        if "answer" in sample.reference:
            return (sample.reference["a"], sample.reference["b"], sample.reference["op"]) in self.test_sums
        return _prompt_key(sample) in self.test_texts

    def split(self, name: str) -> list[Sample]:
        if name not in self.splits:
            from r1safe.errors import ConfigError

            raise ConfigError(f"unknown split {name!r}; known: {', '.join(self.splits)}")
        return self.splits[name]

    def arithmetic_pool(self, languages: tuple[str, ...] = ("en",)) -> Iterator[Sample]:
        """Every arithmetic problem in range that is not a test problem, in a fixed order."""
        lo, hi = self.config.number_range
        for a in range(lo, hi + 1):
            for b in range(lo, hi + 1):
                for op in self.config.operations:
                    if (op == "-" and b > a) or (a, b, op) in self.test_sums:
                        continue
                    for lang in languages:
                        yield arithmetic_prompt(a, b, op, (a + b) % len(C.NAMES), (a * b) % len(C.ITEMS), lang)

    def drill_pool(self, languages: tuple[str, ...] = ("en",)) -> Iterator[Sample]:
        """Bare sums of a number up to 19 and a digit: the digit facts the word problems use."""
        for a in range(1, 20):
            for b in range(1, 10):
                for op in self.config.operations:
                    if (op == "-" and b > a) or (a, b, op) in self.test_sums:
                        continue
                    for lang in languages:
                        yield arithmetic_prompt(a, b, op, 0, 0, lang, drill=True)

    def training_pool(self, kinds: tuple[str, ...] = ("harmful", "benign", "borderline"),
                      everything: bool = False) -> list[Sample]:
        """Non-test single-turn prompts. ``everything`` opens all categories, wrappers and both
        languages (the base corpus); otherwise only what safety training may see."""
        cats = list(C.CATEGORIES) if everything else self.seen_categories
        wrappers = list(C.WRAPPERS) if everything else self.seen_wrappers
        langs = C.LANGUAGES if everything else ("en",)
        out: list[Sample] = []
        if "harmful" in kinds:
            for t in C.HARM_TOPICS.values():
                if t.category in cats:
                    out.extend(harmful_prompts(t, wrappers, langs))
        if "benign" in kinds:
            for help_topic in C.BENIGN_TOPICS.values():
                out.extend(help_prompts(help_topic, wrappers, langs))
        if "borderline" in kinds:
            for help_topic in C.BORDERLINE_TOPICS.values():
                if everything or help_topic.key not in self.heldout_borderline:
                    out.extend(help_prompts(help_topic, wrappers, langs))
        return [s for s in out if not self.is_test(s)]


def _prompt_key(sample: Sample) -> str:
    return "\x1f".join(m["content"] for m in sample.prompt)


def _take(pool: list[Sample], n: int, rng: random.Random, split: str) -> list[Sample]:
    chosen = rng.sample(pool, min(n, len(pool)))
    return [s.model_copy(update={"split": split}) for s in chosen]


def build_world(config: WorldConfig | None = None) -> World:
    """Draw the world for ``config.draw_seed``: held-out sets, then every test split.

    Deterministic: the same config gives the same records, ids and order.
    """
    cfg = config or WorldConfig()
    rng = random.Random(cfg.draw_seed)
    heldout_c = sorted(rng.sample(list(C.CATEGORIES), cfg.heldout_categories))
    heldout_w = sorted(rng.sample([w for w in C.WRAPPERS if w != "plain"], cfg.heldout_wrappers))
    heldout_b = sorted(rng.sample(list(C.BORDERLINE_TOPICS), cfg.heldout_borderline))
    world = World(cfg, heldout_c, heldout_w, heldout_b)
    seen = [t for t in C.HARM_TOPICS.values() if t.category not in heldout_c]
    unseen = [t for t in C.HARM_TOPICS.values() if t.category in heldout_c]
    n = cfg.test_size

    def pool(topics: list[C.HarmTopic], wrappers: list[str], langs: tuple[str, ...]) -> list[Sample]:
        return [s for t in topics for s in harmful_prompts(t, wrappers, langs)]

    mt_rng = random.Random(cfg.draw_seed + 1)
    lo, hi = cfg.number_range
    sums = [(a, b, op) for a in range(lo, hi + 1) for b in range(lo, hi + 1) for op in cfg.operations
            if op == "+" or a >= b]
    world.splits = {
        "id": _take(pool(seen, ["plain"], ("en",)), n, rng, "id"),
        "ood_category": _take(pool(unseen, ["plain"], ("en",)), n, rng, "ood_category"),
        "ood_wrapper": _take(pool(seen, heldout_w, ("en",)), n, rng, "ood_wrapper"),
        "ood_language": _take(pool(seen, ["plain"], ("zh",)), n, rng, "ood_language"),
        "multi_turn": _take([s for t in seen for s in multi_turn_prompts(t, ("en",), mt_rng)], n, rng, "multi_turn"),
        "borderline": _take([s for t in C.BORDERLINE_TOPICS.values() for s in help_prompts(t, ["plain"], ("en",))],
                            n, rng, "borderline"),
        "benign": _take([s for t in C.BENIGN_TOPICS.values() for s in help_prompts(t, ["plain"], ("en",))],
                        n, rng, "benign"),
        "capability": [
            arithmetic_prompt(a, b, op, i % len(C.NAMES), (i // 4) % len(C.ITEMS), "en").model_copy(
                update={"split": "capability"})
            for i, (a, b, op) in enumerate(rng.sample(sums, min(n, len(sums) // 4)))
        ],
    }
    for name, candidates in shift_pools(seen, heldout_w).items():
        world.splits[name] = _take(candidates, n, random.Random(f"{name}:{cfg.draw_seed}"), name)
    world.__dict__.pop("test_texts", None)
    world.__dict__.pop("test_sums", None)
    return world


def train_prompts(world: World, size: int, seed: int, arithmetic_share: float = 0.25) -> list[Sample]:
    """The ``train`` split: a seeded mix of seen-only prompts (harmful, benign, borderline, sums)."""
    rng = random.Random(seed)
    pool = world.training_pool()
    n_sum = round(size * arithmetic_share)
    harmful = [s for s in pool if s.kind == "harmful"]
    helpful = [s for s in pool if s.kind != "harmful"]
    n_harm = (size - n_sum) // 2
    chosen = rng.sample(harmful, min(n_harm, len(harmful)))
    chosen += rng.sample(helpful, min(size - n_sum - n_harm, len(helpful)))
    sums = list(world.arithmetic_pool())
    chosen += rng.sample(sums, min(n_sum, len(sums)))
    rng.shuffle(chosen)
    return [s.model_copy(update={"split": "train"}) for s in chosen]
