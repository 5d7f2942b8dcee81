"""The vLLM backend (optional extra ``r1safe[vllm]``, GPU machines): offline batched sampling.

``vllm`` is imported only when this backend is built, so the rest of r1safe never needs it; when
it is missing the error says how to install it or which backend to use instead. Prompts are
rendered with the model's chat template and ``<think>\\n`` forced, as in the transformers backend.
"""

from __future__ import annotations

from typing import Any

from r1safe.backends.base import THINK_OPENER, Completion, GenerationParams, Messages, with_opener
from r1safe.errors import R1SafeError


def _import_vllm() -> Any:
    try:
        import vllm
    except ImportError as err:
        raise R1SafeError(
            f"the vllm backend needs the optional extra (pip install 'r1safe[vllm]', a GPU machine): {err}; "
            "use --backend transformers here, or --backend openai against a running vLLM server"
        ) from None
    return vllm


class VLLMBackend:
    """Sample replies with ``vllm.LLM`` (one engine per backend)."""

    name = "vllm"

    def __init__(self, model: str, dtype: str = "auto", gpu_memory_utilization: float = 0.85,
                 max_model_len: int | None = None, batch_size: int = 256) -> None:
        vllm = _import_vllm()
        from r1safe.backends.loading import resolve_model

        source, _ = resolve_model(model)
        self._vllm = vllm
        self.llm = vllm.LLM(model=source, dtype=dtype, trust_remote_code=False,
                            gpu_memory_utilization=gpu_memory_utilization, max_model_len=max_model_len)
        self.tokenizer = self.llm.get_tokenizer()
        self.batch_size = batch_size

    def _render(self, messages: Messages, force_think: bool) -> str:
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        if force_think and not text.endswith(THINK_OPENER):
            text += "\n" if text.endswith("<think>") else THINK_OPENER
        return text

    def generate(self, prompts: list[Messages], params: GenerationParams) -> list[list[Completion]]:
        """``params.n`` completions per prompt, in prompt order."""
        texts = [self._render(p, params.force_think) for p in prompts]
        sampling = self._vllm.SamplingParams(n=params.n, temperature=params.temperature, top_p=params.top_p,
                                             max_tokens=params.max_new_tokens, seed=params.seed)
        results = self.llm.generate(texts, sampling, use_tqdm=False)
        return [
            [Completion(text=with_opener(o.text, text.endswith(THINK_OPENER)),
                        finish_reason=o.finish_reason or "stop", completion_tokens=len(o.token_ids))
             for o in result.outputs]
            for text, result in zip(texts, results, strict=True)
        ]


def make(**params: Any) -> VLLMBackend:
    """Build the backend (``BACKENDS.create("vllm", ...)`` calls this)."""
    return VLLMBackend(**params)
