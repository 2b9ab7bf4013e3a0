"""Layered settings: code defaults, then ``CHAINSCOUT_*`` environment variables, then a mapping.

>>> s = load_settings({"radius_km": 120})
>>> s.radius_km
120.0
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from recommender.exceptions import ConfigError
from recommender.paths import default_chain_path, default_region_dir, var_dir

__all__ = ["ENV_PREFIX", "Settings", "load_settings"]

ENV_PREFIX = "CHAINSCOUT_"


def _default_database_url() -> str:
    return f"sqlite:///{var_dir() / 'chainscout.db'}"


@dataclass(frozen=True)
class Settings:
    """Every setting ChainScout reads. Field names are the lower-case env names without prefix."""

    database_url: str = field(default_factory=_default_database_url)
    chain_path: str = field(default_factory=lambda: str(default_chain_path()))
    region_dir: str = field(default_factory=lambda: str(default_region_dir()))
    var_dir: str = field(default_factory=lambda: str(var_dir()))
    radius_km: float = 150.0
    demo_firms: int = 20_000
    demo_seed: int = 7
    # weak-link weights: combined score = sum(weight * component), components in [0, 1]
    weight_local_gap: float = 0.25
    weight_demand: float = 0.20
    weight_import_dependence: float = 0.15
    weight_concentration: float = 0.10
    weight_export_control: float = 0.15
    weight_criticality: float = 0.15


def _coerce(name: str, raw: Any, kind: type) -> Any:
    try:
        if kind is bool and isinstance(raw, str):
            if raw.lower() in {"1", "true", "yes", "on"}:
                return True
            if raw.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        return kind(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r}: cannot read {raw!r} as {kind.__name__}") from exc


def load_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Build settings from defaults, the environment and ``overrides`` (last wins)."""
    kinds = {f.name: type(f.default) if f.default is not dataclasses.MISSING else str
             for f in dataclasses.fields(Settings)}
    values: dict[str, Any] = {}
    for name, kind in kinds.items():
        env = os.environ.get(ENV_PREFIX + name.upper())
        if env is not None:
            values[name] = _coerce(name, env, kind)
    for name, raw in (overrides or {}).items():
        if name not in kinds:
            raise ConfigError(f"unknown setting {name!r}; known: {', '.join(sorted(kinds))}")
        values[name] = _coerce(name, raw, kinds[name])
    return Settings(**values)
