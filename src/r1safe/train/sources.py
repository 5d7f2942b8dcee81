"""Public training data in the field's formats, normalized into r1safe's rows and ``<think>`` format.

A recipe names such data as ``FORMAT:LOCATION``; LOCATION is a local file in the published column
layout (CSV, TSV, JSON, JSONL or parquet, read by :func:`r1safe.eval.datasets.public.read_file`) or
``hub`` for the published dataset (offline, a one-line error says which file to download).

==============  ======================================  =============================================
format          columns (as published)                  rows it gives
==============  ======================================  =============================================
star1           question, response (R1 reply with its   SFT: deliberative safety reasoning (STAR-1,
                ``<think>`` block); category            UCSC-VLAA/STAR-1, Apache-2.0)
safechain       instruction, response (the reply        SFT: SafeChain (UWNSL/SafeChain), R1 style
                without its ``<think>`` opener)
reasoning       prompt, reasoning, answer; optional     SFT: any (prompt, reasoning, answer) set,
                kind, language, category                e.g. refusals and safe completions in zh
gsm8k           question, answer (``... #### 42``)      SFT and math prompts with a checkable answer
math            problem, solution (``\\boxed{..}``)      SFT and math prompts with a checkable answer
orbench         prompt, category                        benign prompts that look risky (OR-Bench)
<dataset>       any r1safe.eval.datasets name           prompts with kinds: e.g. ``wildjailbreak`` on
                (harmbench, advbench, wildjailbreak...) its *train* TSV gives harmful and benign pools
==============  ======================================  =============================================

Every SFT completion is rendered one way, :func:`canonical_reply`: ``<think>\\nREASONING\\n</think>
\\n\\nANSWER``; :mod:`r1safe.train.chat_format` fits it to a chat template that opens ``<think>``
itself. Math rows carry ``reference.answer`` (a string, checked by the ``correctness`` reward).
The normalized rows are written once per input file content to the r1safe cache as JSONL, so a
stage's data hash follows the data, and every later reader sees ordinary rows.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from r1safe.errors import ConfigError, DataError
from r1safe.eval.datasets.public import Source, Table, read_file, text
from r1safe.text.math_answer import last_boxed
from r1safe.text.think_format import parse_reply

Row = dict[str, Any]

SOURCES = {
    "star1": Source("star1", "Apache-2.0", "the STAR-1 parquet/JSON file",
                    "https://huggingface.co/datasets/UCSC-VLAA/STAR-1", hub_id="UCSC-VLAA/STAR-1",
                    pass_as="star1:PATH"),
    "safechain": Source("safechain", "see the dataset card", "the SafeChain parquet file",
                        "https://huggingface.co/datasets/UWNSL/SafeChain", hub_id="UWNSL/SafeChain", gated=True,
                        pass_as="safechain:PATH"),
    "gsm8k": Source("gsm8k", "MIT", "main/train-00000-of-00001.parquet",
                    "https://huggingface.co/datasets/openai/gsm8k", hub_id="openai/gsm8k",
                    hub_file="main/train-00000-of-00001.parquet", pass_as="gsm8k:PATH"),
    "math": Source("math", "MIT", "the MATH train file (problem, solution)",
                   "https://huggingface.co/datasets/EleutherAI/hendrycks_math", pass_as="math:PATH"),
    "orbench": Source("orbench", "CC-BY-4.0", "or-bench-80k.csv",
                      "https://huggingface.co/datasets/bench-llm/or-bench", hub_id="bench-llm/or-bench",
                      hub_file="or-bench-80k/or-bench-80k.csv", pass_as="orbench:PATH"),
}


def canonical_reply(reasoning: str, answer: str) -> str:
    """The one rendering of a reply r1safe trains on: R1's think block, a blank line, the answer."""
    return f"<think>\n{reasoning.strip()}\n</think>\n\n{answer.strip()}"


