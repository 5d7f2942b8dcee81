"""Find and load a causal LM: a local directory or a hub id (the gym alias is resolved by callers).

Local directories and hub ids go through the same ``from_pretrained`` call, with safetensors only
and ``trust_remote_code=False``; a hub id is read from ``$R1SAFE_HUB_DIR/<hub id>`` (``--hub-dir``)
when that folder holds it. A hub id is first looked up in the local cache; when it is not
there and the hub cannot be reached (``HF_HUB_OFFLINE=1`` or no network), loading fails with one
line that says so and asks for a local directory. This module knows nothing about sampling.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from typing import Any

from r1safe.errors import ConfigError, R1SafeError

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def hub_offline() -> bool:
    """True when the environment forbids hub downloads (``HF_HUB_OFFLINE``)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


_REACHABLE: list[tuple[float, bool]] = []  # the last answer and when, so a run asks once a minute


def hub_reachable(timeout: float = 3.0) -> bool:
    """True when huggingface.co answers on port 443 within ``timeout`` seconds (remembered for a
    minute, so checking many sources costs one connection attempt, not one retry loop each)."""
    import time

    if _REACHABLE and time.monotonic() - _REACHABLE[-1][0] < 60:
        return _REACHABLE[-1][1]
    try:
        with socket.create_connection(("huggingface.co", 443), timeout=timeout):
            answer = True
    except OSError:
        answer = False
    _REACHABLE[:] = [(time.monotonic(), answer)]
    return answer


def resolve_model(model: str) -> tuple[str, bool]:
    """(path or hub id, is_local) for ``model``; a missing local directory is a one-line error.

    A named model (``smollm2-135m``, :mod:`r1safe.backends.named_models`) is its converted folder,
    built on first use. A string that is not an existing directory and not shaped like ``owner/name``
    is taken as a local path that does not exist (callers resolve the gym's ``gym`` alias before this).
    """
    from r1safe.backends.named_models import NAMED_MODELS, is_named_model, named_model_dir

    if is_named_model(model):
        return str(named_model_dir(model)), True
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ConfigError(f"model directory {model} has no config.json; pass a saved transformers model")
        return str(path), True
    if path.exists():
        raise ConfigError(f"--model {model} is a file; pass a model directory (with config.json) or a hub id")
    if _HUB_ID.match(model) and not model.startswith((".", "/", "~")):
        from r1safe.paths import hub_copy

        copy = hub_copy(model)  # --hub-dir: the hub copy in DIR/<hub id>
        if copy is not None and (copy / "config.json").is_file():
            return str(copy), True
        return model, False
    raise ConfigError(f"model directory {model} does not exist; pass a local model folder, a hub id, 'gym' or a "
                      f"named model ({', '.join(NAMED_MODELS)})")


def _hub_error(model_id: str) -> R1SafeError:
    return R1SafeError(
        f"cannot load {model_id!r}: it is not a local directory and not in the local hub cache, and hub "
        "downloads are not possible here (offline or no network); pass a local model directory instead"
    )


def hub_cache_kwargs(model_id: str, missing: R1SafeError | None = None, **kwargs: Any) -> dict[str, Any]:
    """``{"local_files_only": True}`` when hub id ``model_id`` is in the local hub cache (so it loads
    offline), ``{}`` when it is not but the hub can be reached; else raises ``missing`` (by default a
    one-line error asking for a local directory). ``kwargs`` go to the tokenizer lookup."""
    from transformers import AutoTokenizer

    try:
        AutoTokenizer.from_pretrained(model_id, local_files_only=True, **kwargs)
        return {"local_files_only": True}
    except OSError:
        if hub_offline() or not hub_reachable():
            raise (missing or _hub_error(model_id)) from None
    return {}


def load_causal_lm(model: str, device: str | None = None, dtype: str = "float32") -> tuple[Any, Any, str]:
    """Load (tokenizer, model, resolved source) for generation, in eval mode on ``device``.

    The tokenizer pads on the left and has a pad token (the EOS token when it had none).
    """
    source, local = resolve_model(model)  # a missing folder fails before torch is imported
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs: dict[str, Any] = {"trust_remote_code": False}
    if not local:  # the cache first: a cached hub model works offline
        kwargs.update(hub_cache_kwargs(source, **kwargs))
    torch_dtype = "auto" if dtype == "auto" else getattr(torch, dtype, None)
    if torch_dtype is None:
        raise ConfigError(f"unknown dtype {dtype!r}; use float32, bfloat16, float16 or auto")
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        lm = AutoModelForCausalLM.from_pretrained(source, use_safetensors=True, dtype=torch_dtype, **kwargs)
    except OSError as err:
        if not local and (hub_offline() or not hub_reachable()):
            raise _hub_error(source) from None
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise R1SafeError(f"cannot load model {source}: {first} (safetensors weights are required)") from None
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    lm.to(device).eval()  # type: ignore[arg-type]  # transformers' decorated .to loses its self for mypy
    prepare_tokenizer(tokenizer)
    return tokenizer, lm, source


def prepare_tokenizer(tokenizer: Any) -> Any:
    """Left padding and a pad token, as batched generation needs."""
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer
