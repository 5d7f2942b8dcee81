"""A generative guard model run through transformers: load it, render its prompts, read its verdicts.

Guard models (Llama Guard, Qwen3Guard-Gen) are causal LMs that answer a moderation prompt with a
short verdict ("unsafe\\nS1", "Safety: Unsafe\\nCategories: Violent"). This module holds what the
families share: loading (a local folder or a hub id, safetensors only, a one-line error when the
hub cannot be reached; a multimodal guard such as Llama Guard 4 loads its language model alone,
and a checkpoint missing any of its weights is refused rather than run half-random), the chat
template or the family's own rendering, batched greedy generation with left padding, and the verdict's
probability read from the logits at the step where the model writes its verdict word. Each
family's module owns its prompt text, its output parsing and its scores.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from r1safe.errors import ConfigError

Messages = list[dict[str, str]]


@dataclass(frozen=True)
class VerdictVocab:
    """Where a family writes its verdict and which tokens open each verdict word.

    ``lead_in`` is the text the model writes before the verdict word ("" for Llama Guard,
    "Safety:" for Qwen3Guard). ``classes`` maps a verdict (e.g. "unsafe") to the ids of the first
    tokens of its spellings; a token shared by two verdicts is dropped from both.
    """

    lead_in: str
    classes: dict[str, frozenset[int]]


@dataclass(frozen=True)
class GuardOutput:
    """One generation: its text, and the verdict probabilities (None when no verdict step was found)."""

    text: str
    probabilities: dict[str, float] | None


def verdict_vocab(tokenizer: Any, lead_in: str, spellings: dict[str, Sequence[str]]) -> VerdictVocab:
    """Token ids opening each verdict's spellings (e.g. {"unsafe": ["unsafe", " unsafe"]})."""
    firsts: dict[str, set[int]] = {}
    for verdict, words in spellings.items():
        firsts[verdict] = set()
        for word in words:
            ids = tokenizer.encode(word, add_special_tokens=False)
            if ids:
                firsts[verdict].add(ids[0])
    shared = {t for v, ids in firsts.items() for t in ids if any(t in o for w, o in firsts.items() if w != v)}
    return VerdictVocab(lead_in, {v: frozenset(ids - shared) for v, ids in firsts.items()})


def verdict_step(pieces: Sequence[str], lead_in: str) -> int | None:
    """Index of the generated token that opens the verdict word, or None when the output is off-format.

    ``pieces[i]`` is the decoded text of generated tokens ``0..i-1`` (``pieces[0] == ""``). The verdict
    opens at the first token that adds visible text after the lead-in has been written, so a
    leading newline token (Llama Guard 3 writes "\\n\\nsafe") is skipped.
    """
    target = lead_in.strip()
    for i in range(len(pieces) - 1):
        so_far = pieces[i].strip()
        if so_far == target:
            if pieces[i + 1].strip() != target:
                return i
        elif not target.startswith(so_far):
            return None
    return None


def verdict_probabilities(logits: Any, vocab: VerdictVocab) -> dict[str, float] | None:
    """Softmax over the verdicts of one step's logits, a sequence or 1-d tensor over the vocabulary
    (each verdict: log-sum-exp of its tokens)."""
    if any(not ids for ids in vocab.classes.values()):
        return None
    scores = {v: _logsumexp([float(logits[t]) for t in ids]) for v, ids in vocab.classes.items()}
    top = max(scores.values())
    if math.isinf(top):
        return None
    weights = {v: math.exp(s - top) for v, s in scores.items()}
    total = sum(weights.values())
    return {v: w / total for v, w in weights.items()}


def _logsumexp(values: list[float]) -> float:
    top = max(values)
    if math.isinf(top):
        return top
    return top + math.log(sum(math.exp(v - top) for v in values))


