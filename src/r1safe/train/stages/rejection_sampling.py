"""The ``rejection_sampling`` stage, R1's third stage: sample, keep what the judges accept, SFT on it.

For each prompt the current model (or ``teacher``, for distillation) samples ``n`` replies with the
evaluation's transformers backend. A reply is kept when every rule in ``accept`` passes:

- ``safe``: a stronger learned judge than the policy's proxy (``safety_judge: learned``, R1's
  stronger reward model: the gym's ``safety_judge``, trained on more and more varied replies, harm
  in the reasoning included) gives P(safe) >= ``proxy_threshold``; or the proxy harmlessness model
  does (``proxy``); or a real-text evaluation judge does (``judge``: ``judge`` and ``judge_options``
  name it, e.g. llama_guard, scored as the ``harmlessness`` reward scores with it); or, as a labelled
  ablation, the gym oracle calls the reply safe (``oracle``);
- ``correct``: arithmetic answers are exact, math answers match their reference (rules, as R1's were);
- ``one_language``: every reasoning word is in the prompt's language (R1 dropped mixed CoT), read by
  :mod:`r1safe.text.language_id` (the gym's exact script rule for English and Chinese, any language else);
- ``well_formed``: one closed think block, a non-empty answer, and the reply ended by itself;
- ``no_over_refusal``: benign and borderline prompts are not refused (by the gym's refusal phrases, or
  by the ``judge`` with ``safety_judge: judge``);
- ``helpful``: the oracle finds the reply helpful (where it can tell).

At most ``keep_per_prompt`` distinct replies per prompt are kept; they are written to
``accepted.jsonl`` in the stage folder, then the current model is fine-tuned on them.
"""

from __future__ import annotations

import json
import random
from typing import Any

from r1safe.records import Sample
from r1safe.text.language import detect_language
from r1safe.text.language_id import language_consistency
from r1safe.text.think_format import parse_reply
from r1safe.train.data import load_stage_rows, samples_from
from r1safe.train.dist import barrier, is_main
from r1safe.train.monitors import Compute
from r1safe.train.recipe import RejectionSamplingStage
from r1safe.train.stages.common import StageContext, StageOutcome, gym_paths, use_cpu


def _oracle(sample: Sample, text: str) -> Any:
    from r1safe.gym.oracle import judge

    ref = sample.reference
    helped = sample.kind in ("benign", "borderline") and "steps" in ref
    known = "step_codes" in ref or isinstance(ref.get("answer"), int) or helped
    return judge(sample, text) if known else None


def _correct(sample: Sample, text: str, verdict: Any) -> bool:
    """The gym oracle's exact arithmetic where it judged, else the ``correctness`` reward's math check."""
    if verdict is not None and verdict.correct is not None:
        return bool(verdict.correct)
    if "answer" not in sample.reference:
        return True
    from r1safe.train.rewards.correctness import Correctness

    return Correctness()([sample.prompt], [text], reference=[sample.reference])[0] == 1.0


def rule_checks(sample: Sample, text: str, finish: str, proxy_safe: float | None,
                safety_judge: str = "oracle", proxy_threshold: float = 0.5,
                refused: bool | None = None) -> dict[str, bool]:
    """Which accept rules one reply passes (all rules, whatever the caller asks for).

    With ``safety_judge`` ``learned`` or ``proxy``, ``safe`` is ``proxy_safe`` (that judge's P(safe))
    against ``proxy_threshold`` alone, so a filter that must not read the gym oracle's harm verdict
    uses the same rules; ``oracle`` reads the oracle's ``safe``. ``refused`` (a real judge's verdict on
    the answer) replaces the gym's refusal phrases for ``no_over_refusal`` when given.
    """
    from r1safe.train.rewards.over_refusal import OverRefusal

    reply = parse_reply(text, think_forced=True)
    verdict = _oracle(sample, text)
    lang = sample.language or detect_language(sample.last_user_text) or "en"
    share = language_consistency(reply.reasoning, lang)
    if safety_judge in ("learned", "proxy", "judge"):
        safe = proxy_safe is not None and proxy_safe >= proxy_threshold
    elif verdict is not None and verdict.harmful is not None:
        safe = verdict.safe
    else:
        safe = sample.kind != "harmful"  # nothing to judge a harmful prompt by: do not keep it
    return {
        "safe": safe,
        "correct": _correct(sample, text, verdict),
        "one_language": share is not None and share >= 1.0,
        "well_formed": reply.format_ok and finish == "stop",
        "no_over_refusal": sample.kind not in ("benign", "borderline")
        or not (OverRefusal().refused(text) if refused is None else refused),
        "helpful": verdict is None or verdict.helpful is None or bool(verdict.helpful),
    }


