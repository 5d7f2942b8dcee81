"""The gym tokenizer: byte-level BPE trained locally, wrapped as a transformers tokenizer.

Digits are split one per token, so arithmetic is learnable digit by digit. ``<think>`` and
``</think>`` are single tokens that survive decoding, and the chat template follows R1's usage
recommendations: a system message is folded into the first user turn, earlier assistant turns
carry only their answers, and the generation prompt opens the assistant turn with ``<think>\\n``.

An explicit ``<|unk|>`` is part of the vocabulary: transformers loads a tokenizer saved next to a
Qwen2 model as ``Qwen2Tokenizer``, which would otherwise add an unknown token of its own beyond
the model's embedding table.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerBase, PreTrainedTokenizerFast

PAD, BOS, USER, ASSISTANT, END, UNK = "<|pad|>", "<|begin|>", "<|user|>", "<|assistant|>", "<|end|>", "<|unk|>"
THINK_TOKENS = ["<think>", "</think>"]

CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{%- set ns = namespace(system='') -%}"
    "{%- for m in messages -%}"
    "{%- if m['role'] == 'system' -%}{%- set ns.system = ns.system + m['content'] + '\n\n' -%}"
    "{%- elif m['role'] == 'user' -%}"
    "<|user|>{{ ns.system }}{{ m['content'] }}<|end|>{%- set ns.system = '' -%}"
    "{%- elif m['role'] == 'assistant' -%}"
    "{%- if loop.last -%}<|assistant|>{% generation %}{{ m['content'] }}<|end|>{% endgeneration %}"
    "{%- else -%}<|assistant|>{{ m['content'].split('</think>')[-1].strip() }}<|end|>{%- endif -%}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|assistant|><think>\\n' }}{%- endif -%}"
)


def train_tokenizer(texts: Iterable[str], vocab_size: int = 2000) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE on ``texts`` and return it as a chat-ready fast tokenizer."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[PAD, BOS, USER, ASSISTANT, END, UNK],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=BOS, eos_token=END, pad_token=PAD, unk_token=UNK,
        additional_special_tokens=[USER, ASSISTANT], padding_side="left",
    )
    fast.add_tokens(THINK_TOKENS)
    fast.chat_template = CHAT_TEMPLATE
    return fast


def load_tokenizer(path: str | Path) -> PreTrainedTokenizerBase:
    """Load a saved gym tokenizer (any transformers tokenizer directory works too)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path), trust_remote_code=False)
