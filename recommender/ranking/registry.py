"""The model registry: saved rankers as LightGBM text models with JSON metadata, no pickle.

Layout under ``root`` (``var_dir() / "models"`` by default)::

    <version>/model.txt        the LightGBM text model (Booster.model_to_string)
    <version>/metadata.json    features, training window, metrics, data fingerprint,
                               calibration, parameters, created_at, LightGBM version and the
                               sha256 of model.txt
    ACTIVE                     the active version, one line

Safety rules:

- :meth:`ModelRegistry.load` verifies the sha256 of ``model.txt`` and that the model's
  features (count and names) equal the metadata's and the current feature registry's; any
  mismatch raises :class:`~recommender.exceptions.ModelError` naming what is wrong. Nothing
  is ever unpickled: a model is text, its metadata JSON.
- A version directory is written under a temporary name and renamed into place, so a reader
  never sees half a model.
- :meth:`ModelRegistry.activate` loads (so verifies) the version first, then replaces the
  ``ACTIVE`` pointer atomically (a temporary file and ``os.replace``). A refused model leaves
  the previous one active.
- :meth:`ModelRegistry.promote_if_better` activates a version only when its stored metric on
  its held-out window beats the active model's.

>>> registry = ModelRegistry(tmp_path)                                   # doctest: +SKIP
>>> version = registry.save(ranker, {"metrics": {"ndcg@10": 0.61}})      # doctest: +SKIP
>>> registry.promote_if_better(version).promoted                         # doctest: +SKIP
True
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import InvalidArgument, ModelError, NotFoundError

__all__ = [
    "ACTIVE_FILE",
    "FORMAT",
    "FORMAT_VERSION",
    "METADATA_FILE",
    "MODEL_FILE",
    "ModelRegistry",
    "Promotion",
    "data_fingerprint",
    "prior_fingerprint",
]

MODEL_FILE = "model.txt"
METADATA_FILE = "metadata.json"
ACTIVE_FILE = "ACTIVE"
FORMAT = "chainscout-ranker"
FORMAT_VERSION = 1
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,79}$")


def data_fingerprint(frame: pd.DataFrame, *, columns: Sequence[str] = (
        C.FIRM_ID, C.NODE_ID, C.CAMPAIGN_ID, C.LABEL)) -> str:
    """Return the sha256 of the training rows' ids and labels, independent of row order.

    >>> rows = pd.DataFrame({"firm_id": ["a", "b"], "node_id": ["n", "n"],
    ...                      "campaign_id": ["c", "c"], "label": [0, 3]})
    >>> data_fingerprint(rows) == data_fingerprint(rows.iloc[::-1])
    True
    """
    present = [c for c in columns if c in frame.columns]
    if not present:
        raise InvalidArgument(f"frame: none of the fingerprint columns {list(columns)} is present")
    lines = frame[present].astype(str).agg("\t".join, axis=1).sort_values(kind="stable")
    digest = hashlib.sha256()
    digest.update(("\t".join(present) + "\n").encode())
    for line in lines:
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def prior_fingerprint() -> str:
    """Return the sha256 of the prior's definition (weights, scales, bias).

    A model that boosts from the prior (``prior_weight > 0``) scores with the prior of the code
    that loads it; the registry refuses it when the prior changed since it was trained.
    """
    from recommender.ranking import prior

    spec = {"weights": prior.PRIOR_WEIGHTS, "scales": prior.PRIOR_SCALES,
            "bias": prior.PRIOR_BIAS, "mid_size": getattr(prior, "MID_SIZE_LOG10", None)}
    return _sha256(json.dumps(spec, sort_keys=True, default=str).encode())


def _json_ready(value):
    """Turn numpy scalars, arrays and timestamps into plain JSON values (NaN -> None)."""
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_json_ready(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Promotion:
    """What :meth:`ModelRegistry.promote_if_better` decided, and why."""

    promoted: bool
    version: str
    active: str | None  # the active version after the decision
    previous: str | None  # the active version before it
    metric: str
    candidate_value: float | None
    active_value: float | None
    reason: str

    def to_dict(self) -> dict:
        return asdict(self)


class ModelRegistry:
    """Saved rankers under ``root``, one folder per version, and the active version.

    Parameters
    ----------
    root : folder of the registry; ``var_dir() / "models"`` when None.
    feature_names : the feature list a loaded model must have; the feature registry's
        (``recommender.ranking.feature_registry.feature_names()``) when None, read at the first
        load.
    """

    def __init__(self, root=None, *, feature_names: Sequence[str] | None = None):
        if root is None:
            from recommender.paths import var_dir

            root = var_dir() / "models"
        self.root = Path(root)
        self._feature_names = list(feature_names) if feature_names is not None else None

    def __repr__(self) -> str:
        return f"ModelRegistry({str(self.root)!r}, active={self.active_version()!r})"

    @property
    def feature_names(self) -> list[str]:
        """The current feature list every loaded model must match."""
        if self._feature_names is None:
            from recommender.ranking.feature_registry import feature_names

            self._feature_names = list(feature_names())
        return self._feature_names

    # --- writing ----------------------------------------------------------------------------
    def save(self, ranker, metadata: Mapping | None = None) -> str:
        """Save a fitted ranker with ``metadata``; return its new version.

        ``metadata`` holds what only the caller knows: ``training_window``, ``test_window``,
        ``metrics`` (on the held-out window, e.g. ``{"ndcg@10": 0.61}``), ``data_fingerprint``
        (:func:`data_fingerprint`), ``data_version``, … Features, calibration, parameters,
        ``created_at``, the LightGBM version and the model's sha256 are added here.
        """
        import lightgbm

        if not hasattr(ranker, "booster_"):
            from recommender.exceptions import NotFittedError

            raise NotFittedError("only a fitted ranker can be saved; call fit first")
        text = ranker.booster_.model_to_string().encode("utf-8")
        digest = _sha256(text)
        created = datetime.now(UTC)
        version = self._new_version(created, digest)
        meta = dict(_json_ready(dict(metadata or {})))
        meta.update({
            "format": FORMAT, "format_version": FORMAT_VERSION, "version": version,
            "features": list(ranker.feature_names_), "n_features": len(ranker.feature_names_),
            "best_iteration": int(ranker.best_iteration_),
            "calibration": _json_ready(ranker.calibration_),
            "params": _json_ready(ranker.get_params()),
            "created_at": created.isoformat(timespec="seconds"),
            "lightgbm_version": lightgbm.__version__, "model_sha256": digest,
        })
        if getattr(ranker, "prior_weight", 0):
            meta["prior_fingerprint"] = prior_fingerprint()
        meta.setdefault("metrics", {})
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=self.root))
        try:
            (staging / MODEL_FILE).write_bytes(text)
            (staging / METADATA_FILE).write_text(
                json.dumps(meta, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
                encoding="utf-8")
            os.replace(staging, self.root / version)
        except BaseException:
            for child in staging.glob("*"):
                child.unlink(missing_ok=True)
            staging.rmdir()
            raise
        return version

    def _new_version(self, created: datetime, digest: str) -> str:
        base = f"{created:%Y%m%dT%H%M%S}-{digest[:8]}"
        version, n = base, 1
        while (self.root / version).exists():
            n += 1
            version = f"{base}-{n}"
        return version

    # --- reading ----------------------------------------------------------------------------
    def _folder(self, version: str) -> Path:
        if not isinstance(version, str) or not _VERSION.match(version):
            raise NotFoundError(f"model version {version!r}: not a version name")
        folder = self.root / version
        if not folder.is_dir():
            raise NotFoundError(f"model version {version!r}: not in the registry at {self.root}")
        return folder

    def metadata(self, version: str) -> dict:
        """Return the metadata of ``version`` (read, not verified against the model)."""
        path = self._folder(version) / METADATA_FILE
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ModelError(f"model version {version!r}: {METADATA_FILE} is missing") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelError(f"model version {version!r}: {METADATA_FILE} is not valid JSON "
                             f"({exc})") from exc
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ModelError(f"model version {version!r}: {METADATA_FILE} is not a "
                             f"{FORMAT} metadata file")
        return meta

    def load(self, version: str):
        """Load ``version`` as a fitted :class:`~recommender.ranking.ranker.ChainRanker`, verified.

        Raises
        ------
        NotFoundError
            If there is no such version.
        ModelError
            If ``model.txt`` is missing, its sha256 differs from the metadata's, LightGBM
            cannot read it, or its features differ from the metadata's or the current
            feature registry's.
        """
        import lightgbm

        from recommender.ranking.ranker import ChainRanker

        meta = self.metadata(version)
        path = self._folder(version) / MODEL_FILE
        try:
            text = path.read_bytes()
        except FileNotFoundError as exc:
            raise ModelError(f"model version {version!r}: {MODEL_FILE} is missing") from exc
        digest = _sha256(text)
        if digest != meta.get("model_sha256"):
            raise ModelError(f"model version {version!r}: the sha256 of {MODEL_FILE} "
                             f"({digest[:12]}…) differs from the metadata's "
                             f"({str(meta.get('model_sha256'))[:12]}…); the file was changed "
                             f"or truncated")
        try:
            booster = lightgbm.Booster(model_str=text.decode("utf-8"))
        except (UnicodeDecodeError, lightgbm.basic.LightGBMError) as exc:
            raise ModelError(f"model version {version!r}: LightGBM cannot read {MODEL_FILE} "
                             f"({exc})") from exc
        self._check_features(version, booster, meta)
        if (meta.get("params") or {}).get("prior_weight") and \
                meta.get("prior_fingerprint") != prior_fingerprint():
            raise ModelError(f"model version {version!r} boosts from the prior, and the prior "
                             f"changed since it was trained; retrain the model")
        if not isinstance(meta.get("calibration"), dict):
            raise ModelError(f"model version {version!r}: the metadata has no calibration")
        model = ChainRanker.from_booster(booster, calibration=meta["calibration"],
                                         params=meta.get("params"))
        model.version_ = version
        return model

    def _check_features(self, version: str, booster, meta: dict) -> None:
        listed = meta.get("features")
        if not isinstance(listed, list):
            raise ModelError(f"model version {version!r}: the metadata lists no features")
        model_names = list(booster.feature_name())
        if booster.num_feature() != len(listed):
            raise ModelError(f"model version {version!r}: the model has "
                             f"{booster.num_feature()} features, the metadata lists "
                             f"{len(listed)}")
        if model_names != listed:
            diff = [(a, b) for a, b in zip(model_names, listed, strict=True) if a != b][:3]
            raise ModelError(f"model version {version!r}: the model's feature names differ "
                             f"from the metadata's (model, metadata): {diff}")
        current = self.feature_names
        if listed != current:
            gone = [n for n in listed if n not in current]
            new = [n for n in current if n not in listed]
            detail = (f"not in the current features: {gone}; " if gone else "") + \
                (f"missing from the model: {new}" if new else "") or "same names, other order"
            raise ModelError(f"model version {version!r}: its {len(listed)} features do not "
                             f"match the current feature registry's {len(current)} ({detail}); "
                             f"retrain the model")

    def versions(self) -> list[dict]:
        """Return every saved version, oldest first: version, created_at, metrics, windows,
        ``active``. A folder whose metadata cannot be read is listed with its ``error``."""
        if not self.root.is_dir():
            return []
        active = self.active_version()
        out = []
        for folder in sorted(p for p in self.root.iterdir()
                             if p.is_dir() and not p.name.startswith(".")):
            entry = {"version": folder.name, "active": folder.name == active}
            try:
                meta = self.metadata(folder.name)
            except (ModelError, NotFoundError) as exc:
                out.append(entry | {"error": str(exc)})
                continue
            entry.update({k: meta.get(k) for k in ("created_at", "metrics", "training_window",
                                                   "test_window", "n_features",
                                                   "best_iteration", "data_version")})
            out.append(entry)
        return out

    # --- the active model -------------------------------------------------------------------
    def active_version(self) -> str | None:
        """Return the active version, or None when no model was activated."""
        try:
            text = (self.root / ACTIVE_FILE).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return text or None

    def activate(self, version: str) -> str:
        """Make ``version`` the active model, after verifying it loads; return it.

        The pointer is replaced atomically; on any error the previous model stays active.
        """
        self.load(version)
        self.root.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.root / ACTIVE_FILE, (version + "\n").encode("utf-8"))
        return version

    def load_active(self):
        """Load the active model (verified, like :meth:`load`)."""
        version = self.active_version()
        if version is None:
            raise NotFoundError(f"no active model in the registry at {self.root}; "
                                f"train one with `chainscout train`")
        return self.load(version)

    def promote_if_better(self, version: str, *, metric: str = "ndcg@10",
                          min_gain: float = 0.0) -> Promotion:
        """Activate ``version`` only if its held-out ``metric`` beats the active model's.

        Both values are the stored metrics (``metadata["metrics"][metric]``), each measured on
        its model's held-out window; the reason says when the windows differ. The candidate
        must load and verify; it must beat the active value by more than ``min_gain``. With no
        active model (or an active model that no longer loads), a verified candidate is
        activated. Otherwise the active model is kept and :attr:`Promotion.reason` says why.
        """
        previous = self.active_version()
        value: float | None = None

        def decision(promoted: bool, old: float | None, reason: str) -> Promotion:
            return Promotion(promoted, version, self.active_version(), previous, metric,
                             value, old, reason)

        try:
            meta = self.metadata(version)
            value = _metric(meta, metric)
            self.load(version)
        except ModelError as exc:
            return decision(False, None, f"refused: {exc}")
        if value is None:
            return decision(False, None, f"refused: version {version} has no stored "
                                         f"{metric} on a held-out window")
        if previous is None:
            self.activate(version)
            return decision(True, None, f"no active model: {version} activated "
                                        f"({metric} {value:.4f})")
        if previous == version:
            return decision(False, value, f"{version} is already the active model")
        try:
            self.load(previous)
            old = _metric(self.metadata(previous), metric)
        except (ModelError, NotFoundError) as exc:
            self.activate(version)
            return decision(True, None, f"the active model {previous} no longer loads "
                                        f"({exc}); {version} activated")
        windows = ""
        new_window = meta.get("test_window")
        old_window = self.metadata(previous).get("test_window")
        if new_window != old_window:
            windows = f" (held-out windows differ: {old_window} vs {new_window})"
        if old is not None and not value > old + min_gain:
            return decision(False, old, f"kept {previous}: {metric} {value:.4f} of {version} "
                                        f"does not beat {old:.4f}"
                                        + (f" by more than {min_gain}" if min_gain else "")
                                        + windows)
        self.activate(version)
        detail = (f"{value:.4f} > {old:.4f}" if old is not None
                  else f"{value:.4f}; the active model stored no {metric}")
        return decision(True, old, f"{version} activated: {metric} {detail}{windows}")


def _metric(meta: dict, metric: str) -> float | None:
    value = (meta.get("metrics") or {}).get(metric)
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None
