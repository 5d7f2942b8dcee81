"""Strict pydantic configs loaded from YAML, with ``--set a.b=c`` overrides.

Every config in r1safe derives from :class:`StrictModel`, so an unknown key is an error that
names it instead of a silently ignored typo.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from r1safe.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base for every config: unknown keys are rejected, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, protected_namespaces=())


def format_validation_error(err: ValidationError, source: str, tags: Collection[str] = ()) -> str:
    """One line naming the first offending field, e.g. ``recipe.yaml: stages.1.kind: ...``.

    ``tags`` are the values of a discriminated union's tag (stage kinds): pydantic puts the one
    that matched after the list index, and the line leaves it out (``stages.1.epochs``)."""
    first = err.errors()[0]
    loc = list(first["loc"])
    for i in range(len(loc) - 1):
        if isinstance(loc[i], int) and loc[i + 1] in tags:
            del loc[i + 1]
            break
    field = ".".join(str(p) for p in loc) or "config"
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    more = f" (+{len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    return f"{source}: {field}: {msg}{more}"


def validate(model: type[M], data: Any, source: str) -> M:
    """Validate ``data`` into ``model``, turning pydantic's report into a one-line ConfigError."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, source)) from None


def parse_override(item: str) -> tuple[list[str], Any]:
    """Parse ``a.b=c`` into (["a", "b"], value), the value read as YAML (so 3 is an int)."""
    if "=" not in item:
        raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. --set stages.0.max_steps=20")
    key, raw = item.split("=", 1)
    return key.strip().split("."), yaml.safe_load(raw)


def _index(node: list[Any], part: str, where: str, item: str) -> int:
    """``part`` as an index into the list at ``where``; anything else is a one-line ConfigError."""
    last = len(node) - 1
    span = f"0-{last}" if last > 0 else "0" if last == 0 else "none"
    if not part.lstrip("-").isdigit():
        raise ConfigError(f"--set {item}: {where} is a list of {len(node)}; {part!r} is not an index ({span})")
    i = int(part)
    if not 0 <= i <= last:
        raise ConfigError(f"--set {item}: {where} has {len(node)} entr{'y' if len(node) == 1 else 'ies'}, "
                          f"so no {where}.{part} (indices: {span})")
    return i


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``a.b=c`` overrides to a nested dict/list structure in place and return it; a list
    index that does not exist or a key under a plain value is a one-line ConfigError."""
    for item in overrides:
        path, value = parse_override(item)
        node: Any = data
        for depth, part in enumerate(path):
            where = ".".join(path[:depth]) or "the config"
            last = depth == len(path) - 1
            if isinstance(node, list):
                i = _index(node, part, where, item)
                if last:
                    node[i] = value
                else:
                    node = node[i]
            elif isinstance(node, dict):
                if last:
                    node[part] = value
                else:
                    if node.get(part) is None:
                        node[part] = {}
                    node = node[part]
            else:
                raise ConfigError(f"--set {item}: {where} is {node!r}, not a mapping or list, so it has no key "
                                  f"{part!r}")
    return data


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping, with a one-line error for a missing file or bad YAML."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: invalid YAML ({getattr(err, 'problem', err)})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def load_config(model: type[M], path: str | Path, overrides: list[str] | None = None) -> M:
    """Load a YAML file into a strict config model, after applying overrides."""
    data = apply_overrides(load_yaml(path), overrides or [])
    return validate(model, data, str(path))
