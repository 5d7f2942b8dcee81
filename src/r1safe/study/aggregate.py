"""Turn the finished arms into ``results.json``: table, hacking curves, verdict, provenance."""

from __future__ import annotations

from typing import Any

from r1safe.eval.reply_records import ReplyRecord
from r1safe.gym.build import GymArtifacts
from r1safe.study.arm_record import ArmRecord
from r1safe.study.config import StudyConfig
from r1safe.study.dose import aggregate_dose
from r1safe.study.goodhart_runs import goodhart_table
from r1safe.study.table import HARMFUL, SHIFTS, build_table, eval_records, outcome_shares, rows_from_records
from r1safe.study.verdict import verdict
from r1safe.train import metric_names as names

#: the study's curve names for the reward-hacking monitor's stats
HACK_KEYS = {"proxy": names.PROXY_SAFE, "oracle": names.JUDGE_SAFE, "helpful_proxy": names.HELPFUL_PROXY,
             "helpful_oracle": names.HELPFUL_JUDGE}


def hacking_curve(metrics_path: str | None) -> dict[str, list[float]]:
    """Proxy vs oracle safe share on the probe set over the run's GRPO steps (stages chained)."""
    from r1safe.train.monitors.reward_hacking import hacking_curve as probe_points

    curve: dict[str, list[float]] = {"step": [], **{name: [] for name in HACK_KEYS}}
    if not metrics_path:
        return curve
    for point in probe_points(metrics_path):
        if point["kind"] == "grpo" and all(k in point for k in HACK_KEYS.values()):
            curve["step"].append(float(point["global_step"]))
            for name, key in HACK_KEYS.items():
                curve[name].append(point[key])
    return curve


def final_gaps(curves: dict[str, dict[str, list[float]]], arm: str) -> dict[str, float | None]:
    """Mean over seeds of the last probe's proxy-minus-oracle gap, for each reward model."""
    runs = [c for key, c in curves.items() if key.split(" ")[0] == arm and c["step"]]
    if not runs:
        return {"safety": None, "helpfulness": None}
    return {"safety": sum(c["proxy"][-1] - c["oracle"][-1] for c in runs) / len(runs),
            "helpfulness": sum(c["helpful_proxy"][-1] - c["helpful_oracle"][-1] for c in runs) / len(runs)}


def oracle_uses(cfg: StudyConfig) -> list[str]:
    """Where an arm's recipe reads the gym oracle (privileged truth no real run has), one line each."""
    from r1safe.study.config import RECIPE_ARMS, arm_recipe

    notes = []
    for arm in [a for a in cfg.arms if a in RECIPE_ARMS] + list(cfg.recipes):
        for stage in arm_recipe(arm).stages:
            if getattr(stage, "safety_judge", None) == "oracle":
                notes.append(f"{arm}: stage {stage.name or stage.kind} keeps samples the gym oracle calls safe "
                             "(an ablation with privileged truth); the other arms see only learned judges.")
            if any(r.name == "oracle_harmlessness" for r in getattr(stage, "rewards", [])):
                notes.append(f"{arm}: stage {stage.name or stage.kind} is rewarded by the gym oracle "
                             "(ablation).")
    return notes


def _outcome(scores: dict[str, Any]) -> str | None:
    from r1safe.gym.oracle import OUTCOMES

    return next((name for name in OUTCOMES if scores.get(f"oracle/{name}")), None)


def transcripts(records: list[ReplyRecord], per_split: int = 2, seed: int = 0) -> dict[str, list[dict[str, Any]]]:
    """A few replies per split, drawn at random (seeded), with the oracle's outcome: what the model
    actually says, for the report. Replies to harmful prompts are drawn first from those that did
    not refuse, so a reader sees the failures, then from the rest."""
    import random

    from r1safe.text.think_format import parse_reply

    rng = random.Random(seed)
    by_split: dict[str, list[ReplyRecord]] = {}
    for r in records:
        by_split.setdefault(r.split, []).append(r)
    out: dict[str, list[dict[str, Any]]] = {}
    for split, rows in by_split.items():
        rows = rng.sample(rows, len(rows))
        if split in (*HARMFUL, *SHIFTS):
            rows.sort(key=lambda r: _outcome(r.scores) == "refused")
        shown = []
        for r in rows[:per_split]:
            reply = parse_reply(r.reply)
            shown.append({"prompt": r.last_user_text() or r.sample_id,
                          "reasoning": reply.reasoning, "answer": reply.answer,
                          "outcome": _outcome(r.scores), "coherent": r.scores.get("oracle/coherent")})
        out[split] = shown
    return out


def aggregate(cfg: StudyConfig, gyms: dict[int, GymArtifacts], done: dict[tuple[str, int], ArmRecord],
              wall_s: float, dose: dict[str, Any] | None = None, goodhart: dict[str, Any] | None = None
              ) -> dict[str, Any]:
    """The study's results dict (see :mod:`r1safe.study.report` for how it is shown).

    ``dose``: the raw points of :func:`r1safe.study.dose.run_dose`, when the study ran the dose;
    ``goodhart``: :func:`r1safe.study.goodhart_runs.run_goodhart`'s results, when it ran.

    ``gyms`` maps each seed to its gym build; the first seed's stands for the world (splits,
    held-out sets) and is the one whose build report is quoted.
    """
    from r1safe.eval.outputs import machine
    from r1safe.files import versions

    arms = list(dict.fromkeys(arm for arm, _ in done))
    records = {key: eval_records(info.evaluation_dir()) for key, info in done.items()}
    rows = {arm: {seed: rows_from_records(records[(a, seed)], seed) for a, seed in done if a == arm} for arm in arms}
    compute = {arm: {seed: {"flops": info.flops, "wall_s": info.wall_s}
                     for (a, seed), info in done.items() if a == arm} for arm in arms}
    table = build_table(rows, compute, resamples=cfg.bootstrap)
    outcomes = {arm: outcome_shares(by_seed) for arm, by_seed in rows.items()}
    first = cfg.seeds[0]
    samples = {arm: transcripts(records[(arm, seed)], seed=first) for arm, seed in done if seed == first}
    curves = {f"{arm} s{seed}": hacking_curve(info.metrics) for (arm, seed), info in done.items() if info.metrics}
    final_gap = {arm: final_gaps(curves, arm) for arm in arms}
    gym = gyms[cfg.seeds[0]]
    report = gym.report
    dose_results = aggregate_dose(cfg, dose) if dose is not None else None
    return {
        "version": 1, "status": "complete", "config": cfg.model_dump(mode="json"), "seeds": cfg.seeds,
        "arms": arms, "wall_s": wall_s, "machine": machine(), "versions": versions(),
        "gym": {"digest": report["digest"], "root": str(gym.root), "heldout": report["heldout"],
                "base_model": report["base_model"], "reward_models": report["reward_models"],
                "safety_judges": report.get("safety_judges", {}),
                "builds": {str(seed): g.config.digest() for seed, g in gyms.items()}},
        "runs": {f"{arm} s{seed}": info.as_json() for (arm, seed), info in done.items()},
        "table": table, "outcomes": outcomes, "transcripts": samples, "hacking_final_gap": final_gap,
        "hacking_curves": {k: v for k, v in curves.items() if v["step"]},
        "verdict": verdict(table, final_gap, dose_results, goodhart),
        "notes": oracle_uses(cfg),
        **({"dose": dose_results} if dose_results is not None else {}),
        **({"goodhart": {**goodhart, "table": goodhart_table(goodhart)}} if goodhart is not None else {}),
    }
