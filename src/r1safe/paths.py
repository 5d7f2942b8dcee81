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
