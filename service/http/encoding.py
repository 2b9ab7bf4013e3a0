"""JSON in and out: orjson for both, strict about what a request may send.

Responses: numpy scalars and arrays, pandas timestamps and dates serialise as JSON; NaN,
``pd.NA`` and ``pd.NaT`` become ``null``.

Requests: the body must be strict JSON (``NaN`` and ``Infinity`` are refused, which orjson
does and Python's ``json`` does not), nested at most ``JSON_MAX_DEPTH`` levels.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any

import numpy as np
import orjson
import pandas as pd
from flask import Flask
from flask.json.provider import JSONProvider

__all__ = [
    "InvalidJSON",
    "OPTIONS",
    "OrjsonProvider",
    "dumps_bytes",
    "loads_strict",
    "register_json",
]

OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


class InvalidJSON(ValueError):
    """A request body that is not acceptable JSON; ``reason`` says why in one word."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def loads_strict(data: bytes | str, *, max_depth: int) -> Any:
    """Parse ``data`` as strict JSON nested at most ``max_depth`` levels.

    >>> loads_strict(b'{"a": [1, 2]}', max_depth=2)
    {'a': [1, 2]}
    >>> loads_strict(b'{"a": NaN}', max_depth=20)
    Traceback (most recent call last):
    ...
    service.http.encoding.InvalidJSON: NaN is not a JSON number
    """
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise _diagnose(data, exc, max_depth) from None
    if _deeper_than(value, max_depth):
        raise InvalidJSON("too_deep", f"the JSON is nested deeper than {max_depth} levels")
    return value


def _diagnose(data: bytes | str, exc: Exception, max_depth: int) -> InvalidJSON:
    """Say why orjson refused ``data``: Python's parser tells NaN and deep nesting apart."""

    def refuse(name: str):
        raise InvalidJSON("non_finite_number", f"{name} is not a JSON number")

    try:
        value = json.loads(data, parse_constant=refuse)
    except InvalidJSON as refused:
        return refused
    except RecursionError:
        return InvalidJSON("too_deep", f"the JSON is nested deeper than {max_depth} levels")
    except ValueError as other:  # JSONDecodeError and UnicodeDecodeError
        return InvalidJSON("malformed", f"malformed JSON: {other}")
    if _deeper_than(value, max_depth):
        return InvalidJSON("too_deep", f"the JSON is nested deeper than {max_depth} levels")
    return InvalidJSON("malformed", f"malformed JSON: {exc}")


def _deeper_than(value: Any, limit: int) -> bool:
    """Return whether containers in ``value`` nest more than ``limit`` deep (no recursion)."""
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def _default(obj: Any) -> Any:
    """Serialise what orjson does not know natively."""
    if obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, pd.Timestamp):
        return obj.isoformat()
    if isinstance(obj, np.generic):
        value = obj.item()
        return None if isinstance(value, float) and value != value else value
    if isinstance(obj, decimal.Decimal):
        return float(obj)
    if isinstance(obj, set | frozenset):
        return sorted(obj)
    if isinstance(obj, dt.timedelta):
        return obj.total_seconds()
    raise TypeError(f"cannot serialise {type(obj).__name__} as JSON")


def dumps_bytes(obj: Any) -> bytes:
    """Return ``obj`` as compact JSON bytes."""
    return orjson.dumps(obj, default=_default, option=OPTIONS)


class OrjsonProvider(JSONProvider):
    """Flask's JSON provider on orjson; ``loads`` applies the request limits."""

    mimetype = "application/json"

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return dumps_bytes(obj).decode("utf-8")

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads_strict(s, max_depth=int(self._app.config["JSON_MAX_DEPTH"]))

    def response(self, *args: Any, **kwargs: Any):
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(dumps_bytes(obj), mimetype=self.mimetype)


def register_json(app: Flask) -> None:
    """Encode and decode JSON with orjson."""
    app.json = OrjsonProvider(app)
