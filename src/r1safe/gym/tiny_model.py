"""The tiny R1-style reasoning model: a small ``Qwen2ForCausalLM`` pretrained on the base corpus.

Built from a config (nothing downloaded), trained with TRL's SFTTrainer on CPU, and saved with
``save_pretrained`` (safetensors) beside its tokenizer, so every later tool loads it like any hub
model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from r1safe.config import StrictModel


class TinyModelConfig(StrictModel):
    hidden_size: int = Field(128, ge=16, le=2048)
    num_hidden_layers: int = Field(4, ge=1, le=48)
    num_attention_heads: int = Field(4, ge=1)
    num_key_value_heads: int = Field(2, ge=1)
    intermediate_size: int = Field(384, ge=16)
    vocab_size: int = Field(2000, ge=300, le=65536, description="BPE vocabulary before special tokens")
    max_position_embeddings: int = Field(512, ge=64)
    epochs: float = Field(3.0, gt=0)
    learning_rate: float = Field(3e-3, gt=0)
    batch_size: int = Field(32, ge=1)
    max_length: int = Field(256, ge=32)


def build_model(cfg: TinyModelConfig, tokenizer: Any, seed: int) -> Any:
    """A freshly initialised tiny Qwen2 sized for ``tokenizer``."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    if cfg.hidden_size % cfg.num_attention_heads or cfg.num_attention_heads % cfg.num_key_value_heads:
        from r1safe.errors import ConfigError

        raise ConfigError("model: hidden_size must divide by num_attention_heads, and heads by num_key_value_heads")
    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=cfg.hidden_size, intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.num_hidden_layers, num_attention_heads=cfg.num_attention_heads,
        num_key_value_heads=cfg.num_key_value_heads, max_position_embeddings=cfg.max_position_embeddings,
        tie_word_embeddings=True, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model


def pretrain(model: Any, tokenizer: Any, rows: list[dict[str, Any]], cfg: TinyModelConfig, out_dir: Path,
             seed: int, callbacks: list[Any] | None = None) -> dict[str, float]:
    """Train on prompt-completion rows with TRL's SFTTrainer (loss on the reply only)."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    data = Dataset.from_list([{"prompt": r["prompt"], "completion": r["completion"]} for r in rows])
    args = SFTConfig(
        output_dir=str(out_dir / "_trainer"), num_train_epochs=cfg.epochs, learning_rate=cfg.learning_rate,
        per_device_train_batch_size=cfg.batch_size, lr_scheduler_type="cosine", warmup_steps=0.05,
        max_length=cfg.max_length, use_cpu=True, report_to=[], save_strategy="no", logging_steps=25,
        seed=seed, data_seed=seed, disable_tqdm=True, dataset_num_proc=None, weight_decay=0.01,
        gradient_checkpointing=False,  # TRL turns it on; recomputing the forward only costs time on a CPU
    )
    trainer = SFTTrainer(model=model, args=args, train_dataset=data, processing_class=tokenizer,
                         callbacks=callbacks or [])
    result = trainer.train()
    return {"train_loss": float(result.training_loss), "steps": float(result.global_step)}
