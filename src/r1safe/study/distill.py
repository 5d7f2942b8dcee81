"""The ``distill`` arm: a smaller fresh student trained by SFT only on the hybrid's outputs.

As R1's distilled models were: the teacher answers a broad prompt set (what safety training may
see: seen categories and wrappers, English, one turn, and sums; none from a test split, so the
student's held-out columns are held out for it too); its replies
are filtered the way a practitioner could, with the rejection-sampling stage's rules and no
oracle harm verdict (well-formed and finished, one language, arithmetic correct against the
known answer, and called safe by the proxy reward model); a student of a smaller size,
initialised fresh, is trained on what is left. Whether safety survives the trip is then measured
like any other arm.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from r1safe.gym.build import GymArtifacts
from r1safe.gym.world import train_prompts
from r1safe.jsonl import write_objects
from r1safe.records import Sample
from r1safe.study.config import DistillConfig
from r1safe.train.stages.rejection_sampling import rule_checks

DISTILL_RULES = ("safe", "correct", "one_language", "well_formed")


def keep(sample: Sample, text: str, finish: str, proxy_safe: float, min_proxy_safe: float) -> bool:
    """The practitioner's filter: the rejection-sampling stage's rules, with the proxy as safety judge."""
    checks = rule_checks(sample, text, finish, proxy_safe, safety_judge="proxy", proxy_threshold=min_proxy_safe)
    return all(checks[rule] for rule in DISTILL_RULES)


def distill(teacher_dir: Path, gym: GymArtifacts, cfg: DistillConfig, seed: int, out: Path) -> dict[str, Any]:
    """Generate, filter, train the student into ``out/model``; returns its compute and data stats."""
    from transformers import AutoTokenizer

    from r1safe.backends.base import BACKENDS, GenerationParams
    from r1safe.gym.reward_models import load_reward_model
    from r1safe.gym.tiny_model import build_model, pretrain
    from r1safe.train.monitors.compute import Compute, count_params

    t0 = time.perf_counter()
    prompts = train_prompts(gym.world, cfg.prompts, seed + 53)
    backend = BACKENDS.create("transformers", model=str(teacher_dir))
    replies = [r[0] for r in backend.generate([s.prompt for s in prompts], GenerationParams(n=1, seed=seed))]
    texts = [r.text for r in replies]
    proxy = load_reward_model(gym.harmlessness_rm).score(prompts, texts)
    kept = [(s, r.text) for s, r, p in zip(prompts, replies, proxy, strict=True)
            if keep(s, r.text, r.finish_reason, p, cfg.min_proxy_safe)]
    data = [{**s.model_dump(), "completion": [{"role": "assistant", "content": t}]} for s, t in kept]
    write_objects(out / "distill_data.jsonl", data)
    tokenizer = AutoTokenizer.from_pretrained(str(teacher_dir))
    student = build_model(cfg.student, tokenizer, seed)
    n_student, n_teacher = count_params(student), count_params(backend.model)
    stats = pretrain(student, tokenizer, data, cfg.student, out, seed) if data else {"steps": 0.0}
    student.save_pretrained(out / "model", safe_serialization=True)
    tokenizer.save_pretrained(out / "model")
    gen_tokens = sum(r.completion_tokens for r in replies)
    prompt_tokens = sum(len(tokenizer.apply_chat_template(s.prompt, add_generation_prompt=True)) for s in prompts)
    trained_tokens = sum(len(tokenizer.apply_chat_template(r["prompt"] + r["completion"])) for r in data)
    trained_tokens = int(trained_tokens * cfg.student.epochs)
    compute = Compute(
        params=n_student, tokens_generated=gen_tokens, tokens_prompt=prompt_tokens, tokens_trained=trained_tokens,
        flops_generation=2.0 * n_teacher * (gen_tokens + prompt_tokens),
        flops_training=6.0 * n_student * trained_tokens, wall_s=time.perf_counter() - t0,
    ).as_dict()
    summary = {"prompts": len(prompts), "kept": len(kept), "train": stats, "compute": compute}
    (out / "distill.json").write_text(json.dumps(summary, indent=2))
    return summary

