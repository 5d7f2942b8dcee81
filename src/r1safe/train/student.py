"""A recipe's fresh student: a tiny model initialised from scratch, for distillation.

R1's small models were not aligned themselves: each was fine-tuned on a teacher's filtered
replies. A recipe with ``student`` set starts from a freshly initialised tiny Qwen2 of that size
(seeded by the recipe's seed) that shares ``base_model``'s tokenizer, instead of from
``base_model``'s weights; its first stage (rejection sampling with a ``teacher``) then teaches it.
"""

from __future__ import annotations

import json
from pathlib import Path

from r1safe.files import fresh_partial_dir, publish_dir
from r1safe.gym.tiny_model import TinyModelSize
from r1safe.train.data import STUDENT_DIR
from r1safe.train.dist import barrier, is_main


def fresh_student(size: TinyModelSize, tokenizer_source: str, seed: int, run_dir: Path) -> str:
    """The folder of the fresh student of ``size`` in ``run_dir`` (built once, by the main process; a
    rebuild with the same size, tokenizer and seed gives the same weights), saved as safetensors
    beside the tokenizer."""
    out = run_dir / STUDENT_DIR
    if is_main():
        _build(size, tokenizer_source, seed, out)
    barrier()
    return str(out)


def _build(size: TinyModelSize, tokenizer_source: str, seed: int, out: Path) -> None:
    from r1safe.gym.tiny_model import build_model
    from r1safe.train.stages.common import load_tokenizer

    spec = {"size": size.model_dump(mode="json"), "tokenizer": tokenizer_source, "seed": seed}
    marker = out / "student.json"
    if marker.is_file() and json.loads(marker.read_text(encoding="utf-8")) == spec:
        return
    tokenizer = load_tokenizer(tokenizer_source)
    model = build_model(size, tokenizer, seed)
    partial = fresh_partial_dir(out)
    model.save_pretrained(partial, safe_serialization=True)
    tokenizer.save_pretrained(partial)
    (partial / "student.json").write_text(json.dumps(spec), encoding="utf-8")
    publish_dir(partial, out)
