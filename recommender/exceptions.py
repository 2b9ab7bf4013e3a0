"""The one exception tree of ChainScout.

::

    RecommenderError
    ├── ConfigError            a setting is missing or malformed
    ├── DataError              an input table or file is wrong
    │   ├── ChainError         a chain definition is invalid (names the entry)
    │   └── ValidationError    rows of a table fail their schema (carries the report)
    ├── InvalidArgument        an argument is out of range or of the wrong kind (also ValueError)
    │   └── NotRecruitable     a node is in the chain but is not a weak link to fill (downstream)
    ├── NotFoundError          a firm, node, park, model or job does not exist
    ├── NotFittedError         an estimator is used before ``fit``
    ├── ModelError             a saved model is corrupt, tampered with or incompatible
    └── DependencyError        an optional dependency is not installed (says how to get it)

The service maps each class to one HTTP status in a single handler.
"""

from __future__ import annotations

__all__ = [
    "ChainError",
    "ConfigError",
    "DataError",
    "DependencyError",
    "InvalidArgument",
    "ModelError",
    "NotFittedError",
    "NotFoundError",
    "NotRecruitable",
    "RecommenderError",
    "ValidationError",
]


class RecommenderError(Exception):
    """Base class of every error ChainScout raises on purpose.

    ``problems`` lists what was wrong, one dict per problem (``field`` or ``file``/``row``/
    ``column``, and ``message``); empty when the message says it all.
    """

    code = "error"

    def __init__(self, message: str = "", problems: list[dict] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class ConfigError(RecommenderError):
    code = "config_error"


class DataError(RecommenderError):
    code = "data_error"


class ChainError(DataError):
    code = "chain_error"


class ValidationError(DataError):
    """Rows of a table failed their schema.

    ``problems`` is a list of dicts with ``file``, ``row`` (1-based data row, as a
    spreadsheet user counts it after the header), ``column`` and ``message``.
    """

    code = "validation_error"

    def report(self, limit: int = 20) -> str:
        """Return the message and up to ``limit`` problems, one per line."""
        lines = [str(self)]
        for p in self.problems[:limit]:
            where = ", ".join(
                f"{k} {p[k]}" for k in ("file", "row", "column") if p.get(k) is not None
            )
            lines.append(f"  - {where}: {p['message']}")
        if len(self.problems) > limit:
            lines.append(f"  … and {len(self.problems) - limit} more")
        return "\n".join(lines)


class InvalidArgument(RecommenderError, ValueError):
    """An argument is out of its range or of the wrong kind (``k=0``, an unknown sort key).

    >>> isinstance(InvalidArgument("k must be at least 1"), ValueError)
    True
    """

    code = "invalid_argument"


class NotRecruitable(InvalidArgument):
    """The node is in the chain but cannot be recruited for (a downstream application)."""

    code = "not_recruitable"


class NotFoundError(RecommenderError):
    code = "not_found"


class NotFittedError(RecommenderError, AttributeError):
    code = "not_fitted"


class ModelError(RecommenderError):
    code = "model_error"


class DependencyError(RecommenderError, ImportError):
    code = "missing_dependency"
