"""How an evaluation finds the gym: its world (the suite), base model (``--model gym``) and proxy RM.

``gym`` in :class:`~r1safe.eval.config.EvalConfig` names a built gym folder; left out, the
default gym is used. The world is drawn from the build's config, so a cheap suite never needs a
build; the base model and the proxy reward model do (``--model gym`` builds the default gym on
first use, and the default ``proxy`` judge is skipped when no gym is built).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from r1safe.errors import ConfigError


def _gym_config_cls() -> Any:
    from r1safe.gym.build import GymConfig

    return GymConfig


def default_gym_root() -> Path | None:
    """The default gym's folder when it is built, else None (nothing is built here)."""
    try:
        from r1safe.gym.build import GymConfig
    except ImportError:
        return None
    from r1safe.paths import cache_dir

    root = cache_dir() / "gym" / GymConfig().digest()
    return root if (root / "build_report.json").is_file() else None


def gym_root(gym: str | None) -> Path | None:
    """The folder of gym build ``gym`` (checked), or the built default gym, or None."""
    if gym is None:
        return default_gym_root()
    root = Path(gym).expanduser()
    if not (root / "build_report.json").is_file():
        raise ConfigError(f"--gym {gym}: not a finished gym build (no build_report.json); "
                          "run `r1safe gym build`")
    return root


def world_config(gym: str | None) -> dict[str, Any]:
    """The world config of gym ``gym`` (the default gym's when None), as a dict."""
    root = gym_root(gym)
    if root is not None:
        report = json.loads((root / "build_report.json").read_text(encoding="utf-8"))
        return dict(report["config"]["world"])
    try:
        world: dict[str, Any] = _gym_config_cls()().world.model_dump(mode="json")
        return world
    except ImportError:
        from r1safe.gym.world import WorldConfig

        return WorldConfig().model_dump(mode="json")


def base_model_dir(gym: str | None) -> str:
    """The base model of gym ``gym``; the default gym is built on first use when None."""
    root = gym_root(gym)
    if root is not None:
        return str(root / "base_model")
    from r1safe.gym.build import default_gym

    return str(default_gym().model_dir)


def proxy_rm_path(gym: str | None, build: bool = False) -> Path | None:
    """The harmlessness reward model of gym ``gym``; None when no gym is built and not ``build``."""
    root = gym_root(gym)
    if root is not None:
        return root / "reward_models" / "harmlessness"
    if build:
        from r1safe.eval.judges.proxy import default_rm_path

        return default_rm_path()
    return None
