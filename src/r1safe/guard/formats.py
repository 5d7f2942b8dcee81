"""Check an answer against the output format the client asked for (``response_format``).

``json_object``: the answer must be one JSON object (a fenced ```json block is accepted and
unwrapped). ``json_schema``: also the schema's top-level ``required`` keys and their basic
``type``; a full JSON-Schema validator is out of scope.
"""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.S)
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def extract_json(answer: str) -> tuple[dict[str, Any] | None, str | None]:
    """(object, None) when ``answer`` is one JSON object, else (None, what is wrong)."""
    text = answer.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        return None, f"not valid JSON ({err.msg} at char {err.pos})"
    if not isinstance(value, dict):
        return None, f"a JSON {type(value).__name__}, not an object"
    return value, None


def check_json(answer: str, schema: dict[str, Any] | None = None) -> tuple[str | None, str | None]:
    """(canonical JSON text, None) when valid, else (None, the problem)."""
    value, problem = extract_json(answer)
    if value is None:
        return None, problem
    for key in (schema or {}).get("required", []):
        if key not in value:
            return None, f"missing required key {key!r}"
    for key, spec in (schema or {}).get("properties", {}).items():
        want = spec.get("type") if isinstance(spec, dict) else None
        if key in value and isinstance(want, str) and want in _TYPES:
            ok = isinstance(value[key], _TYPES[want]) and not (
                want in ("number", "integer") and isinstance(value[key], bool)
            )
            if not ok:
                return None, f"key {key!r} is not of type {want}"
    return json.dumps(value, ensure_ascii=False), None
