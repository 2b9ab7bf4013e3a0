"""Where ChainScout finds its embedded data and keeps its working files."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_dir", "default_chain_path", "default_region_dir", "shared_data_dir", "var_dir"]

_REPO_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Return the folder of the embedded demo world (``data/``).

    ``CHAINSCOUT_DATA_DIR`` overrides the default, the ``data/`` folder beside the package.
    """
    override = os.environ.get("CHAINSCOUT_DATA_DIR")
    return Path(override) if override else _REPO_ROOT / "data"


def var_dir() -> Path:
    """Return the working folder (database, demo build, models); ``CHAINSCOUT_VAR_DIR``."""
    override = os.environ.get("CHAINSCOUT_VAR_DIR")
    return Path(override) if override else _REPO_ROOT / "var"


def shared_data_dir() -> Path | None:
    """Return ``../shared/data`` (real open data for tests and benchmarks), or None if absent."""
    override = os.environ.get("CHAINSCOUT_SHARED_DATA")
    path = Path(override) if override else _REPO_ROOT.parent / "shared" / "data"
    return path if path.is_dir() else None


def default_chain_path() -> Path:
    return data_dir() / "chains" / "precision_instruments.yaml"


def default_region_dir() -> Path:
    return data_dir() / "regions" / "guangdong"
