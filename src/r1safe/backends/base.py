"""The backend interface: chat prompts in, sampled R1-style replies out.

Defaults follow DeepSeek-R1's usage recommendations: temperature 0.6, top-p 0.95, several
samples per prompt, no system prompt (templates fold it into the user turn) and the assistant
turn forced to open with ``<think>\\n``. A backend returns each reply's text *including* the
forced opener, so every judge reads the same canonical form.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import NamedTuple, Protocol, runtime_checkable

from pydantic import Field

from r1safe.config import StrictModel
from r1safe.registry import Registry

Messages = list[dict[str, str]]


class GenerationParams(StrictModel):
    n: int = Field(4, ge=1, description="samples per prompt")
    temperature: float = Field(0.6, ge=0.0)
    top_p: float = Field(0.95, gt=0.0, le=1.0)
    max_new_tokens: int = Field(160, ge=1)
    seed: int = 0
    force_think: bool = True


class Completion(StrictModel):
    text: str
    finish_reason: str = "stop"
    completion_tokens: int = 0
    token_ids: list[int] | None = Field(None, exclude=True, repr=False, description="the sampled token ids, "
                                        "end-of-sequence token included, where the backend keeps them "
                                        "(transformers); never serialized")


@runtime_checkable
class Backend(Protocol):
    """Anything that samples ``params.n`` replies for each chat prompt."""

    name: str

    def generate(self, prompts: list[Messages], params: GenerationParams) -> list[list[Completion]]:
        """One list of ``params.n`` completions per prompt, in prompt order."""
        ...


BACKENDS: Registry[Backend] = Registry("backend")


# Built-in backends are registered lazily here (torch, httpx and vllm load on first use). A new built-in
# backend is one file ``backends/<name>.py`` with ``make(**params)`` and its name in the list below: nothing
# imports a backend's file until its name is asked for, so a decorator inside it would never run. Code
# outside the package registers its own with ``BACKENDS.register(name)(factory)`` before asking for it.
for _name in ("transformers", "openai", "vllm"):
    BACKENDS.register_lazy(_name, f"r1safe.backends.{_name}")


# ---------------------------------------------------------------------------------------------
# Optional extensions (compatible with the protocol above): backends may also offer
# ``generate_iter`` to hand back each batch as soon as it is done, ``stream`` to hand back one
# reply's text token by token as it is sampled (:class:`StreamStep`), and ``close``.

THINK_OPENER = "<think>\n"

Batch = tuple[list[int], list[list[Completion]]]


class StreamStep(NamedTuple):
    """One step of a streamed reply: the text it adds, and on the last step why the reply ended
    (``stop`` or ``length``) with its token counts."""

    text: str
    finish_reason: str | None = None
    completion_tokens: int = 0
    prompt_tokens: int = 0


def iter_generate(backend: Backend, prompts: list[Messages], params: GenerationParams,
                  chunk: int = 8) -> Iterator[Batch]:
    """Yield (prompt indices, completions) batch by batch, using ``generate_iter`` when offered.

    A backend without it is called on ``chunk`` prompts at a time, in order.
    """
    native = getattr(backend, "generate_iter", None)
    if native is not None:
        yield from native(prompts, params)
        return
    for start in range(0, len(prompts), chunk):
        idx = list(range(start, min(start + chunk, len(prompts))))
        yield idx, backend.generate([prompts[i] for i in idx], params)


def collect(batches: Iterator[Batch], n_prompts: int) -> list[list[Completion]]:
    """The completions of ``batches`` (as ``generate_iter`` yields them) back in prompt order."""
    out: list[list[Completion]] = [[] for _ in range(n_prompts)]
    for idx, batch in batches:
        for i, completions in zip(idx, batch, strict=True):
            out[i] = completions
    return out


def sample_seed(seed: int, prompt_key: str, index: int) -> int:
    """A 63-bit seed for sample ``index`` of one prompt: the same whatever the batch it lands in."""
    digest = hashlib.blake2b(f"{seed}\x1f{index}\x1f{prompt_key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def with_opener(text: str, opener_in_prompt: bool) -> str:
    """Prefix the forced ``<think>\\n`` when the prompt carried it and the reply does not."""
    if opener_in_prompt and not text.lstrip().startswith("<think>"):
        return THINK_OPENER + text
    return text
