"""The one exception tree of ChainScout.

::

    RecommenderError
    ├── ConfigError            a setting is missing or malformed
    ├── DataError              an input table or file is wrong
    │   ├── ChainError         a chain definition is invalid (names the entry)
    │   └── ValidationError    rows of a table fail their schema (carries the report)
    ├── NotFoundError          a firm, node, park, model or job does not exist
    ├── NotFittedError         an estimator is used before ``fit``
    ├── ModelError             a saved model is corrupt, tampered with or incompatible
    └── DependencyError        an optional dependency is not installed (says how to get it)

The service maps each class to one HTTP status in a single handler.
"""

from __future__ import annotations


class RecommenderError(Exception):
    """Base class of every error ChainScout raises on purpose."""

    code = "error"


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

    def __init__(self, message: str, problems: list[dict] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])

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


class NotFoundError(RecommenderError):
    code = "not_found"


class NotFittedError(RecommenderError, AttributeError):
    code = "not_fitted"


class ModelError(RecommenderError):
    code = "model_error"


class DependencyError(RecommenderError, ImportError):
    code = "missing_dependency"
