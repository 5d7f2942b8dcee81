"""Reading a public safety benchmark's published file, shared by every public-dataset adapter.

A :class:`Source` names where a benchmark lives (license, hub id, the file to download and its
URL). :func:`read_rows` reads a local file by its suffix (CSV, TSV, JSON, JSONL, parquet) or, with
no path and a reachable hub, fetches that same file through ``datasets``, so an adapter parses one
column layout whichever way the rows came. Every problem is one line: a missing column names the
file and the column, a bad cell names the row (1-based, after the header), and no local file while
offline says which file to download, from where, and how to pass it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from r1safe.errors import ConfigError, DataError
from r1safe.jsonl import iter_objects
from r1safe.records import Sample

SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".parquet")


@dataclass(frozen=True)
class Source:
    """Where a public benchmark's file comes from; ``hub_file`` is its path inside ``hub_id``'s
    repository when the hub hosts it (else the file is fetched from ``url``)."""

    name: str
    license: str
    file: str
    url: str
    hub_id: str | None = None
    hub_file: str | None = None
    gated: bool = False
    pass_as: str = "PATH"

    def how_to_pass(self) -> str:
        terms = " (gated: accept its terms there first)" if self.gated else ""
        return f"download {self.file} from {self.url}{terms} and pass --suite {self.name}={self.pass_as}"


@dataclass(frozen=True)
class Table:
    """The rows of one file, and the name errors use for it (the path, or the hub file)."""

    rows: list[dict[str, Any]]
    origin: str
    numbers: list[int] | None = None  # row numbers when not 1..n (JSONL skips blank lines)

    def items(self) -> Iterable[tuple[int, dict[str, Any]]]:
        """``(row number, row)`` in file order, numbered from 1 after any header."""
        return zip(self.numbers or range(1, len(self.rows) + 1), self.rows, strict=True)

    def where(self, row: int) -> str:
        return f"{self.origin}: row {row}"


def read_rows(source: Source, path: str | Path | None, required: Iterable[str]) -> Table:
    """The rows of ``path`` (or, with no path, of the source's file fetched from the hub), checked
    to carry every ``required`` column."""
    table = read_file(path) if path is not None else fetch(source)
    require_columns(table, required)
    return table


def read_file(path: str | Path) -> Table:
    """A local CSV/TSV/JSON/JSONL/parquet file's rows as dicts; CSV cells are kept as text and an
    empty cell is ``""``, never NaN."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such dataset file")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(f"{path}: unknown file type {suffix or '(none)'!r}; expected one of {', '.join(SUFFIXES)}")
    if suffix == ".jsonl":
        pairs = list(iter_objects(path))
        return Table([data for _, data in pairs], str(path), [row for row, _ in pairs])
    if suffix == ".json":
        return Table(_json_rows(path), str(path))
    import pandas as pd

    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=False)
    except (ValueError, OSError) as err:  # pandas' parser and pyarrow errors are ValueError/OSError
        raise DataError(f"{path}: cannot read as {suffix[1:]}: {str(err).splitlines()[0]}") from None
    return Table(frame.to_dict("records"), str(path))


