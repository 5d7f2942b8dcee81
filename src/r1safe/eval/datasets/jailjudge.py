"""JAILJUDGE-mini (the 1,000-row subset JailbreakEval ships): harmful questions, many of them jailbreak
prompts (role-play, GCG suffixes), with Llama Guard 3 hazard categories and a complexity grade Q1–Q5.

Reads ``JAILJUDGEmini.csv`` (``question``, ``hazard_cate_llamaguard3``, ``prompt_complexity_cate``); the
answers and labels in the file judge *responses* and are not used. Each distinct question is one
harmful sample of split ``jailjudge``. Its license (a custom one on the hub) allows evaluation only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from r1safe.eval.datasets.public import Source, collect, read_rows, reference, text, user
from r1safe.records import Sample

SOURCE = Source(
    name="jailjudge", license="JAILJUDGE license (evaluation only)", file="JAILJUDGEmini.csv",
    url="https://github.com/ThuCCSLab/JailbreakEval",
)
COLUMNS = ("question", "hazard_cate_llamaguard3", "prompt_complexity_cate")


def load(path: str | Path | None = None) -> list[Sample]:
    """Distinct questions in file order; category is the hazard, wrapper the complexity grade."""
    table = read_rows(SOURCE, path, COLUMNS)

    def samples() -> Iterator[tuple[int, Sample]]:
        seen: set[str] = set()
        for row, data in table.items():
            question = text(table, row, data, "question")
            if question in seen:
                continue
            seen.add(question)
            yield row, Sample(
                id=f"jailjudge-{row}", prompt=user(question), split="jailjudge", kind="harmful",
                category=text(table, row, data, "hazard_cate_llamaguard3", optional=True) or None, language="en",
                wrapper=text(table, row, data, "prompt_complexity_cate", optional=True) or None,
                reference=reference(SOURCE, row - 1),
            )

    return collect(table, samples())
