"""`r1safe study --real` end to end on a tiny random model with the real model's tokenizer and the fixture
data folder: every phase runs, resumes, and the report shows tables and transcripts. (A random model writes
no usable reply, so the cold-start corpus is given, as a resumed run would find it; the safety corpus and
everything after are built.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "fixtures" / "real_data"


@pytest.fixture(scope="module")
def tiny_instruct(smollm2_dir, tmp_path_factory):
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tok = AutoTokenizer.from_pretrained(smollm2_dir)
    config = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                         bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, tie_word_embeddings=True)
    import torch

    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("tiny_instruct")
    LlamaForCausalLM(config).save_pretrained(out)
    tok.save_pretrained(out)
    return out


def _config(model, out, **extra):
    from r1safe.study.real.config import RealStudyConfig

    tiny = ["stages.0.max_steps=1", "stages.0.train_top_layers=1"]  # the recipes' 15 of SmolLM2's 30 layers
    grpo = ["batch_size=4", "max_completion_length=8"]
    return RealStudyConfig.model_validate({
        "model": str(model), "data_dir": str(DATA), "out": str(out), "jobs": 1,
        "corpora": {"cold_start_benign": 2, "cold_start_arithmetic": 2, "safety_harmful": 3, "safety_borderline": 2,
                    "rl_harmful": 2, "rl_benign": 1, "rl_borderline": 1, "rl_arithmetic": 2, "probe_per_split": 1},
        "eval": {"limit": 1, "samples": 1, "max_new_tokens": 8, "bootstrap": 20, "transcripts": 1,
                 "judges": ["refusal", "format", "correctness", "degenerate"]},
        "train_overrides": {
            "cold_start": tiny, "sft": tiny,
            "rl": [*tiny, *(f"stages.0.{g}" for g in grpo), "monitors.probe.enabled=false"],
            "hybrid": [*tiny, *(f"stages.{i}.{g}" for i in (1, 3) for g in grpo), "stages.1.max_steps=1",
                       *(f"stages.{i}.train_top_layers=1" for i in (1, 2, 3)),
                       "stages.2.num_prompts=2", "stages.2.max_new_tokens=8", "stages.3.max_steps=1",
                       "monitors.probe.enabled=false"],
        },
        **extra,
    })


@pytest.mark.slow
def test_the_real_track_runs_every_phase_resumes_and_reports(tiny_instruct, tmp_path):
    from r1safe.study.real.runner import run_real_study, track_dir

    cfg = _config(tiny_instruct, tmp_path / "real")
    corpora = track_dir(cfg) / "corpora"
    corpora.mkdir(parents=True)
    row = {"prompt": [{"role": "user", "content": "What is 2 + 3?"}],
           "completion": [{"role": "assistant", "content": "<think>\n2 + 3 = 5.\n</think>\n\nThe answer is 5."}],
           "kind": "benign", "reference": {"answer": "5"}}
    (corpora / "cold_start.jsonl").write_text(json.dumps(row) + "\n")
    (corpora / "cold_start.stats.json").write_text(json.dumps({"rows": 1, "counts": {"given": 1}}))
    said: list[str] = []
    results = run_real_study(cfg, progress=said.append)

    out = Path(cfg.out)
    assert json.loads((out / "study.json").read_text())["status"] == "complete"
    assert set(results["arms"]) == {"instruct", "base", "sft", "rl", "hybrid"}
    assert (track_dir(cfg) / "base" / "config.json").is_file()
    safety = [json.loads(line) for line in (corpora / "safety_sft.jsonl").read_text().splitlines()]
    assert len([r for r in safety if r["source"] == "safety:refusal"]) == 3
    assert any("[hybrid] [00_safety_sft] already done, skipping" in m for m in said)  # the SFT arm's stage
    for arm, a in results["arms"].items():  # 8 tokens of a random model: cut off inside <think>, no answer
        assert a["table"]["degenerate"]["all"]["value"] == (0.0 if arm == "instruct" else 1.0), arm
        assert a["transcripts"], arm
    assert results["arms"]["instruct"]["table"]["refused_patterns"]["groups"]["held-out harmful"]["prompts"] == 4
    hybrid = results["arms"]["hybrid"]["training"]
    assert [s["kind"] for s in hybrid["stages"]] == ["sft", "grpo", "rejection_sampling", "grpo"]
    report = (out / "report.html").read_text()
    assert "Transcripts" in report and "Data card" in report and "wildguard_harmful_vanilla" in report
    assert json.loads((out / "results.json").read_text())["data_card"]["sources"][0]["license"] == "MIT"

    said.clear()
    again = run_real_study(cfg, progress=said.append)  # every phase finds its marker
    assert any("[rl] done before, skipped" in m for m in said)
    assert not any("evaluating" in m for m in said)
    assert again["arms"]["sft"]["table"] == results["arms"]["sft"]["table"]


def test_no_data_folder_is_one_line_naming_the_setting(tmp_path, monkeypatch):
    from r1safe.errors import ConfigError
    from r1safe.study.real.runner import prepare_track

    monkeypatch.setenv("R1SAFE_DATA_DIR", str(tmp_path / "nowhere"))
    cfg = _config("smollm2-135m", tmp_path / "real").model_copy(update={"data_dir": None})
    with pytest.raises(ConfigError, match="--data-dir or set R1SAFE_DATA_DIR"):
        prepare_track(cfg, lambda _m: None)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match=r"advbench.*not found"):
        prepare_track(cfg.model_copy(update={"data_dir": str(empty)}), lambda _m: None)


def test_the_tuning_rule_scores_dev_splits_and_ties_go_to_the_reference_rate():
    from r1safe.eval.reply_records import ReplyRecord
    from r1safe.study.real.tuning import choose, score, tuned_overrides

    def rec(split, kind, **scores):
        return ReplyRecord(sample_id=f"{split}-{len(scores)}-{sorted(scores.items())}", index=0, split=split,
                           kind=kind, category=None, language="en", scores=scores)

    records = [rec("dev_harmful", "harmful", **{"refusal_clf/refused": True}),
               rec("dev_harmful", "harmful", **{"refusal_clf/refused": False}),
               rec("dev_benign", "benign", **{"refusal_clf/refused": False}),
               rec("arithmetic_dev", "benign", **{"correctness/correct": True})]
    parts = score(records)
    assert parts == {"refused": 0.5, "answered": 1.0, "arithmetic": 1.0, "score": 2.5 / 3}
    assert choose({"1": {"score": 0.5}, "0.3": {"score": 0.5}, "3": {"score": 0.4}}) == "1"
    assert choose({"1": {"score": 0.5}, "0.3": {"score": 0.6}, "3": {"score": 0.4}}) == "0.3"
    report = {"arms": {"sft": {"learning_rates": {"stages.0": 1e-5}},
                       "hybrid": {"learning_rates": {"stages.1": 3e-6, "stages.3": 1e-6}}}}
    assert tuned_overrides(report) == {"sft": ["stages.0.learning_rate=1e-05"],
                                       "hybrid": ["stages.1.learning_rate=3e-06", "stages.3.learning_rate=1e-06",
                                                  "stages.0.learning_rate=1e-05"]}
    written = {"arms": {"sft": {"learning_rates": {"sft": 1e-5}, "overrides": ["stages.0.learning_rate=1e-05"]}}}
    assert tuned_overrides(written) == {"sft": ["stages.0.learning_rate=1e-05"]}
