"""An arm's record (``arm.json``): the marker that a trained and evaluated arm is finished, stamped
with the gym build it was trained from, so a resumed study skips it and never mixes builds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from r1safe.errors import ConfigError
from r1safe.files import atomic_write_text


def finished_arm(marker: Path, digest: str, what: str) -> dict[str, Any] | None:
    """A finished arm's record (``arm.json``), or None when there is none yet; an arm trained from
    another gym build than ``digest`` is refused rather than mixed into this study."""
    if not marker.is_file():
        return None
    info = json.loads(marker.read_text())
    if info.get("gym", digest) != digest:
        raise ConfigError(f"{marker}: trained from gym build {info['gym']}, but {what} uses {digest}; "
                          "pass another --out")
    return info


def record_arm(marker: Path, info: dict[str, Any], digest: str) -> None:
    """Write a finished arm's record, stamped with the gym build it was trained from."""
    info["gym"] = digest
    atomic_write_text(marker, json.dumps(info, indent=2))