def _generate(ctx: StageContext, samples: list[Sample]) -> tuple[list[list[Any]], Compute]:
    """``n`` replies per sample from the generator, and the generation's compute."""
    from r1safe.backends.base import BACKENDS, GenerationParams

    stage = ctx.stage
    assert isinstance(stage, RejectionSamplingStage)
    source = stage.teacher or ctx.parent
    backend: Any = BACKENDS.create(
        "transformers",
        model=source,
        batch_size=stage.generation_batch_size,
        device="cpu" if use_cpu(ctx.recipe) else None,
    )
    params = GenerationParams(
        n=stage.n, temperature=stage.temperature, top_p=stage.top_p, max_new_tokens=stage.max_new_tokens, seed=ctx.seed
    )
    replies = backend.generate([s.prompt for s in samples], params)
    n_params = int(sum(p.numel() for p in backend.model.parameters()))
    tok = backend.tokenizer
    prompt_tokens = sum(len(tok(backend.render(s.prompt), add_special_tokens=False)["input_ids"]) for s in samples)
    completion_tokens = sum(c.completion_tokens for r in replies for c in r)
    compute = Compute(
        params=n_params,
        tokens_generated=completion_tokens,
        tokens_prompt=prompt_tokens,
        flops_generation=2.0 * n_params * (prompt_tokens + completion_tokens),
    )
    del backend
    return replies, compute


def _judge_replies(stage: Any, samples: list[Sample],
                   replies: list[list[Any]]) -> tuple[list[list[float | None]], list[list[bool | None]]]:
    """Per reply, the real judge's P(safe) (harmful prompts: as the ``harmlessness`` reward reads it;
    1 elsewhere) and its refusal verdict on the answer, all replies scored in one batch."""
    from r1safe.train.rewards.judged import judged_scores, refusal_score, safe_score

    flat = [(s, c.text) for s, r in zip(samples, replies, strict=True) for c in r]
    scores = iter(judged_scores(stage.judge, stage.judge_options, [s for s, _ in flat], [t for _, t in flat]))
    safe: list[list[float | None]] = []
    refused: list[list[bool | None]] = []
    for s, r in zip(samples, replies, strict=True):
        got = [next(scores) for _ in r]
        safe.append([safe_score(g, "both") if s.kind == "harmful" else 1.0 for g in got])
        refused.append([None if refusal_score(g) is None else refusal_score(g) >= 0.5 for g in got])  # type: ignore[operator]
    return safe, refused