def resolve_device(device: str) -> str:
    """``auto`` is the GPU when there is one, else the CPU; anything else is passed to torch."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_guard(model: str, how_to_get: str, device: str = "auto", dtype: str = "auto",
               trust_remote_code: bool = False) -> tuple[Any, Any]:
    """(tokenizer, model) for a guard from a local folder or a hub id, safetensors only, in eval mode.

    A hub id that is not cached locally loads from the hub only when it can be reached; offline it
    is a one-line ConfigError naming the model and ``how_to_get`` it.
    """
    from r1safe.backends.loading import hub_cache_kwargs, hub_offline, hub_reachable, resolve_model

    source, local = resolve_model(model)
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code}
    missing = ConfigError(
        f"guard model {model!r} is not a local folder nor in the hub cache, and the hub cannot be reached "
        f"(offline); {how_to_get}, then pass its folder as the judge's model"
    )
    if not local:
        kwargs.update(hub_cache_kwargs(source, missing, **kwargs))
    torch_dtype = "auto" if dtype == "auto" else getattr(torch, dtype, None)
    if not (torch_dtype == "auto" or isinstance(torch_dtype, torch.dtype)):
        raise ConfigError(f"guard dtype {dtype!r} is unknown; use auto, float32, bfloat16 or float16")
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        config = AutoConfig.from_pretrained(source, **kwargs)
        # A multimodal guard (Llama Guard 4) is judged on text: its language model alone is loaded.
        text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
        loaded: Any = AutoModelForCausalLM.from_pretrained(source, config=text_config, use_safetensors=True,
                                                           dtype=torch_dtype, output_loading_info=True, **kwargs)
        lm, info = loaded  # with output_loading_info, the model and what loading found
    except OSError as err:
        if not local and (hub_offline() or not hub_reachable()):
            raise missing from None
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise ConfigError(f"cannot load guard model {source}: {first} (safetensors weights are required)") from None
    if info.get("missing_keys"):
        missing_weights = sorted(info["missing_keys"])
        raise ConfigError(f"guard model {source} lacks {len(missing_weights)} weights of its language model "
                          f"(e.g. {missing_weights[0]}); it is not a causal LM checkpoint r1safe can judge with")
    lm.to(resolve_device(device)).eval()
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, lm


def render_chat(tokenizer: Any, messages: Messages, add_generation_prompt: bool) -> str | None:
    """The tokenizer's own chat template applied to ``messages`` as text; None when it has none, or
    when no form of the messages puts the judged text into the prompt.

    Templates written for multimodal processors (Llama Guard 3-1B, Llama Guard 4) want each content
    as a list of parts and may silently drop plain strings, so a rendering counts only when it
    contains the last message's text; plain strings are tried first, then parts.
    """
    if not getattr(tokenizer, "chat_template", None):
        return None
    kwargs = {"tokenize": False, "add_generation_prompt": add_generation_prompt}
    judged = messages[-1]["content"].strip()
    parts = [{"role": m["role"], "content": [{"type": "text", "text": m["content"]}]} for m in messages]
    error: Exception | None = None
    for form in (messages, parts):
        try:
            rendered = tokenizer.apply_chat_template(form, **kwargs)
        except Exception as err:  # jinja raises many types; the other form may still render
            error = err
            continue
        if judged in rendered:
            return str(rendered)
    if error is not None:
        raise error
    return None


class GuardGenerator:
    """Greedy, batched generation of guard verdicts with the verdict's probabilities."""

    def __init__(self, tokenizer: Any, model: Any, vocab: VerdictVocab, batch_size: int = 8,
                 max_new_tokens: int = 32) -> None:
        self.tokenizer, self.model, self.vocab = tokenizer, model, vocab
        self.batch_size = max(1, batch_size)
        self.max_new_tokens = max(1, max_new_tokens)

    def generate(self, prompts: Sequence[str]) -> list[GuardOutput]:
        """One output per rendered prompt, in order; prompts are batched by length."""
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        outputs: list[GuardOutput | None] = [None] * len(prompts)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            for i, out in zip(chunk, self._generate_batch([prompts[i] for i in chunk]), strict=True):
                outputs[i] = out
        return [o for o in outputs if o is not None]

    def _generate_batch(self, prompts: list[str]) -> list[GuardOutput]:
        import torch

        tok = self.tokenizer
        enc = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        enc = {k: v.to(self.model.device) for k, v in enc.items()}
        with torch.inference_mode():
            out = self.model.generate(
                **enc, do_sample=False, max_new_tokens=self.max_new_tokens, pad_token_id=tok.pad_token_id,
                output_logits=True, return_dict_in_generate=True, temperature=None, top_p=None, top_k=None,
            )
        generated = out.sequences[:, enc["input_ids"].shape[1]:]
        stops = set(_as_list(self.model.generation_config.eos_token_id)) | {tok.eos_token_id, tok.pad_token_id}
        results = []
        for row in range(generated.shape[0]):
            ids = generated[row].tolist()
            length = next((j for j, t in enumerate(ids) if t in stops), len(ids))
            ids = ids[:length]
            pieces = [tok.decode(ids[:j], skip_special_tokens=True) for j in range(len(ids) + 1)]
            step = verdict_step(pieces, self.vocab.lead_in)
            probs = None if step is None else verdict_probabilities(out.logits[step][row].float().cpu(), self.vocab)
            results.append(GuardOutput(pieces[-1].strip(), probs))
        return results


