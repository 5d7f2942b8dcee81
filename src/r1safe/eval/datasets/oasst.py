"""Open-Assistant's prompt samples (oasst-model-eval, Apache-2.0): real, mostly benign user requests.

Reads ``en_100_text.jsonl``, whose every line is one JSON string (a prompt), as split ``oasst``
(kind benign). The project's "prompt lottery" file is not read: it holds a few harmful prompts
among the benign ones.
"""

from __future__ import annotations

import json
from pathlib import Path

from r1safe.errors import ConfigError, DataError
from r1safe.eval.datasets.public import Source, user
from r1safe.records import Sample

SOURCE = Source(name="oasst", license="Apache-2.0", file="en_100_text.jsonl",
                url="https://github.com/Open-Assistant/oasst-model-eval")


def load(path: str | Path | None = None) -> list[Sample]:
    """One benign sample per line; ids are line numbers."""
    if path is None:
        raise ConfigError(f"oasst: no local file; {SOURCE.how_to_pass()}")
    file = Path(path)
    if file.is_dir():
        file = file / SOURCE.file
    if not file.is_file():
        raise DataError(f"{file}: no such dataset file")
    out: list[Sample] = []
    for line_no, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            prompt = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"{file}: line {line_no}: invalid JSON ({err.msg})") from None
        if not isinstance(prompt, str) or not prompt.strip():
            raise DataError(f"{file}: line {line_no}: expected a JSON string (a prompt)")
        out.append(Sample(id=f"oasst-{line_no}", prompt=user(prompt.strip()), split="oasst", kind="benign",
                          language="en", reference={"dataset": "oasst", "license": SOURCE.license,
                                                    "source_id": line_no}))
    return out
