"""Divergence from the start: per-sequence KL(π‖π_ref) on the probe's replies, and d = √KL.

Gao, Schulman & Hilton (2022) plot the true (oracle) and proxy rewards against d = √KL between the
optimised policy and its start; this monitor measures that axis at every probe point. The probe's
replies are samples of π, so ``mean over replies of Σ_t [log π(y_t|·) − log π_ref(y_t|·)]`` over
the completion tokens is an unbiased estimate of the per-sequence KL (it can come out slightly
negative; ``kl_*`` is kept raw and only ``d_*`` is clamped at 0). Two references:

- ``init``: the stage's starting model (TRL's KL reference when ``beta`` > 0 and it is never reset,
  else loaded from the stage's parent folder; either way a resumed stage measures against the same
  model as an uninterrupted one);
- ``base``: the model the recipe started from (the same model as ``init`` in the first stage).

Both models read logits / T with the probe's sampling temperature T (1 when it samples greedily),
so the estimate is of the distribution the probe drew from; the probe's nucleus (top-p) is not
applied, since a reference may give no mass to a token the policy's nucleus keeps. The replies'
tokens are the sampled ones (end-of-sequence included), not a re-tokenization of their text: a
re-tokenized reply is not a sample of π, and the estimate goes badly negative on it. Prompt and
padding tokens are masked out. Stats: ``kl_init``, ``d_init``,
``kl_base``, ``d_base``.
"""

from __future__ import annotations

import math
from typing import Any

from r1safe.train import metric_names as names
from r1safe.train.monitors.base import Monitor, MonitorInputs
from r1safe.train.monitors.probe import Probe, ProbeResult
from r1safe.train.monitors.sink import MetricsSink


