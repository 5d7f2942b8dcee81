"""The tiny R1-style reasoning model: a small ``Qwen2ForCausalLM`` pretrained on the base corpus.

Built from a config (nothing downloaded), trained with TRL's SFTTrainer on CPU, and saved with
``save_pretrained`` (safetensors) beside its tokenizer, so every later tool loads it like any hub
model.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from r1safe.config import StrictModel
from r1safe.trainer_args import checkpointing_args, warmup_args


class TinyModelSize(StrictModel):
    """The tiny model's shape, what :func:`build_model` reads: the gym's model and a recipe's fresh student
    (its vocabulary is its tokenizer's)."""

    hidden_size: int = Field(128, ge=16, le=2048)
    num_hidden_layers: int = Field(4, ge=1, le=48)
    num_attention_heads: int = Field(4, ge=1)
    num_key_value_heads: int = Field(2, ge=1)
    intermediate_size: int = Field(384, ge=16)
    max_position_embeddings: int = Field(512, ge=64)


class TinyModelConfig(TinyModelSize):
    """Size, tokenizer and pretraining schedule of the gym's tiny model."""

    vocab_size: int = Field(2000, ge=300, le=65536, description="BPE vocabulary before special tokens")
    epochs: float = Field(3.0, gt=0)
    learning_rate: float = Field(3e-3, gt=0)
    batch_size: int = Field(32, ge=1, description="rows per optimizer step")
    micro_batch_size: int = Field(8, ge=1, description="rows per forward pass (at most batch_size, which it divides)")
    max_length: int = Field(256, ge=32)

    @property
    def rows_per_forward(self) -> int:
        return min(self.micro_batch_size, self.batch_size)

    @model_validator(mode="after")
    def _micro_batches_tile_the_batch(self) -> TinyModelConfig:
        if self.batch_size % self.rows_per_forward:
            raise ValueError(f"micro_batch_size ({self.micro_batch_size}) must divide batch_size ({self.batch_size})")
        return self


def build_model(cfg: TinyModelSize, tokenizer: Any, seed: int) -> Any:
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


class LengthSortedBatches:
    """Random batches, each sorted by row length, for micro-batches that carry little padding.

    Each epoch shuffles the rows and cuts them into batches of ``batch_size`` as a random sampler
    would; sorting inside a batch only decides which rows share a micro-batch, so the optimizer
    step (the token-mean loss over the whole batch) is the one random batching gives. On the base
    corpus 88% of the padded tokens of 8-row micro-batches are real, against 61% for 32 random
    rows padded together. (Sorting across batches pads even less, but batches of same-length
    rows are batches of one kind of request, and that left the tiny model unable to do sums.)
    """

    def __init__(self, lengths: list[int], batch_size: int, seed: int) -> None:
        self.lengths, self.batch_size, self.seed = lengths, batch_size, seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self) -> Any:
        import torch

        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        self.epoch += 1
        order = torch.randperm(len(self.lengths), generator=generator).tolist()
        batches = (sorted(order[i:i + self.batch_size], key=self.lengths.__getitem__)
                   for i in range(0, len(order), self.batch_size))
        return iter([index for batch in batches for index in batch])


def reply_loss(model: Any, inputs: dict[str, Any], num_items_in_batch: Any = None) -> Any:
    """Next-token cross-entropy on the reply tokens, with the LM head applied only there.

    The same loss as the model's own (summed over labelled tokens, divided by the step's count),
    without the logits of prompt and padding positions; TRL's chunked log-prob kernel, built to
    save memory on large vocabularies, costs a quarter of a CPU step on this 2K-token one.
    """
    import torch
    import torch.nn.functional as F

    labels = inputs["labels"][:, 1:]
    hidden = model.model(input_ids=inputs["input_ids"],
                         attention_mask=inputs.get("attention_mask")).last_hidden_state[:, :-1]
    mask = labels != -100
    loss = F.cross_entropy(model.lm_head(hidden[mask]).float(), labels[mask], reduction="sum")
    count = num_items_in_batch if num_items_in_batch is not None else mask.sum()
    return loss / torch.as_tensor(count, device=loss.device).clamp(min=1)


def pretrain(model: Any, tokenizer: Any, rows: list[dict[str, Any]], cfg: TinyModelConfig, out_dir: Path,
             seed: int, progress: Callable[[str], None] | None = None) -> dict[str, float]:
    """Train on prompt-completion rows with TRL's SFTTrainer (loss on the reply only).

    Each optimizer step sees ``batch_size`` random rows, as in plain SFT, fed as length-sorted
    micro-batches (:class:`LengthSortedBatches`) with the loss of :func:`reply_loss`: the same
    training, at about half the CPU time per step. ``progress`` hears the step, loss and time
    left every ``logging_steps``.
    """
    from datasets import Dataset
    from transformers import PrinterCallback, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    class StepReporter(TrainerCallback):
        def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            self.started = time.perf_counter()

        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any) -> None:
            if progress is None or not logs or "loss" not in logs:
                return
            elapsed = time.perf_counter() - self.started
            left = elapsed / max(state.global_step, 1) * (state.max_steps - state.global_step)
            progress(f"pretraining: step {state.global_step}/{state.max_steps}, loss {float(logs['loss']):.3f}, "
                     f"about {left:.0f} s left")

    class TinyModelSFTTrainer(SFTTrainer):
        def _get_train_sampler(self, train_dataset: Any = None) -> Any:
            dataset = train_dataset if train_dataset is not None else self.train_dataset
            assert dataset is not None
            return LengthSortedBatches([len(ids) for ids in dataset["input_ids"]], cfg.batch_size, seed)

        def compute_loss(self, model: Any, inputs: Any, return_outputs: bool = False,
                         num_items_in_batch: Any = None) -> Any:
            loss = reply_loss(self.accelerator.unwrap_model(model), inputs, num_items_in_batch)
            return (loss, None) if return_outputs else loss

    data = Dataset.from_list([{"prompt": r["prompt"], "completion": r["completion"]} for r in rows])
    args = SFTConfig(
        output_dir=str(out_dir / "_trainer"), num_train_epochs=cfg.epochs, learning_rate=cfg.learning_rate,
        per_device_train_batch_size=cfg.rows_per_forward,
        gradient_accumulation_steps=cfg.batch_size // cfg.rows_per_forward, lr_scheduler_type="cosine",
        **warmup_args(0.05),
        max_length=cfg.max_length, use_cpu=True, report_to=[], save_strategy="no", logging_steps=0.05,
        seed=seed, data_seed=seed, disable_tqdm=True, dataset_num_proc=None, weight_decay=0.01,
        **checkpointing_args(False),  # TRL turns it on; recomputing costs CPU time
    )
    trainer = TinyModelSFTTrainer(model=model, args=args, train_dataset=data, processing_class=tokenizer,
                                  callbacks=[StepReporter()])
    trainer.remove_callback(PrinterCallback)
    result = trainer.train()
    return {"train_loss": float(result.training_loss), "steps": float(result.global_step)}