def select(ctx: StageContext, samples: list[Sample], replies: list[list[Any]]) -> tuple[list[dict], dict]:
    """The accepted rows (prompt, completion, metadata) and acceptance statistics."""
    stage = ctx.stage
    assert isinstance(stage, RejectionSamplingStage)
    proxy: list[list[float | None]] = [[None] * len(r) for r in replies]
    refused: list[list[bool | None]] = [[None] * len(r) for r in replies]
    if stage.safety_judge == "judge":
        proxy, refused = _judge_replies(stage, samples, replies)
    elif stage.safety_judge in ("learned", "proxy"):
        from r1safe.train.rewards.harmlessness import Harmlessness

        rm = Harmlessness(model=stage.judge_model)
        paths = gym_paths(ctx.gym)
        if stage.safety_judge == "learned" and "safety_judge" in paths:
            paths["harmlessness"] = paths["safety_judge"]
        rm.bind_gym(paths)
        for i, (s, r) in enumerate(zip(samples, replies, strict=True)):
            proxy[i] = list(rm([s.prompt] * len(r), [c.text for c in r], kind=[s.kind] * len(r)))
    passed = dict.fromkeys(stage.accept, 0)
    kept: list[dict[str, Any]] = []
    total = 0
    for s, reps, scores, refusals in zip(samples, replies, proxy, refused, strict=True):
        seen: set[str] = set()
        for c, p, judged_refusal in zip(reps, scores, refusals, strict=True):
            total += 1
            checks = rule_checks(s, c.text, c.finish_reason, p, stage.safety_judge, stage.proxy_threshold,
                                 judged_refusal)
            for rule in stage.accept:
                passed[rule] += checks[rule]
            fresh = c.text not in seen and len(seen) < stage.keep_per_prompt
            if fresh and all(checks[r] for r in stage.accept):
                seen.add(c.text)
                kept.append({**s.model_dump(), "completion": [{"role": "assistant", "content": c.text}]})
    stats = {
        "prompts": len(samples),
        "generated": total,
        "kept": len(kept),
        "accept_rate": len(kept) / total if total else 0.0,
        "pass_rate": {k: v / total if total else 0.0 for k, v in passed.items()},
    }
    return kept, stats


def run(ctx: StageContext) -> StageOutcome:
    from r1safe.train.stages.sft import train_sft

    stage = ctx.stage
    assert isinstance(stage, RejectionSamplingStage)
    rows, data = load_stage_rows(ctx.recipe, stage, ctx.gym, ctx.index, "prompts", ctx.seed)
    if stage.num_prompts is not None and stage.num_prompts < len(rows):
        rows = random.Random(ctx.seed).sample(rows, stage.num_prompts)
    samples = samples_from(rows)
    who = f"teacher {stage.teacher}" if stage.teacher else "the current model"
    accepted = ctx.dir / "accepted.jsonl"
    if is_main():  # one process samples and filters; the others wait, then all fine-tune on its file
        ctx.say(f"sampling {stage.n} replies for each of {len(samples)} prompts from {who}")
        replies, gen_compute = _generate(ctx, samples)
        kept, stats = select(ctx, samples, replies)
        with accepted.open("w", encoding="utf-8") as f:
            for row in kept:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        selection = {"stats": stats, "compute": gen_compute.as_dict()}
        (ctx.dir / "selection.json").write_text(json.dumps(selection))
        ctx.say(
            f"kept {stats['kept']}/{stats['generated']} replies; pass rates "
            + ", ".join(f"{k} {v:.0%}" for k, v in stats["pass_rate"].items())
        )
    barrier()
    info = json.loads((ctx.dir / "selection.json").read_text())
    stats, gen_compute = info["stats"], Compute.from_dict(info["compute"])
    kept = [json.loads(line) for line in accepted.read_text(encoding="utf-8").splitlines() if line.strip()]
    data = {**data, "rows": len(rows), "accepted": stats["kept"]}
    if not kept:
        ctx.say("no reply was accepted: the model passes through unchanged")
        if is_main():
            _copy_model(ctx)
        barrier()
        return StageOutcome(0, gen_compute, data, {"selection": stats})
    sft = [{"prompt": r["prompt"], "completion": r["completion"]} for r in kept]
    steps, compute, summary = train_sft(ctx, sft, base=gen_compute)
    return StageOutcome(steps, compute, data, {"selection": stats, **summary})


def _copy_model(ctx: StageContext) -> None:
    import shutil
    from pathlib import Path

    src = Path(ctx.parent)
    if not src.is_dir():
        from transformers import AutoModelForCausalLM, AutoTokenizer

        AutoModelForCausalLM.from_pretrained(ctx.parent).save_pretrained(ctx.model_dir)
        AutoTokenizer.from_pretrained(ctx.parent).save_pretrained(ctx.model_dir)
        return
    shutil.rmtree(ctx.model_dir, ignore_errors=True)
    shutil.copytree(src, ctx.model_dir)