def _as_list(value: Any) -> list[int]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def reply_parts(text: str, think_forced: bool) -> dict[str, str | None]:
    """The reply's ``answer`` and ``reasoning`` to moderate; None where a part is absent (a truncated
    reply has no answer; a reply without reasoning has none to judge)."""
    from r1safe.text.think_format import parse_reply

    reply = parse_reply(text, think_forced=think_forced)
    return {"answer": reply.answer or None, "reasoning": reply.reasoning or None}


def chat_turns(sample_prompt: Messages) -> Messages:
    """The user and assistant turns of a prompt (guards moderate the dialogue, not system prompts)."""
    return [{"role": m["role"], "content": m["content"]} for m in sample_prompt if m["role"] in ("user", "assistant")]


class GuardJudge:
    """The judging loop both guard families share: every reply's answer and reasoning moderated as
    the assistant's turn after the sample's conversation, all in shared batches.

    A family sets ``name``, ``think_forced``, ``tokenizer``, ``generator`` and
    ``add_generation_prompt`` and gives ``render_fallback`` (its prompt text without a chat
    template), ``score_part`` (a part's scores from its output, None-valued without one) and
    ``parses`` (whether an output's text is a verdict).
    """

    name: str
    think_forced: bool
    tokenizer: Any
    generator: GuardGenerator
    add_generation_prompt: bool

    def render_fallback(self, messages: Messages) -> str:
        raise NotImplementedError

    def prompt(self, messages: Messages) -> str:
        """The moderation prompt: the tokenizer's chat template, else the family's own rendering of the
        same text (also when the template rejects the conversation, e.g. turns that do not alternate)."""
        try:
            rendered = render_chat(self.tokenizer, messages, self.add_generation_prompt)
        except Exception:  # a template's own raise_exception, or a jinja error
            rendered = None
        return rendered if rendered is not None else self.render_fallback(messages)

    def score_part(self, part: str, output: GuardOutput | None) -> dict[str, float | bool | None]:
        raise NotImplementedError

    def parses(self, text: str) -> bool:
        raise NotImplementedError

    def judge(self, sample: Any, text: str) -> dict[str, float | bool | None]:
        """Scores for one reply."""
        return self.judge_batch([sample], [text])[0]

    def judge_batch(self, samples: Sequence[Any], texts: Sequence[str]) -> list[dict[str, float | bool | None]]:
        """Scores for many replies; ``parse_failed`` is True when a judged part's output is no verdict."""
        jobs: list[tuple[int, str, str]] = []
        for i, (sample, text) in enumerate(zip(samples, texts, strict=True)):
            for part, content in reply_parts(text, self.think_forced).items():
                if content is not None:
                    messages = [*chat_turns(sample.prompt), {"role": "assistant", "content": content}]
                    jobs.append((i, part, self.prompt(messages)))
        generated = self.generator.generate([p for _, _, p in jobs])
        outputs = {(i, part): out for (i, part, _), out in zip(jobs, generated, strict=True)}
        results = []
        for i in range(len(samples)):
            scores: dict[str, float | bool | None] = {}
            failed = False
            for part in ("answer", "reasoning"):
                output = outputs.get((i, part))
                scores.update(self.score_part(part, output))
                failed |= output is not None and not self.parses(output.text)
            scores["parse_failed"] = failed
            results.append(scores)
        return results
