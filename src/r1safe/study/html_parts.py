"""Pieces the study report's sections share."""

from __future__ import annotations

import base64
import html


def img(png: bytes | None, alt: str) -> str:
    """A PNG embedded as base64 (the report reads without a server), or a 'no data' line."""
    if not png:
        return f"<p><em>{html.escape(alt)}: no data.</em></p>"
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
