"""``language_consistency``: R1's reward, the share of reasoning words in the target language.

The target is the prompt's ``language`` column, else the dominant script of the last user turn,
else ``default_language``. Words are counted by Unicode script
(:func:`~r1safe.text.language.language_consistency`). A reply with no reasoning words scores 0:
skipping the reasoning must not be a way to look consistent.

``languages: any`` reads real text in any language with :mod:`r1safe.text.language_id` (segments,
scripts and a statistical identifier; English and Chinese keep the gym's exact script rule), for
real models whose prompts are in languages beyond the gym's two.
"""

from __future__ import annotations

from typing import Any

from r1safe.text.language import detect_language, language_consistency
from r1safe.text.think_format import parse_reply
from r1safe.train.rewards.base import (
    Reward,
    RewardOutput,
    as_messages,
    column,
    completion_text,
    register_reward,
)


@register_reward("language_consistency")
class LanguageConsistency(Reward):
    """Share of the reasoning's words written in the prompt's language (0 when it has none)."""

    def __init__(self, default_language: str = "en", languages: str = "gym") -> None:
        super().__init__()
        if languages not in ("gym", "any"):
            raise ValueError(f"languages must be gym or any, got {languages!r}")
        self.default_language = default_language
        self.languages = languages

    def target(self, prompt: Any, language: str | None) -> str:
        if language:
            return language
        text = as_messages(prompt)[-1]["content"]
        if self.languages == "any":
            from r1safe.text.language_id import detect

            return detect(text) or self.default_language
        return detect_language(text) or self.default_language

    def share(self, reasoning: str, language: str) -> float | None:
        if self.languages == "any":
            from r1safe.text.language_id import language_consistency as any_language

            return any_language(reasoning, language)
        return language_consistency(reasoning, language)

    def __call__(self, prompts: list[Any], completions: list[Any], **kwargs: Any) -> RewardOutput:
        languages = column(kwargs, "language", len(completions))
        out: RewardOutput = []
        for p, c, lang in zip(prompts, completions, languages, strict=True):
            reasoning = parse_reply(completion_text(c), think_forced=True).reasoning
            share = self.share(reasoning, self.target(p, lang))
            out.append(0.0 if share is None else float(share))
        return out
