"""Join the stages into rows and records, and describe the machine and package versions.

A row (:class:`~r1safe.eval.metrics.Row`) is what metrics read; a record is what a person reads
in ``records.jsonl``: the sample's metadata, the prompt, the reply and every judge's scores.
"""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

from r1safe.eval.metrics import Row
from r1safe.eval.reply_records import ReplyRecord
from r1safe.records import Generation, Judgement, Sample


def cpu_model() -> str:
    """The CPU's model name, from /proc/cpuinfo where there is one."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """CPU model, core count, platform, and the GPU when torch sees one (torch is not imported)."""
    info: dict[str, Any] = {"cpu": cpu_model(), "cores": os.cpu_count(), "platform": platform.platform()}
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch_threads"] = torch.get_num_threads()
        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    return info


def flat_scores(judgements: list[Judgement], judges: list[str]) -> dict[tuple[str, int], dict[str, Any]]:
    """``{(sample_id, index): {"judge/score": value}}`` for the judges in ``judges``."""
    out: dict[tuple[str, int], dict[str, Any]] = {}
    wanted = set(judges)
    for j in judgements:
        if j.judge in wanted:
            scores = out.setdefault((j.sample_id, j.index), {})
            scores.update({f"{j.judge}/{k}": v for k, v in j.scores.items()})
    return out


def build_rows(samples: list[Sample], generations: list[Generation], judgements: list[Judgement],
               judges: list[str]) -> list[Row]:
    """One row per generation of a known sample, in sample then index order."""
    by_id = {s.id: s for s in samples}
    order = {s.id: i for i, s in enumerate(samples)}
    scores = flat_scores(judgements, judges)
    rows = []
    known = (g for g in generations if g.sample_id in by_id)
    for g in sorted(known, key=lambda g: (order[g.sample_id], g.index)):
        s = by_id[g.sample_id]
        rows.append(Row(sample_id=s.id, index=g.index, split=s.split, kind=s.kind, category=s.category,
                        language=s.language, turns=s.turns, scores=scores.get((s.id, g.index), {}),
                        finish_reason=g.finish_reason))
    return rows


def dataset_summary(samples: list[Sample]) -> dict[str, dict[str, Any]]:
    """``{dataset: {license, splits: {split: prompts}}}`` for samples whose reference names a dataset."""
    out: dict[str, dict[str, Any]] = {}
    for s in samples:
        name = s.reference.get("dataset")
        if not name:
            continue
        entry = out.setdefault(name, {"license": s.reference.get("license"), "splits": {}})
        entry["splits"][s.split] = entry["splits"].get(s.split, 0) + 1
    return out


def records(samples: list[Sample], generations: list[Generation], rows: list[Row]) -> list[dict[str, Any]]:
    """Per-sample records for ``records.jsonl`` (:class:`~r1safe.eval.reply_records.ReplyRecord`, as
    JSON objects): metadata, prompt, reply, scores."""
    by_id = {s.id: s for s in samples}
    text = {(g.sample_id, g.index): g for g in generations}
    out = []
    for r in rows:
        s, g = by_id[r.sample_id], text[(r.sample_id, r.index)]
        out.append(ReplyRecord(
            sample_id=s.id, index=r.index, split=s.split, kind=s.kind, category=s.category,
            language=s.language, wrapper=s.wrapper, turns=s.turns,
            dataset=s.reference.get("dataset"), license=s.reference.get("license"), prompt=s.prompt,
            reply=g.text, finish_reason=g.finish_reason, completion_tokens=g.completion_tokens,
            scores=r.scores,
        ).model_dump(mode="json"))
    return out
