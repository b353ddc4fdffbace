"""The checks AWS's front door makes against a service model, applied to an input tree.

Required members at every depth, types, enums, length and range minimums and maximums, and
patterns. Patterns are searched, not anchored (as the Smithy spec says); one that Python's
`re` cannot compile (Java-only classes such as `\\p{L}`) is skipped rather than guessed.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from botocore.model import Shape
from botocore.utils import parse_timestamp

from .extract import Text

MAX_SHOWN = 60


@dataclass(frozen=True)
class Problem:
    """One constraint a parameter breaks, worded as AWS words it."""

    parameter: str
    constraint: str
    value: str

    def sentence(self) -> str:
        return f"Value {self.value} at '{self.parameter}' failed to satisfy constraint: {self.constraint}"


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    text = value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
    if len(text) > MAX_SHOWN:
        text = text[:MAX_SHOWN] + "…"
    return f"'{text}'"


@lru_cache(maxsize=None)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _join(path: str, member: str) -> str:
    return f"{path}.{member}" if path else member


def check(shape: Shape, value: Any, path: str = "") -> list[Problem]:
    """Every problem of `value` against `shape` (empty when it fits)."""
    kind = shape.type_name
    handler = _HANDLERS.get(kind)
    return handler(shape, value, path) if handler else []


def _structure(shape: Any, value: Any, path: str) -> list[Problem]:
    if getattr(shape, "is_document_type", False):
        return []
    if not isinstance(value, dict):
        return [Problem(path or "input", "Member must be a structure", _shown(value))]
    problems = []
    for member in shape.required_members:
        if value.get(member) is None:
            problems.append(Problem(_join(path, member), "Member must not be null", "null"))
    for member, member_value in value.items():
        member_shape = shape.members.get(member)
        if member_shape is not None and member_value is not None:
            problems.extend(check(member_shape, member_value, _join(path, member)))
    return problems


def _bounds(shape: Shape, measure: float, value: Any, path: str, what: str) -> list[Problem]:
    """The model's `min`/`max` on `measure`: a length, a count of entries, or the value itself."""
    problems = []
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and measure < low:
        problems.append(Problem(path, f"Member must have {what} greater than or equal to {low}", _shown(value)))
    if high is not None and measure > high:
        problems.append(Problem(path, f"Member must have {what} less than or equal to {high}", _shown(value)))
    return problems


def _list(shape: Any, value: Any, path: str) -> list[Problem]:
    if not isinstance(value, list):
        return [Problem(path, "Member must be a list", _shown(value))]
    problems = _bounds(shape, len(value), value, path, "length")
    for index, item in enumerate(value, start=1):
        if item is None:
            continue
        problems.extend(check(shape.member, item, f"{path}.{index}"))
    return problems


def _map(shape: Any, value: Any, path: str) -> list[Problem]:
    if not isinstance(value, dict):
        return [Problem(path, "Member must be a map", _shown(value))]
    problems = _bounds(shape, len(value), value, path, "length")
    for key, item in value.items():
        problems.extend(check(shape.key, key, f"{path}.key"))
        if item is not None:
            problems.extend(check(shape.value, item, f"{path}.{key}"))
    return problems


def _string(shape: Any, value: Any, path: str) -> list[Problem]:
    if isinstance(value, bytes):
        return []  # a streamed string payload: its content is the client's business
    if not isinstance(value, str):
        return [Problem(path, "Member must be a string", _shown(value))]
    problems = _bounds(shape, len(value), value, path, "length")
    enum = shape.enum
    if enum and value not in enum:
        problems.append(Problem(path, f"Member must satisfy enum value set: [{', '.join(enum)}]", _shown(value)))
    pattern = shape.metadata.get("pattern")
    if pattern:
        compiled = _compiled(pattern)
        if compiled is not None and not compiled.search(value):
            problems.append(Problem(path, f"Member must satisfy regular expression pattern: {pattern}", _shown(value)))
    return problems


def _number(shape: Any, value: Any, path: str, integral: bool) -> list[Problem]:
    if isinstance(value, Text):
        try:
            number: float = int(value) if integral else float(value)
        except ValueError:
            kind = "an integer" if integral else "a number"
            return [Problem(path, f"Member must be {kind}", _shown(value))]
    elif isinstance(value, bool) or not isinstance(value, (int, float)) or (integral and isinstance(value, float) and not value.is_integer()):
        kind = "an integer" if integral else "a number"
        return [Problem(path, f"Member must be {kind}", _shown(value))]
    else:
        number = value
    return _bounds(shape, number, value, path, "value")


def _boolean(shape: Any, value: Any, path: str) -> list[Problem]:
    if isinstance(value, Text):
        if value.lower() in ("true", "false"):
            return []
    elif isinstance(value, bool):
        return []
    return [Problem(path, "Member must be a boolean", _shown(value))]


def _timestamp(shape: Any, value: Any, path: str) -> list[Problem]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return []
    if isinstance(value, str):
        try:
            parse_timestamp(value)
            return []
        except (ValueError, TypeError, OverflowError):
            pass
    return [Problem(path, "Member must be a timestamp", _shown(value))]


def _blob(shape: Any, value: Any, path: str) -> list[Problem]:
    if isinstance(value, bytes):
        return _bounds(shape, len(value), "<bytes>", path, "length")
    if isinstance(value, str):
        try:
            decoded = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return [Problem(path, "Member must be base64-encoded binary data", _shown(value))]
        return _bounds(shape, len(decoded), "<bytes>", path, "length")
    return [Problem(path, "Member must be binary data", _shown(value))]


_HANDLERS = {
    "structure": _structure,
    "list": _list,
    "map": _map,
    "string": _string,
    "character": _string,
    "integer": lambda s, v, p: _number(s, v, p, True),
    "long": lambda s, v, p: _number(s, v, p, True),
    "short": lambda s, v, p: _number(s, v, p, True),
    "byte": lambda s, v, p: _number(s, v, p, True),
    "float": lambda s, v, p: _number(s, v, p, False),
    "double": lambda s, v, p: _number(s, v, p, False),
    "bigdecimal": lambda s, v, p: _number(s, v, p, False),
    "biginteger": lambda s, v, p: _number(s, v, p, True),
    "boolean": _boolean,
    "timestamp": _timestamp,
    "blob": _blob,
}