def _json_rows(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DataError(f"{path}: invalid JSON ({err.msg} at line {err.lineno})") from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise DataError(f"{path}: expected a JSON list of objects")
    return data


def require_columns(table: Table, required: Iterable[str]) -> None:
    """One-line DataError naming the file and the first required column it lacks."""
    if not table.rows:
        raise DataError(f"{table.origin}: no rows")
    present = set(table.rows[0])
    missing = [c for c in required if c not in present]
    if missing:
        raise DataError(f"{table.origin}: missing column {missing[0]!r} (columns: {', '.join(sorted(present))})")


def text(table: Table, row: int, data: dict[str, Any], column: str, *, optional: bool = False) -> str:
    """The cell ``column`` of row ``row`` as stripped text; empty is an error unless ``optional``."""
    value = data.get(column)
    if value is None or (isinstance(value, float) and value != value):  # None or NaN (parquet)
        value = ""
    if not isinstance(value, str | int | float):
        raise DataError(f"{table.where(row)}: {column}: expected text, got {type(value).__name__}")
    value = str(value).strip()
    if not value and not optional:
        raise DataError(f"{table.where(row)}: {column} is empty")
    return value


def collect(table: Table, rows: Iterable[tuple[int, Sample]]) -> list[Sample]:
    """The samples in file order; two rows with one id is a DataError naming both rows."""
    first: dict[str, int] = {}
    out: list[Sample] = []
    for row, sample in rows:
        if sample.id in first:
            raise DataError(f"{table.where(row)}: duplicate id {sample.id!r} (first on row {first[sample.id]})")
        first[sample.id] = row
        out.append(sample)
    return out


def user(content: str) -> list[dict[str, str]]:
    """A one-turn chat prompt."""
    return [{"role": "user", "content": content}]


def reference(source: Source, source_id: Any, /, **extra: Any) -> dict[str, Any]:
    """What a record keeps about its origin: dataset, license and the row's id in the dataset."""
    return {"dataset": source.name, "license": source.license, "source_id": source_id, **extra}


def offline() -> bool:
    """Whether the hub must not be contacted (``HF_HUB_OFFLINE`` or ``HF_DATASETS_OFFLINE`` set)."""
    return any(os.environ.get(k, "").strip().lower() not in ("", "0", "false", "no", "off")
               for k in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"))


def hub_copy(source: Source) -> tuple[Path | None, Path | None]:
    """(the source's file in the local hub copy when it is there, where it would be): under
    ``--hub-dir`` at ``DIR/<hub id>/<hub file>``, or ``DIR/<file name>`` for a file the hub does
    not host."""
    from r1safe.paths import expected_hub_copy, hub_dir

    if source.hub_id and source.hub_file:
        where = expected_hub_copy(source.hub_id, source.hub_file)
    else:
        root = hub_dir()
        where = root / Path(source.url).name if root is not None else None
    return (where if where is not None and where.is_file() else None), where


def fetch(source: Source) -> Table:
    """The source's published file: from the local hub copy (``--hub-dir``) when it holds it, else
    through ``datasets`` (from its hub repository, else its URL); offline, unreachable or gated is
    a one-line ConfigError saying what to download."""
    copy, where = hub_copy(source)
    if copy is not None:
        return read_file(copy)
    looked = f" (not in {where})" if where is not None else ""
    if offline():
        raise ConfigError(f"{source.name}: no local file{looked} and the hub is offline (HF_HUB_OFFLINE); "
                          f"{source.how_to_pass()}")
    from r1safe.backends.loading import hub_reachable

    if source.hub_id and source.hub_file and not hub_reachable():  # now, not after datasets' minute of retries
        raise ConfigError(f"{source.name}: no local file{looked} and the hub cannot be reached from this machine; "
                          f"{source.how_to_pass()}")
    import datasets

    suffix = Path(source.hub_file or source.url).suffix.lower()
    options: dict[str, Any] = {"delimiter": "\t"} if suffix == ".tsv" else {}
    if suffix in (".csv", ".tsv"):
        options["keep_default_na"] = False
    try:
        if source.hub_id and source.hub_file:
            ds = datasets.load_dataset(source.hub_id, data_files=source.hub_file, split="train", **options)
        else:
            builder = {".jsonl": "json", ".tsv": "csv"}.get(suffix, suffix.lstrip("."))
            ds = datasets.load_dataset(builder, data_files=source.url, split="train", **options)
    except Exception as err:  # any failure to reach or read the hub becomes the one line below
        raise fetch_error(source, err) from None
    origin = f"{source.hub_id}/{source.hub_file}" if source.hub_id and source.hub_file else source.url
    return Table(ds.to_list(), origin)


def fetch_error(source: Source, err: BaseException) -> ConfigError:
    """The one-line error for a failed fetch: gated (accept the terms, log in) or unreachable."""
    said = str(err).lower()
    if source.gated and any(w in said for w in ("gated", "401", "403", "unauthorized", "authenticated")):
        return ConfigError(
            f"{source.name}: {source.hub_id} is gated on the Hugging Face Hub; accept its terms at "
            f"https://huggingface.co/datasets/{source.hub_id} and log in (`hf auth login` or HF_TOKEN), "
            f"or {source.how_to_pass()}")
    reason = (str(err).splitlines() or [""])[0][:160]
    return ConfigError(f"{source.name}: could not fetch {source.file} ({type(err).__name__}: {reason}); "
                       f"{source.how_to_pass()}")
