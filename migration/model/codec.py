"""Domain values to JSON and back, for the store. Works from the dataclasses' type hints, so a new
field needs no code here."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


def to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_json(kind: Any, data: Any) -> Any:
    """Rebuild a value of type `kind` (a dataclass, enum, tuple[...], X | None, ...) from to_json's output."""
    if data is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return from_json(options[0], data) if len(options) == 1 else data
    if origin is tuple:
        args = typing.get_args(kind)
        item = args[0] if args else Any
        return tuple(from_json(item, v) for v in data)
    if origin is list:
        return [from_json(typing.get_args(kind)[0], v) for v in data]
    if origin in (dict, Mapping, typing.Mapping) or kind is Mapping:
        return dict(data)
    if isinstance(kind, type):
        if dataclasses.is_dataclass(kind):
            if isinstance(data, str):  # a command an older version kept as shell text: not shown again
                return kind()
            hints = _hints(kind)
            names = {f.name for f in dataclasses.fields(kind) if f.init}
            return kind(**{k: from_json(hints[k], v) for k, v in data.items() if k in names})
        if issubclass(kind, Enum):
            return kind(data)
        if kind is datetime:
            return datetime.fromisoformat(data)
    return data


def decode(cls: type[T], data: Any) -> T:
    result: T = from_json(cls, data)
    return result
