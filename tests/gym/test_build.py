"""A smoke build of the micro gym: every artefact exists and loads like a hub model."""

import json
import subprocess
import sys

import pytest

from r1safe.gym.build import GymConfig, build_gym, micro_config
from r1safe.gym.reward_models import load_reward_model
from r1safe.gym.world import TEST_SPLITS
from r1safe.jsonl import read_objects as read_jsonl


def test_micro_build_has_every_artifact(micro_gym):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    assert (micro_gym.model_dir / "model.safetensors").is_file()
    model = AutoModelForCausalLM.from_pretrained(micro_gym.model_dir, use_safetensors=True)
    tok = AutoTokenizer.from_pretrained(micro_gym.model_dir)
    assert model.config.vocab_size == len(tok)
    prompt = tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True)
    assert prompt.endswith("<think>\n")
    for name in ("base", "safety_sft", "train_prompts", "rm_harmlessness", "rm_helpfulness"):
        assert read_jsonl(micro_gym.corpus(name))
    sft = read_jsonl(micro_gym.corpus("safety_sft"))
    assert {r["language"] for r in sft} == {"en"} and {r["turns"] for r in sft} == {1}
    rm = load_reward_model(micro_gym.harmlessness_rm)
    assert rm.spec.target == "safe"
    report = micro_gym.report
    assert set(report["base_model"]) == set(TEST_SPLITS) == set(report["reward_models"])
    assert report["timings"]["total_s"] > 0


def test_a_second_build_reuses_the_cache(micro_gym):
    again = build_gym(micro_config())
    assert again.root == micro_gym.root
    assert json.loads((again.root / "build_report.json").read_text())["digest"] == micro_gym.config.digest()


def test_digest_changes_with_the_config():
    assert GymConfig().digest() != GymConfig(seed=1).digest()
    assert GymConfig().digest() == GymConfig().digest()


@pytest.mark.parametrize(
    ("override", "field"),
    [("model.hiden_size=3", "model.hiden_size"), ("corpus.base_size=0", "corpus.base_size"),
     ("world.test_size=-1", "world.test_size"), ("model.vocab_size=10", "model.vocab_size"),
     ("model.batch_size=12", "micro_batch_size")],
)
def test_bad_config_is_one_line_naming_the_field(override, field, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "r1safe.cli.main", "gym", "build", "--set", override,
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and field in lines[0]
    assert not any(tmp_path.iterdir())


def test_the_build_summary_has_a_row_per_split(micro_gym):
    from rich.console import Console

    from r1safe.gym.summary import summary_table

    table = summary_table(micro_gym.report)
    assert table.row_count == len(micro_gym.report["reward_models"])
    console = Console(record=True, width=200)
    console.print(table)
    text = console.export_text()
    assert micro_gym.report["digest"] in text and "capability" in text
