"""SORRY-Bench (Xie et al., 2024): unsafe instructions over 45 fine-grained categories, each
also rewritten in 20 linguistic styles (``prompt_style``: slang, role_play, translate-zh-cn, ...).

Reads the JSONL rows (question_id, category, turns, prompt_style). Only the ``base`` style is kept
by default; ``prompt_styles`` picks others (or ``"all"``), a non-base style being the sample's
wrapper and a ``translate-xx`` style its language (``translate-zh-cn``: ``zh``). A row with
several ``turns`` becomes that many consecutive user messages (SORRY-Bench's public rows are all
single-turn). The category is SORRY-Bench's category number as published (its names differ
between releases).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from r1safe.errors import ConfigError, DataError
from r1safe.eval.datasets.public import Source, Table, collect, read_rows, reference, text
from r1safe.records import Sample

SOURCE = Source(
    name="sorry_bench", license="SORRY-Bench terms of use (gated; see the dataset card)", file="question.jsonl",
    url="https://huggingface.co/datasets/sorry-bench/sorry-bench-202406",
    hub_id="sorry-bench/sorry-bench-202406", hub_file="question.jsonl", gated=True,
)
COLUMNS = ("question_id", "category", "turns", "prompt_style")


def load(path: str | Path | None = None, prompt_styles: str | list[str] = "base") -> list[Sample]:
    """The rows of the chosen prompt styles as harmful samples of split ``sorry_bench``."""
    styles = [prompt_styles] if isinstance(prompt_styles, str) else list(prompt_styles)
    if not styles:
        raise ConfigError("sorry_bench: prompt_styles is empty; use 'base', 'all' or a list of styles")
    if path is None:  # the hub keeps one file per style: question.jsonl (base), question_<style>.jsonl
        if "all" in styles:
            raise ConfigError("sorry_bench: prompt_styles='all' needs a local file; " + SOURCE.how_to_pass())
        tables = [read_rows(dataclasses.replace(SOURCE, hub_file=_hub_file(s), file=_hub_file(s)), None, COLUMNS)
                  for s in styles]
    else:
        tables = [read_rows(SOURCE, path, COLUMNS)]
    samples: list[Sample] = []
    for table in tables:
        samples.extend(collect(table, _samples(table, styles)))
    if not samples:
        present = sorted({str(r.get("prompt_style")) for t in tables for r in t.rows})
        raise DataError(f"{tables[0].origin}: no rows of prompt_style {', '.join(styles)}; "
                        f"present: {', '.join(present)}")
    return samples


def _hub_file(style: str) -> str:
    return "question.jsonl" if style == "base" else f"question_{style}.jsonl"


def _samples(table: Table, styles: list[str]) -> Iterator[tuple[int, Sample]]:
    for row, data in table.items():
        style = text(table, row, data, "prompt_style")
        if "all" not in styles and style not in styles:
            continue
        question_id = text(table, row, data, "question_id")
        turns = _turns(table, row, data.get("turns"))
        yield row, Sample(
            id=f"sorry_bench-{question_id}" if style == "base" else f"sorry_bench-{style}-{question_id}",
            prompt=[{"role": "user", "content": t} for t in turns], split="sorry_bench", kind="harmful",
            category=text(table, row, data, "category"),
            language=style.split("-")[1] if style.startswith("translate-") else "en",
            wrapper=None if style == "base" else style, turns=len(turns),
            reference=reference(SOURCE, question_id, prompt_style=style),
        )


def _turns(table: Table, row: int, value: Any) -> list[str]:
    if hasattr(value, "tolist"):  # parquet gives arrays
        value = value.tolist()
    if not isinstance(value, list) or not value or not all(isinstance(t, str) and t.strip() for t in value):
        raise DataError(f"{table.where(row)}: turns must be a non-empty list of non-empty strings")
    return [t.strip() for t in value]