def sequence_logprobs(
    model: Any,
    prompt_ids: list[list[int]],
    completion_ids: list[list[int]],
    temperature: float = 1.0,
    pad_id: int = 0,
    batch_size: int = 16,
) -> list[float]:
    """Σ_t log p(y_t | prompt, y_<t) of each completion under ``model``'s logits / ``temperature``.

    Sequences are right-padded; only completion positions count (prompt and padding are masked).
    """
    import torch

    device = next(model.parameters()).device
    out: list[float] = []
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(prompt_ids), batch_size):
                prompts = prompt_ids[start:start + batch_size]
                completions = completion_ids[start:start + batch_size]
                seqs = [p + c for p, c in zip(prompts, completions, strict=True)]
                width = max(len(s) for s in seqs)
                ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
                attention = torch.zeros((len(seqs), width), dtype=torch.long)
                scored = torch.zeros((len(seqs), width), dtype=torch.bool)
                for i, (p, s) in enumerate(zip(prompts, seqs, strict=True)):
                    ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
                    attention[i, : len(s)] = 1
                    scored[i, len(p): len(s)] = True
                ids, attention, scored = ids.to(device), attention.to(device), scored.to(device)
                logits = model(input_ids=ids, attention_mask=attention).logits[:, :-1].float() / temperature
                logp = torch.log_softmax(logits, dim=-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
                out += (logp * scored[:, 1:]).sum(-1).tolist()
    finally:
        model.train(was_training)
    return out


def _load_reference(path: str, like: Any) -> Any:
    """The model at ``path`` in eval mode, on ``like``'s device and in its dtype."""
    from transformers import AutoModelForCausalLM

    param = next(like.parameters())
    ref = AutoModelForCausalLM.from_pretrained(path, dtype=param.dtype, trust_remote_code=False)
    return ref.to(param.device).eval()


class DivergenceMonitor(Monitor):
    name = "divergence"

    def __init__(self, sink: MetricsSink, probe: Probe, references: dict[str, Any], batch_size: int = 16) -> None:
        """``references`` maps ``init``/``base`` to a model folder or a model in memory; two names
        naming the same folder share one loaded model."""
        super().__init__(sink)
        self.probe = probe
        self.references = dict(references)
        self.batch_size = batch_size
        self._loaded: dict[str, Any] = {}
        self.forward_tokens = 0
        self.last: dict[str, float] = {}

    @property
    def temperature(self) -> float:
        t = float(self.probe.cfg.temperature)
        return t if t > 0 else 1.0

    def _reference(self, name: str, like: Any) -> Any:
        ref = self.references[name]
        if not isinstance(ref, str):
            return ref
        if ref not in self._loaded:
            self._loaded[ref] = _load_reference(ref, like)
        return self._loaded[ref]

    def _token_ids(self, result: ProbeResult, model: Any) -> tuple[list[list[int]], list[list[int]]]:
        """(prompt ids, completion ids) of every probe reply: the prompt as the probe's backend rendered
        it, the reply as sampled (re-tokenized from its text where the probe kept no ids)."""
        from r1safe.backends.base import THINK_OPENER
        from r1safe.backends.transformers import TransformersBackend

        tok = self.probe.tokenizer
        backend = TransformersBackend.from_model(model, tok)
        prompts = [backend.render(s.prompt) for s in result.samples]
        prompt_ids = [tok(p, add_special_tokens=False)["input_ids"] for p in prompts]
        if result.token_ids is not None:
            return prompt_ids, [list(ids) for ids in result.token_ids]
        replies = [t.removeprefix(THINK_OPENER) if p.endswith(THINK_OPENER) else t
                   for p, t in zip(prompts, result.texts, strict=True)]
        return prompt_ids, [tok(r, add_special_tokens=False)["input_ids"] for r in replies]

    def measure(self, step: int, model: Any, logs: dict[str, Any] | None) -> dict[str, float | None]:
        if logs is not None or model is None:
            return {}
        result = self.probe.run(step, model)
        if result is None or not result.texts:
            return {}
        prompts, completions = self._token_ids(result, model)
        pad = self.probe.tokenizer.pad_token_id or 0
        kw: dict[str, Any] = dict(temperature=self.temperature, pad_id=pad, batch_size=self.batch_size)
        policy = sequence_logprobs(model, prompts, completions, **kw)
        tokens = sum(len(p) + len(c) for p, c in zip(prompts, completions, strict=True))
        self.forward_tokens += tokens
        stats: dict[str, float | None] = {}
        by_model: dict[int, float] = {}
        for name in self.references:
            ref = self._reference(name, model)
            if id(ref) not in by_model:
                logq = sequence_logprobs(ref, prompts, completions, **kw)
                self.forward_tokens += tokens
                by_model[id(ref)] = sum(p - q for p, q in zip(policy, logq, strict=True)) / len(policy)
            kl = by_model[id(ref)]
            stats[f"kl_{name}"] = kl
            stats[f"d_{name}"] = math.sqrt(max(kl, 0.0))
        self.last.update({k: v for k, v in stats.items() if v is not None})
        return stats

    def summary(self) -> dict[str, Any]:
        return dict(self.last)


def make(cfg: Any, inputs: MonitorInputs) -> DivergenceMonitor | None:
    """The divergence monitor when it is on and the stage has a probe and a reference to compare with
    (GRPO stages: see :func:`r1safe.train.stages.common.reference_models`)."""
    if not cfg.divergence.enabled or inputs.probe is None or not inputs.references:
        return None
    return DivergenceMonitor(inputs.sink, inputs.probe, inputs.references)


#: the reward-hacking stats a Goodhart curve carries beside the divergence
HACKING_KEYS = (names.PROXY_SAFE, names.JUDGE_SAFE, names.HELPFUL_PROXY, names.HELPFUL_JUDGE, names.ALARM,
                names.ALARM_SINCE_START, names.HELPFUL_ALARM, names.HELPFUL_ALARM_SINCE_START)


def goodhart_curve(metrics_path: Any) -> list[dict[str, Any]]:
    """The probe points of a run's GRPO stages, in order: ``{stage, kind, step, global_step, kl_init,
    d_init, kl_base, d_base, proxy_safe, judge_safe, helpful_proxy, helpful_judge, alarm, ...}`` (the
    keys that were logged): what :mod:`r1safe.study.goodhart` fits and plots against d. Monitors
    write their step-0 values on rows of their own, so rows are joined by (stage, step)."""
    from r1safe.train.monitors.sink import read_metrics

    div, hack = names.DIVERGENCE, names.REWARD_HACKING
    points: dict[tuple[str, int], dict[str, Any]] = {}
    for r in read_metrics(metrics_path):
        values = {k.removeprefix(div): v for k, v in r.items() if k.startswith(div)}
        values.update({k: r[hack + k] for k in HACKING_KEYS if hack + k in r})
        if values:
            head = {k: r[k] for k in ("stage", "kind", "step", "global_step")}
            points.setdefault((r["stage"], r["step"]), head).update(values)
    return [p for p in points.values() if names.KL_INIT in p]
