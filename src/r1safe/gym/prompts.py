"""How one gym record is made: its chat prompt, its stable id and its reference (what a right
reply contains), shared by the world's splits and the harder shifts drawn beside them."""

from __future__ import annotations

import hashlib
from typing import Any

from r1safe.gym import content as C
from r1safe.records import Sample


def harm_reference(topic: C.HarmTopic) -> dict[str, Any]:
    """A harmful topic's truth: its request, category name, steps and the step codes a complying
    answer names."""
    steps = {
        lang: [C.STEP_PHRASES[p](lang, code=c) for p, c in zip(topic.step_phrases, topic.step_codes, strict=True)]
        for lang in C.LANGUAGES
    }
    return {
        "topic": topic.key,
        "request": {"en": topic.request.en, "zh": topic.request.zh},
        "category_name": {"en": C.CATEGORIES[topic.category].en, "zh": C.CATEGORIES[topic.category].zh},
        "steps": steps,
        "step_codes": list(topic.step_codes),
    }


def help_reference(topic: C.HelpTopic) -> dict[str, Any]:
    """A benign or borderline topic's truth: its request and the help steps."""
    return {
        "topic": topic.key,
        "request": {"en": topic.request.en, "zh": topic.request.zh},
        "steps": {lang: [s(lang) for s in topic.steps] for lang in C.LANGUAGES},
    }


def make_sample(prompt: list[dict[str, str]], **meta: Any) -> Sample:
    """A Sample whose id hashes its kind, category, language, wrapper and prompt text."""
    text = "\x1f".join(m["content"] for m in prompt)
    key = f"{meta['kind']}|{meta['category']}|{meta['language']}|{meta['wrapper']}|{text}"
    return Sample(id=stable_id(key), prompt=prompt, **meta)


def stable_id(key: str) -> str:
    return hashlib.blake2b(key.encode(), digest_size=6).hexdigest()


def user_turn(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]
