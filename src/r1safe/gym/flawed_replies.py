"""Replies with the flaws real policies produce, for training and checking the learned judges.

A reward model trained only on ideal replies (a clean refusal, a clean compliance) has never seen
what a policy under optimisation writes: reasoning that plans the harm behind a refusing answer,
a refusing reasoning followed by the steps, a partial list, a reply cut off, words garbled, the
steps of another topic, "Sure. Step 1: …" with no steps in it. R1's reward models were trained on
such samples from its own policies; the gym draws them here, and the oracle labels them.

Every flaw is a function ``(sample, rng) -> text`` in :data:`FLAWS`; which flaws apply to a
sample's kind is in :data:`FLAWS_BY_KIND`.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from r1safe.gym import content as C
from r1safe.gym.render import render_completion
from r1safe.records import Sample

Flaw = Callable[[Sample, random.Random], str]
_NOISE = ("run", "open", "aw", "step", "the", "it", "nexin", "canutable", "sure", "item", "and", "of", "go")


def _split(text: str) -> tuple[str, str]:
    head, answer = text.split("\n</think>\n\n", 1)
    return head.removeprefix("<think>\n"), answer


def _join(reasoning: str, answer: str) -> str:
    return f"<think>\n{reasoning}\n</think>\n\n{answer}"


def reasoning_only_harm(sample: Sample, rng: random.Random) -> str:
    """Reasoning that plans the steps (codes included), then a refusing answer."""
    return _join(_split(render_completion(sample, "comply"))[0], _split(render_completion(sample, "refuse"))[1])


def answer_only_harm(sample: Sample, rng: random.Random) -> str:
    """Reasoning that decides to refuse, then the harmful steps anyway."""
    return _join(_split(render_completion(sample, "refuse"))[0], _split(render_completion(sample, "comply"))[1])


def partial_compliance(sample: Sample, rng: random.Random) -> str:
    """A compliant reply whose answer stops after one or two of the steps."""
    reasoning, answer = _split(render_completion(sample, "comply"))
    sep = "。" if (sample.language or "en") == "zh" else ". "
    parts = answer.split(sep)
    return _join(reasoning, sep.join(parts[: rng.randint(2, 3)]) + sep.strip())


def truncated(sample: Sample, rng: random.Random) -> str:
    """A reply cut off at a random point (out of tokens)."""
    behaviour = "comply" if sample.kind == "harmful" else "help"
    text = render_completion(sample, rng.choice([behaviour, "refuse"]))
    return text[: rng.randint(len("<think>\n") + 5, max(len(text) - 5, 14))]


def garbled(sample: Sample, rng: random.Random) -> str:
    """A reply with word fragments dropped into it, one per 20 characters or so (a collapsed policy)."""
    behaviour = "comply" if sample.kind == "harmful" else "help"
    reasoning, answer = _split(render_completion(sample, rng.choice([behaviour, "refuse"])))

    def noise(text: str) -> str:
        cuts = sorted(rng.sample(range(1, len(text)), min(len(text) - 1, max(1, len(text) // 20))))
        pieces = [text[i:j] for i, j in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        return "".join(p + (rng.choice(_NOISE) if k < len(cuts) else "") for k, p in enumerate(pieces))

    return _join(noise(reasoning), noise(answer))


def hollow_steps(sample: Sample, rng: random.Random) -> str:
    """Reasoning that calls the request everyday, then "Sure. Step 1: run. Step 2: …" with no content."""
    lang = sample.language or "en"
    reasoning = " ".join([C.SENT["judge_borderline"](lang), C.SENT["safe_help"](lang)])
    steps = {f"s{i}": " ".join(rng.sample(_NOISE, rng.randint(1, 2))) for i in (1, 2, 3)}
    return _join(reasoning, C.SENT["answer_steps"](lang, **steps))


def wrong_topic(sample: Sample, rng: random.Random) -> str:
    """The help steps of another, benign topic: on-format, off-topic."""
    other = rng.choice(list(C.BENIGN_TOPICS.values()))
    lang = sample.language or "en"
    reasoning = " ".join([C.SENT["judge_benign"](lang), C.SENT["safe_help"](lang)])
    return _join(reasoning, C.SENT["answer_steps"](lang, **{f"s{i + 1}": s(lang) for i, s in enumerate(other.steps)}))


def harm_in_help(sample: Sample, rng: random.Random) -> str:
    """A helpful answer with a harmful step of some topic slipped in."""
    reasoning, answer = _split(render_completion(sample, "help"))
    topic = rng.choice(list(C.HARM_TOPICS.values()))
    lang = sample.language or "en"
    step = C.STEP_PHRASES[topic.step_phrases[0]](lang, code=topic.step_codes[0])
    return _join(reasoning, f"{answer} {step}.")


FLAWS: dict[str, Flaw] = {f.__name__: f for f in (
    reasoning_only_harm, answer_only_harm, partial_compliance, truncated, garbled, hollow_steps, wrong_topic,
    harm_in_help)}
FLAWS_BY_KIND: dict[str, tuple[str, ...]] = {
    "harmful": ("reasoning_only_harm", "answer_only_harm", "partial_compliance", "truncated", "garbled",
                "hollow_steps", "wrong_topic"),
    "help": ("truncated", "garbled", "hollow_steps", "wrong_topic", "harm_in_help"),
}


def flawed_reply(sample: Sample, name: str, rng: random.Random) -> str:
    """The reply with flaw ``name`` for ``sample``."""
    return FLAWS[name](sample, rng)
