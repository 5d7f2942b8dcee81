"""CoCoNot (Brahman et al., 2024, "The Art of Saying No"; MIT): prompts that sound harmful and are not.

``coconot_contrast_eval.jsonl`` (379 rows) holds the contrast set, benign requests that a model should
answer (split ``coconot_contrast``, kind borderline: refusing one is over-refusal);
``coconot_pref.jsonl`` (927 rows) holds contrast prompts with a compliant GPT-4 answer (``chosen``) and a
worse, often refusing one (``rejected``), kept in the reference (split ``coconot_pref``). Pass the folder
holding both files, or one file.
"""

from __future__ import annotations

from pathlib import Path

from r1safe.errors import ConfigError, DataError
from r1safe.eval.datasets.public import Source, collect, read_file, reference, require_columns, text, user
from r1safe.records import Sample

SOURCE = Source(name="coconot", license="MIT", file="coconot_contrast_eval.jsonl, coconot_pref.jsonl",
                url="https://github.com/allenai/noncompliance", pass_as="FOLDER")
FILES = {"coconot_contrast": "coconot_contrast_eval.jsonl", "coconot_pref": "coconot_pref.jsonl"}


def load(path: str | Path | None = None) -> list[Sample]:
    """The contrast and preference prompts found at ``path`` (a folder or one of the two files)."""
    if path is None:
        raise ConfigError(f"coconot: no local files; {SOURCE.how_to_pass()}")
    root = Path(path)
    if root.is_dir():
        files = {split: root / name for split, name in FILES.items()}
    else:
        files = {split: root for split, name in FILES.items() if root.name == name}
        if not files:
            raise DataError(f"{root}: not a CoCoNot file; expected {' or '.join(FILES.values())} or their folder")
    out: list[Sample] = []
    for split, file in files.items():
        table = read_file(file)
        require_columns(table, ["id", "prompt", "subcategory"] + (["chosen"] if split == "coconot_pref" else []))
        out.extend(collect(table, (
            (row, Sample(id=f"{split}-{text(table, row, data, 'id')}", prompt=user(text(table, row, data, "prompt")),
                         split=split, kind="borderline", category=text(table, row, data, "subcategory"),
                         language="en",
                         reference=reference(SOURCE, text(table, row, data, "id"),
                                             chosen=text(table, row, data, "chosen", optional=True))))
            for row, data in table.items()
        )))
    return out
