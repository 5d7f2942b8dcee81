"""WildGuardTest (Han et al., 2024; allenai/wildguardmix, test split): real prompts labelled harmful or
unharmful by three annotators, vanilla or adversarial (jailbreak-style).

Reads the published parquet (``prompt``, ``adversarial``, ``prompt_harm_label``, ``subcategory``). Splits
are ``wildguard_<harmful|unharmful>_<vanilla|adversarial>``; rows without a prompt label are left out,
and a prompt that appears twice is kept once. License ODC-BY, gated for research use: evaluate with it,
do not ship a model trained on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from r1safe.errors import DataError
from r1safe.eval.datasets.public import Source, collect, read_rows, reference, text, user
from r1safe.records import Kind, Sample

SOURCE = Source(
    name="wildguardtest", license="ODC-BY (research use)", file="wildguardtest.parquet",
    url="https://huggingface.co/datasets/allenai/wildguardmix", hub_id="allenai/wildguardmix",
    hub_file="test/wildguard_test.parquet", gated=True,
)
COLUMNS = ("prompt", "adversarial", "prompt_harm_label")
KINDS: dict[str, Kind] = {"harmful": "harmful", "unharmful": "benign"}


def load(path: str | Path | None = None) -> list[Sample]:
    """One sample per distinct labelled prompt; category is WildGuard's subcategory."""
    table = read_rows(SOURCE, path, COLUMNS)

    def samples() -> Iterator[tuple[int, Sample]]:
        seen: set[str] = set()
        for row, data in table.items():
            label = text(table, row, data, "prompt_harm_label", optional=True).lower()
            if not label:
                continue
            if label not in KINDS:
                raise DataError(f"{table.where(row)}: prompt_harm_label {label!r} is not harmful or unharmful")
            prompt = text(table, row, data, "prompt")
            if prompt in seen:
                continue
            seen.add(prompt)
            style = "adversarial" if bool(data["adversarial"]) else "vanilla"
            yield row, Sample(
                id=f"wildguardtest-{row}", prompt=user(prompt), split=f"wildguard_{label}_{style}",
                kind=KINDS[label], category=text(table, row, data, "subcategory", optional=True) or None,
                language="en", wrapper=style if style == "adversarial" else None,
                reference=reference(SOURCE, row - 1, label=label),
            )

    return collect(table, samples())
