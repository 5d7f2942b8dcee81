"""HarmBench's text behaviors (Mazeika et al., 2024), standard, contextual and copyright apart.

Reads ``harmbench_behaviors_text_all.csv`` (or its val/test halves): Behavior, FunctionalCategory,
SemanticCategory, Tags, ContextString, BehaviorID. A contextual behavior's prompt is its context
string, a rule, then the behavior, ``f"{context}\\n\\n---\\n\\n{behavior}"``, as HarmBench's own
baselines build it. Copyright behaviors (reproduce a book or lyrics) are a split of their own:
HarmBench judges them by hashing the passage, not with a harm classifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from r1safe.errors import DataError
from r1safe.eval.datasets.public import Source, collect, read_rows, reference, text, user
from r1safe.records import Sample

# The canonical file lives on GitHub; hub copies (walledai/HarmBench) reshape its columns.
SOURCE = Source(
    name="harmbench", license="MIT", file="harmbench_behaviors_text_all.csv",
    url="https://raw.githubusercontent.com/centerforaisafety/HarmBench/main/data/behavior_datasets/"
        "harmbench_behaviors_text_all.csv",
)
COLUMNS = ("Behavior", "FunctionalCategory", "SemanticCategory", "ContextString", "BehaviorID")
SPLITS = {"standard": "harmbench_standard", "contextual": "harmbench_contextual", "copyright": "harmbench_copyright"}


def with_context(behavior: str, context: str) -> str:
    """The prompt HarmBench sends for a behavior with a context string (as is without one)."""
    return f"{context}\n\n---\n\n{behavior}" if context else behavior


def load(path: str | Path | None = None) -> list[Sample]:
    """Every text behavior as a harmful sample, split by functional category."""
    table = read_rows(SOURCE, path, COLUMNS)

    def samples() -> Iterator[tuple[int, Sample]]:
        for row, data in table.items():
            functional = text(table, row, data, "FunctionalCategory")
            if functional not in SPLITS:
                raise DataError(f"{table.where(row)}: FunctionalCategory {functional!r} is not one of "
                                f"{', '.join(SPLITS)}")
            behavior_id = text(table, row, data, "BehaviorID")
            context = text(table, row, data, "ContextString", optional=True)
            yield row, Sample(
                id=f"harmbench-{behavior_id}",
                prompt=user(with_context(text(table, row, data, "Behavior"), context)),
                split=SPLITS[functional], kind="harmful",
                category=text(table, row, data, "SemanticCategory", optional=True) or None,
                language="en",
                reference=reference(SOURCE, behavior_id, functional_category=functional,
                                    tags=text(table, row, data, "Tags", optional=True)),
            )

    return collect(table, samples())
