"""MultiJail (Deng et al., 2024): 315 unsafe prompts, each in English and nine translations.

Reads ``MultiJail.csv`` (id, source, tags, en, zh, it, vi, ar, ko, th, bn, sw, jv). Each requested
language is a split ``multijail_<lang>`` of harmful samples in that language (Chinese by default).
The category is the row's first tag; all tags stay in the reference.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from r1safe.errors import ConfigError
from r1safe.eval.datasets.public import Source, Table, collect, read_rows, reference, text, user
from r1safe.records import Sample

# The canonical file lives on GitHub (also on the hub as DAMO-NLP-SG/MultiJail).
SOURCE = Source(
    name="multijail", license="MIT", file="MultiJail.csv",
    url="https://raw.githubusercontent.com/DAMO-NLP-SG/multilingual-safety-for-LLMs/main/data/MultiJail.csv",
)
LANGUAGES = ("en", "zh", "it", "vi", "ar", "ko", "th", "bn", "sw", "jv")


def load(path: str | Path | None = None, languages: str | list[str] = "zh") -> list[Sample]:
    """One split per language in ``languages`` (a list, or a comma-separated string)."""
    wanted = [x.strip() for x in languages.split(",")] if isinstance(languages, str) else list(languages)
    unknown = [x for x in wanted if x not in LANGUAGES]
    if unknown or not wanted:
        raise ConfigError(f"multijail: unknown language {(unknown or [''])[0]!r}; known: {', '.join(LANGUAGES)}")
    table = read_rows(SOURCE, path, ("id", "source", "tags", *wanted))
    return [s for lang in wanted for s in collect(table, _samples(table, lang))]


def _samples(table: Table, lang: str) -> Iterator[tuple[int, Sample]]:
    for row, data in table.items():
        source_id = text(table, row, data, "id")
        tags = parse_tags(text(table, row, data, "tags", optional=True))
        yield row, Sample(
            id=f"multijail-{lang}-{source_id}", prompt=user(text(table, row, data, lang)), split=f"multijail_{lang}",
            kind="harmful", category=tags[0] if tags else None, language=lang,
            reference=reference(SOURCE, source_id, tags=tags, source=text(table, row, data, "source", optional=True)),
        )


def parse_tags(cell: str) -> list[str]:
    """A tags cell as a list: a Python/JSON list literal, or comma-separated names."""
    if cell.startswith("["):
        try:
            value = ast.literal_eval(cell)
        except (ValueError, SyntaxError):
            value = None
        if isinstance(value, list):
            return [str(t).strip() for t in value if str(t).strip()]
        cell = cell.strip("[]")
    return [t.strip().strip("'\"") for t in cell.split(",") if t.strip().strip("'\"")]