def _user(content: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": content}]


def _sft_row(prompt: str, reasoning: str, answer: str, **meta: Any) -> Row:
    completion = [{"role": "assistant", "content": canonical_reply(reasoning, answer)}]
    return {"prompt": _user(prompt), "completion": completion, **{k: v for k, v in meta.items() if v not in (None, "")}}


def _reply_row(table: Table, row: int, data: Row, prompt_col: str, forced: bool, **meta: Any) -> Row:
    """An SFT row from a published R1 reply (``forced``: the reply lacks its ``<think>`` opener)."""
    reply = parse_reply(text(table, row, data, "response"), think_forced=forced)
    if not reply.format_ok:
        raise DataError(f"{table.where(row)}: response: not an R1 reply ({reply.problem})")
    return _sft_row(text(table, row, data, prompt_col), reply.reasoning, reply.answer, **meta)


def _star1(table: Table) -> list[Row]:
    return [
        _reply_row(table, row, d, "question", False, kind="harmful", category=d.get("category"),
                   id=str(d.get("id", row)), reference={"dataset": "star1", "source": d.get("source")})
        for row, d in table.items()
    ]


def _safechain(table: Table) -> list[Row]:
    return [_reply_row(table, row, d, "instruction", True, id=str(row), reference={"dataset": "safechain"})
            for row, d in table.items()]


def _reasoning(table: Table) -> list[Row]:
    out = []
    for row, d in table.items():
        kind = d.get("kind") or None
        if kind not in (None, "harmful", "benign", "borderline"):
            raise DataError(f"{table.where(row)}: kind: {kind!r} is not harmful, benign or borderline")
        out.append(_sft_row(text(table, row, d, "prompt"), text(table, row, d, "reasoning"),
                            text(table, row, d, "answer"), kind=kind, language=d.get("language") or None,
                            category=d.get("category") or None, id=str(d.get("id") or row)))
    return out


_CALC = re.compile(r"<<[^>]*>>")


def _gsm8k(table: Table) -> list[Row]:
    out = []
    for row, d in table.items():
        solution = text(table, row, d, "answer")
        if "####" not in solution:
            raise DataError(f"{table.where(row)}: answer: no '#### <final answer>' line")
        steps, final = solution.rsplit("####", 1)
        final = final.strip().replace(",", "")
        row_out = _sft_row(text(table, row, d, "question"), _CALC.sub("", steps),
                           f"The answer is $\\boxed{{{final}}}$.", kind="benign", category="math", id=str(row))
        out.append({**row_out, "reference": {"answer": final, "dataset": "gsm8k"}})
    return out


def _math(table: Table) -> list[Row]:
    out = []
    for row, d in table.items():
        solution = text(table, row, d, "solution")
        final = last_boxed(solution)
        if final is None:
            raise DataError(f"{table.where(row)}: solution: no \\boxed{{...}} final answer")
        row_out = _sft_row(text(table, row, d, "problem"), solution, f"The answer is $\\boxed{{{final}}}$.",
                           kind="benign", category="math", id=str(row))
        out.append({**row_out, "reference": {"answer": final, "dataset": "math"}})
    return out


def _orbench(table: Table) -> list[Row]:
    return [{"prompt": _user(text(table, row, d, "prompt")), "kind": "benign", "category": d.get("category") or None,
             "id": str(row), "reference": {"dataset": "or-bench"}} for row, d in table.items()]


READERS: dict[str, tuple[Callable[[Table], list[Row]], tuple[str, ...]]] = {
    "star1": (_star1, ("question", "response")),
    "safechain": (_safechain, ("instruction", "response")),
    "reasoning": (_reasoning, ("prompt", "reasoning", "answer")),
    "gsm8k": (_gsm8k, ("question", "answer")),
    "math": (_math, ("problem", "solution")),
    "orbench": (_orbench, ("prompt",)),
}


def is_public_source(source: str) -> bool:
    """Whether ``source`` is ``FORMAT:LOCATION`` with a format of this module or a dataset name."""
    if ":" not in source or source.startswith("gym:"):
        return False
    from r1safe.eval.datasets import DATASETS

    fmt = source.split(":", 1)[0]
    return fmt in READERS or (fmt in DATASETS and fmt not in ("gym", "jsonl"))


def _table(fmt: str, location: str) -> Table:
    from r1safe.eval.datasets.public import require_columns

    table = _hub_table(fmt) if location == "hub" else read_file(location)
    require_columns(table, READERS[fmt][1])
    return table


def _hub_error(fmt: str, why: str) -> ConfigError:
    source = SOURCES.get(fmt)
    if source is None:
        return ConfigError(f"{fmt}:hub: {fmt} has no hub copy; pass {fmt}:PATH (a local file in its columns)")
    gated = " (gated: accept its terms there first)" if source.gated else ""
    return ConfigError(f"{fmt}:hub: {why}; download {source.file} from {source.url}{gated} and use {fmt}:PATH")


def _hub_table(fmt: str) -> Table:
    """The published file of ``fmt``: from the local hub copy (``--hub-dir``) when it holds it,
    else through ``datasets``; offline or unreachable is one line."""
    from r1safe.eval.datasets.public import offline
    from r1safe.paths import expected_hub_copy, hub_copy

    source = SOURCES.get(fmt)
    if source is None or source.hub_id is None:
        raise _hub_error(fmt, "no hub copy")
    copy = hub_copy(source.hub_id, source.hub_file)
    if copy is not None:
        return read_file(copy) if copy.is_file() else _folder_table(fmt, copy)
    where = expected_hub_copy(source.hub_id, source.hub_file)
    looked = f"not in {where} and " if where else ""
    if offline():
        raise _hub_error(fmt, f"{looked}the hub is offline (HF_HUB_OFFLINE)")
    from r1safe.backends.loading import hub_reachable

    if not hub_reachable():  # fail now, not after datasets' minute of retries
        raise _hub_error(fmt, f"{looked}the hub cannot be reached from this machine")
    import datasets

    files = {"data_files": source.hub_file} if source.hub_file else {}
    try:
        ds = datasets.load_dataset(source.hub_id, split="train", **files)
    except Exception as err:  # any failure to reach or read the hub becomes one line
        raise _hub_error(fmt, f"could not fetch {source.hub_id} ({type(err).__name__})") from None
    return Table(ds.to_list(), f"{source.hub_id}/{source.hub_file or 'train'}")


def _folder_table(fmt: str, folder: Path) -> Table:
    """A dataset repository downloaded whole (``hf download ID --repo-type dataset --local-dir``):
    its one data file, or its train split read by ``datasets`` from the folder, offline."""
    from r1safe.eval.datasets.public import SUFFIXES

    files = [p for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix.lower() in SUFFIXES
             and not any(part.startswith(".") for part in p.relative_to(folder).parts)]
    if len(files) == 1:
        return read_file(files[0])
    import datasets

    try:
        ds = datasets.load_dataset(str(folder), split="train")
    except Exception as err:  # any reading failure is one line naming the folder
        raise ConfigError(f"{fmt}:hub: cannot read the dataset in {folder} ({type(err).__name__}: "
                          f"{(str(err).splitlines() or [''])[0][:120]})") from None
    return Table(ds.to_list(), str(folder))


def _dataset_rows(name: str, location: str) -> list[Row]:
    import importlib
    import inspect

    from r1safe.eval.datasets import DATASETS

    params: dict[str, Any] = {"path": None if location == "hub" else location}
    if location == "hub" and "part" in inspect.signature(
        importlib.import_module(f"r1safe.eval.datasets.{name}").load
    ).parameters:
        params["part"] = "train"  # training pools come from a benchmark's train split where it has one
    samples = DATASETS.create(name, **params)
    return [{"prompt": s.prompt, "kind": s.kind, "category": s.category, "language": s.language,
             "wrapper": s.wrapper, "split": s.split, "id": s.id, "reference": s.reference} for s in samples]


def load_rows(source: str) -> list[Row]:
    """The normalized rows of ``FORMAT:LOCATION`` (see the module doc)."""
    fmt, location = source.split(":", 1)
    if fmt in READERS:
        return READERS[fmt][0](_table(fmt, location))
    return _dataset_rows(fmt, location)


def normalized_file(source: str) -> Path:
    """``source`` normalized to JSONL in the cache (written once per input content); its path."""
    from r1safe.files import atomic_write_jsonl
    from r1safe.paths import cache_dir

    fmt, location = source.split(":", 1)
    key = hashlib.sha256(source.encode())
    if location != "hub":
        path = Path(location).expanduser()
        if not path.is_file():
            raise ConfigError(f"{source}: {path}: no such file")
        key.update(path.read_bytes())
    out = cache_dir() / "train_data" / f"{fmt}-{key.hexdigest()[:16]}.jsonl"
    if not out.is_file():
        rows = load_rows(source)
        if not rows:
            raise DataError(f"{source}: no rows")
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_jsonl(out, (json.loads(json.dumps(r, ensure_ascii=False, default=str)) for r in rows))
    return out
