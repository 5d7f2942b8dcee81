"""One chat rendering for SFT, whatever the model's chat template does with the think block.

SFT completions are canonical R1 replies (:func:`r1safe.train.sources.canonical_reply`). Two kinds
of chat template would break them if TRL rendered the conversation itself: one whose generation
prompt already opens ``<think>`` (DeepSeek-R1 distills since their January 2025 update), which would
train the model to write a second ``<think>``, and one that drops the reasoning of an assistant turn
(R1's template strips everything before ``</think>`` from history), which would train on answers
alone. When the template renders the reply verbatim after its generation prompt (the gym's), TRL's
own rendering is already right and the rows pass unchanged; otherwise they are rendered here as
text: the prompt through the template with its generation prompt, the completion as the canonical
reply less what the prompt already opened, then EOS. The model then writes exactly what GRPO and
evaluation read with ``think_forced``: the format reward scores a reply the same with the opener in
the prompt or in the completion.
"""

from __future__ import annotations

from typing import Any

from r1safe.text.think_format import THINK_OPEN, parse_reply

_PROBE_USER = [{"role": "user", "content": "ping"}]
_PROBE_REASONING = "r1safe-probe-reasoning"


def opened_think(tokenizer: Any) -> str:
    """What the template's generation prompt writes of the reply: ``<think>\\n``, ``<think>`` or ''."""
    text = tokenizer.apply_chat_template(_PROBE_USER, add_generation_prompt=True, tokenize=False)
    stripped = text.rstrip(" ")
    for opener in (THINK_OPEN + "\n", THINK_OPEN):
        if stripped.endswith(opener):
            return opener
    return ""


def faithful(tokenizer: Any) -> bool:
    """Whether rendering (user, canonical reply) gives the generation prompt followed by the reply:
    the think block kept, and any ``<think>`` the generation prompt opened being the reply's own."""
    reply = f"<think>\n{_PROBE_REASONING}\n</think>\n\nok"
    prompt = tokenizer.apply_chat_template(_PROBE_USER, add_generation_prompt=True, tokenize=False)
    whole = tokenizer.apply_chat_template([*_PROBE_USER, {"role": "assistant", "content": reply}], tokenize=False)
    rest = whole[len(prompt):] if whole.startswith(prompt) else None
    return rest is not None and (opened_think(tokenizer) + rest).startswith(reply)


def needs_text_rendering(tokenizer: Any) -> bool:
    """True when TRL's own conversational rendering would break the think format (module doc)."""
    if getattr(tokenizer, "chat_template", None) is None:
        return False
    return not faithful(tokenizer)


def canonical_completion(text: str, opened: str) -> str:
    """A reply in canonical form, less the ``opened`` part the prompt already holds."""
    reply = parse_reply(text, think_forced=True)
    if not reply.has_close:
        body = f"<think>\n{reply.reasoning}"
    else:
        body = f"<think>\n{reply.reasoning}\n</think>\n\n{reply.answer}"
    return body[len(opened):] if opened and body.startswith(opened) else body


def fit_to_template(tokenizer: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """SFT rows TRL can render without breaking the think format: as they are when the template is
    faithful, else as text (prompt through the template, canonical completion, EOS)."""
    if not needs_text_rendering(tokenizer):
        return rows
    opened = opened_think(tokenizer)
    eos = tokenizer.eos_token or ""
    bos = tokenizer.bos_token
    adds_bos = bool(bos) and tokenizer("x")["input_ids"][:1] == [tokenizer.bos_token_id]
    out = []
    for row in rows:
        prompt = tokenizer.apply_chat_template(row["prompt"], add_generation_prompt=True, tokenize=False)
        if adds_bos and prompt.startswith(bos):  # the tokenizer adds it again when TRL tokenizes the text
            prompt = prompt[len(bos):]
        content = "".join(m["content"] for m in row["completion"] if m["role"] == "assistant")
        out.append({"prompt": prompt, "completion": canonical_completion(content, opened) + eos})
    return out
