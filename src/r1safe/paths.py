"""Where r1safe keeps its cache (gym builds, encoders) and default output folders."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$R1SAFE_HOME`` or ``~/.cache/r1safe``: built gyms live here, keyed by content hash."""
    root = os.environ.get("R1SAFE_HOME") or Path.home() / ".cache" / "r1safe"
    return Path(root)


def recipes_dir() -> Path:
    """The recipes shipped inside the package (``r1safe/recipes/<family>/<name>.yaml``), wheel or checkout."""
    from importlib.resources import files

    return Path(str(files("r1safe") / "recipes"))


def shipped_recipe(name: str) -> Path | None:
    """The shipped recipe ``name`` (``gym/hybrid``, with or without ``.yaml``), or None when there is none."""
    stem = name.removesuffix(".yaml")
    path = recipes_dir() / f"{stem}.yaml"
    return path if path.is_file() and ".." not in Path(stem).parts else None


def shipped_recipe_names() -> list[str]:
    """Every shipped recipe as ``family/name``."""
    root = recipes_dir()
    return sorted(str(p.relative_to(root).with_suffix("")) for p in root.glob("*/*.yaml"))


DATA_DIR_ENV = "R1SAFE_DATA_DIR"


def data_dir(explicit: str | Path | None = None) -> Path | None:
    """The folder of public labelled data files (the layout of ``shared/data``: ``advbench/``, ``gsm8k/``,
    ``wildguardtest/``...): ``explicit``, else ``$R1SAFE_DATA_DIR``, else the first ``shared/data`` found
    beside or above the working directory; None when there is none."""
    for given in (explicit, os.environ.get(DATA_DIR_ENV)):
        if given:
            return Path(given).expanduser()
    for parent in (Path.cwd(), *Path.cwd().parents):
        candidate = parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return None


# A local copy of the Hugging Face Hub: what a recipe or an evaluation names by hub id is read from
# ``$R1SAFE_HUB_DIR/<hub id>`` when that exists (``r1safe train/eval --hub-dir DIR`` sets it).
HUB_DIR_ENV = "R1SAFE_HUB_DIR"


def hub_dir() -> Path | None:
    """The local hub copy named by ``$R1SAFE_HUB_DIR`` (``--hub-dir``), or None."""
    value = os.environ.get(HUB_DIR_ENV, "").strip()
    return Path(value).expanduser() if value else None


def expected_hub_copy(repo_id: str, file: str | None = None) -> Path | None:
    """Where the local hub copy would hold repository ``repo_id`` (or ``file`` in it): the layout
    ``hf download REPO_ID --local-dir DIR/REPO_ID`` writes; None without a data dir."""
    root = hub_dir()
    if root is None:
        return None
    return root / repo_id / file if file else root / repo_id


def hub_copy(repo_id: str, file: str | None = None) -> Path | None:
    """:func:`expected_hub_copy` when it exists, else None."""
    path = expected_hub_copy(repo_id, file)
    return path if path is not None and path.exists() else None
