"""What a safety reviewer reads first: sampled replies per split, failures first, and where judges
disagree.

:func:`judge_disagreement` counts, for every score two judges both give (``refused``,
``harmful_answer``, …), the replies they both scored and those they scored differently, per split.
:func:`sample_transcripts` picks a few replies per split in this order: those a judge called
harmful (in the answer or the reasoning), then those two judges disagree on, then replies cut or
unfinished, then the rest, each group in a seeded random order, and keeps each reply's text
(shortened) with the reasons it was picked. Both read the records the pipeline writes
(``records.jsonl``) and go into ``results.json``, so the report shows them without the run folder.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

from r1safe.eval.judge_table import SHARED_SCORES
from r1safe.text.think_format import parse_reply

# Scores that call a reply harmful, in the order a reason names them.
HARM_SCORES = ("harmful_answer", "harmful_reasoning", "harmful")
# Shared scores two judges can disagree on (failed calls are bookkeeping, not a verdict).
VERDICT_SCORES = tuple(s for s in SHARED_SCORES if s not in ("judge_failed", "parse_failed"))
TEXT_CHARS = 1500


def _shorten(text: str, limit: int = TEXT_CHARS) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    return f"{text[:limit].rstrip()} … [{len(text) - limit:,} more characters]"


def _judge_scores(record: dict[str, Any], score: str, judges: list[str]) -> dict[str, bool]:
    """``{judge: value}`` of one boolean score over the judges that gave it for this reply."""
    scores = record.get("scores") or {}
    return {j: v for j in judges if isinstance(v := scores.get(f"{j}/{score}"), bool)}


def disagreements(record: dict[str, Any], judges: list[str]) -> list[str]:
    """``"refused: refusal yes, refusal_clf no"`` for every score judges split on for this reply."""
    out = []
    for score in VERDICT_SCORES:
        given = _judge_scores(record, score, judges)
        if len(set(given.values())) > 1:
            out.append(f"{score}: " + ", ".join(f"{j} {'yes' if v else 'no'}" for j, v in given.items()))
    return out


def harm_reasons(record: dict[str, Any], judges: list[str]) -> list[str]:
    """``"llama_guard: harmful_answer"`` for each judge that called this reply harmful."""
    return [f"{j}: {score}" for score in HARM_SCORES for j, v in _judge_scores(record, score, judges).items() if v]


def judge_disagreement(records: list[dict[str, Any]], judges: list[str]) -> list[dict[str, Any]]:
    """One entry per (score, pair of judges) that both scored some reply: replies both scored,
    how many they disagree on (and which way), overall and per split."""
    out = []
    for score in VERDICT_SCORES:
        for a, b in itertools.combinations(judges, 2):
            both = [(r["split"], v[a], v[b]) for r in records
                    if len(v := _judge_scores(r, score, [a, b])) == 2]
            if not both:
                continue
            splits: dict[str, dict[str, int]] = {}
            for split, va, vb in both:
                entry = splits.setdefault(split, {"n": 0, "disagree": 0})
                entry["n"] += 1
                entry["disagree"] += va != vb
            differ = sum(va != vb for _, va, vb in both)
            out.append({
                "score": score, "judges": [a, b], "n": len(both), "disagree": differ,
                "share": differ / len(both),
                "only_first": sum(va and not vb for _, va, vb in both),
                "only_second": sum(vb and not va for _, va, vb in both),
                "by_split": splits,
            })
    return out


def _unfinished(record: dict[str, Any], think_forced: bool) -> str | None:
    reply = parse_reply(record.get("reply"), think_forced=think_forced)
    if not reply.think_unclosed:
        return None
    return "cut by the token budget inside <think>" if record.get("finish_reason") == "length" else \
        "stopped inside <think> with no answer"


def sample_transcripts(records: list[dict[str, Any]], judges: list[str], per_split: int = 4, seed: int = 0,
                       think_forced: bool = True) -> dict[str, list[dict[str, Any]]]:
    """Up to ``per_split`` replies per split, failures first (see the module doc)."""
    rng = random.Random(seed)
    out: dict[str, list[dict[str, Any]]] = {}
    for split in dict.fromkeys(r["split"] for r in records):
        ranked = []
        for record in (r for r in records if r["split"] == split):
            harm, differ = harm_reasons(record, judges), disagreements(record, judges)
            unfinished = _unfinished(record, think_forced)
            rank = 0 if harm else 1 if differ else 2 if unfinished else 3
            ranked.append((rank, rng.random(), record, harm, differ, unfinished))
        ranked.sort(key=lambda t: (t[0], t[1]))
        fresh, seen = [], set()
        for item in ranked:  # one reply per prompt before a second of any, failures still first
            if item[2]["sample_id"] not in seen:
                seen.add(item[2]["sample_id"])
                fresh.append(item)
        taken = {id(t) for t in fresh}
        chosen = (fresh + [t for t in ranked if id(t) not in taken])[:per_split]
        chosen.sort(key=lambda t: (t[0], t[1]))
        picked = []
        for rank, _, record, harm, differ, unfinished in chosen:
            reply = parse_reply(record.get("reply"), think_forced=think_forced)
            users = [m["content"] for m in record.get("prompt", []) if m.get("role") == "user"]
            why = [f"harmful per {h}" for h in harm] + [f"judges disagree on {d}" for d in differ]
            why += [unfinished] if unfinished else []
            picked.append({
                "sample_id": record["sample_id"], "index": record["index"], "kind": record.get("kind"),
                "category": record.get("category"), "dataset": record.get("dataset"),
                "prompt": _shorten(users[-1] if users else ""), "turns": len(users),
                "reasoning": _shorten(reply.reasoning), "answer": _shorten(reply.answer),
                "finish_reason": record.get("finish_reason"), "completion_tokens": record.get("completion_tokens"),
                "why": why or ["sampled at random"], "failure": rank < 2,
            })
        out[split] = picked
    return out
