import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import recommender.ranking.registry as registry_module
from recommender.exceptions import ModelError, NotFittedError, NotFoundError
from recommender.ranking.ranker import ChainRanker
from recommender.ranking.registry import (
    ACTIVE_FILE,
    METADATA_FILE,
    MODEL_FILE,
    ModelRegistry,
    data_fingerprint,
)

FEATURES = ["match", "size", "distance", "in_china"]


def _data(seed: int, n_groups: int = 20, size: int = 25, features=FEATURES):
    rng = np.random.default_rng(seed)
    n = n_groups * size
    X = pd.DataFrame(rng.normal(size=(n, len(features))), columns=features)
    u = X[features[0]] - 0.5 * X[features[1]] ** 2 + rng.normal(0, 0.5, n)
    y = np.searchsorted(np.quantile(u, [0.55, 0.8, 0.92, 0.97]), u)
    return X, y, np.repeat(np.arange(n_groups), size)


@pytest.fixture(scope="module")
def models():
    X, y, g = _data(0)
    Xe, ye, ge = _data(1, n_groups=8)
    good = ChainRanker(n_estimators=40, num_leaves=7).fit(X, y, group_id=g, eval_set=(Xe, ye),
                                                          eval_group=ge)
    other = ChainRanker(n_estimators=10, num_leaves=3).fit(X, y, group_id=g)
    X3, y3, g3 = _data(0, features=FEATURES[:3])
    fewer = ChainRanker(n_estimators=10, num_leaves=3).fit(X3, y3, group_id=g3)
    return good, other, fewer


@pytest.fixture()
def registry(tmp_path):
    return ModelRegistry(tmp_path / "models", feature_names=FEATURES)


def _meta(ndcg: float, window="2025-01..2026-06") -> dict:
    return {"metrics": {"ndcg@10": ndcg}, "test_window": window,
            "training_window": ["2021-01-08", "2024-12-31"], "data_fingerprint": "abc"}


# --- save and load ------------------------------------------------------------------------
def test_round_trip_gives_identical_predictions(registry, models):
    good = models[0]
    version = registry.save(good, _meta(0.61))
    folder = registry.root / version
    assert sorted(p.name for p in folder.iterdir()) == [METADATA_FILE, MODEL_FILE]
    loaded = registry.load(version)
    Xt = _data(2)[0]
    np.testing.assert_array_equal(loaded.predict(Xt), good.predict(Xt))
    np.testing.assert_array_equal(loaded.predict_proba_success(Xt), good.predict_proba_success(Xt))
    pd.testing.assert_frame_equal(loaded.contributions(Xt), good.contributions(Xt))
    assert loaded.feature_names_ == FEATURES and loaded.version_ == version
    assert loaded.get_params() == good.get_params()


def test_metadata_records_what_the_model_was_made_from(registry, models):
    import lightgbm

    version = registry.save(models[0], _meta(0.61))
    meta = json.loads((registry.root / version / METADATA_FILE).read_text())
    text = (registry.root / version / MODEL_FILE).read_bytes()
    import hashlib

    assert meta["model_sha256"] == hashlib.sha256(text).hexdigest()
    assert meta["features"] == FEATURES and meta["n_features"] == 4
    assert meta["lightgbm_version"] == lightgbm.__version__
    assert meta["metrics"] == {"ndcg@10": 0.61} and meta["data_fingerprint"] == "abc"
    assert meta["calibration"]["fit_on"] == "eval" and "created_at" in meta
    assert text.startswith(b"tree\n")  # LightGBM's text format, not a pickle


def test_save_needs_a_fitted_model(registry):
    with pytest.raises(NotFittedError):
        registry.save(ChainRanker(), {})


def test_unknown_versions_are_not_found(registry):
    with pytest.raises(NotFoundError, match="not in the registry"):
        registry.load("20990101T000000-deadbeef")
    with pytest.raises(NotFoundError, match="not a version name"):
        registry.load("../etc")
    with pytest.raises(NotFoundError, match="no active model"):
        registry.load_active()
    assert registry.active_version() is None and registry.versions() == []


# --- tampering ----------------------------------------------------------------------------
def _truncate(folder: Path, models) -> None:
    path = folder / MODEL_FILE
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def _flip_one_byte(folder: Path, models) -> None:
    path = folder / MODEL_FILE
    data = bytearray(path.read_bytes())
    at = data.index(b"leaf_value=") + len(b"leaf_value=") + 1
    data[at] = ord("7") if data[at] != ord("7") else ord("3")
    path.write_bytes(bytes(data))


def _wrong_feature_count(folder: Path, models) -> None:
    """A model with one feature fewer, with a matching sha256: only the feature check stops it."""
    text = models[2].booster_.model_to_string().encode()
    (folder / MODEL_FILE).write_bytes(text)
    meta = json.loads((folder / METADATA_FILE).read_text())
    import hashlib

    meta["model_sha256"] = hashlib.sha256(text).hexdigest()
    (folder / METADATA_FILE).write_text(json.dumps(meta))


def _stale_features(folder: Path, models) -> None:
    """Model and metadata agree with each other, not with the current feature registry."""
    _wrong_feature_count(folder, models)
    meta = json.loads((folder / METADATA_FILE).read_text())
    meta["features"] = FEATURES[:3]
    (folder / METADATA_FILE).write_text(json.dumps(meta))


def _bad_metadata(folder: Path, models) -> None:
    (folder / METADATA_FILE).write_text("{not json")


@pytest.mark.parametrize("tamper, match", [
    (_truncate, "sha256 of model.txt .* differs"),
    (_flip_one_byte, "sha256 of model.txt .* differs"),
    (_wrong_feature_count, "the model has 3 features, the metadata lists 4"),
    (_stale_features, r"do not match the current feature registry's 4 .*missing from the "
                      r"model: \['in_china'\]"),
    (_bad_metadata, "metadata.json is not valid JSON"),
])
def test_tampered_model_is_refused_and_the_previous_stays_active(registry, models, tamper,
                                                                 match):
    good = registry.save(models[0], _meta(0.50))
    registry.activate(good)
    bad = registry.save(models[1], _meta(0.90))
    tamper(registry.root / bad, models)
    with pytest.raises(ModelError, match=match):
        registry.load(bad)
    with pytest.raises(ModelError, match=match):
        registry.activate(bad)
    assert registry.active_version() == good
    decision = registry.promote_if_better(bad)
    assert not decision.promoted and decision.reason.startswith("refused")
    assert registry.active_version() == good
    assert registry.load_active().version_ == good


# --- activation and promotion -------------------------------------------------------------
def test_activation_is_atomic(registry, models, monkeypatch):
    first = registry.save(models[0], _meta(0.5))
    second = registry.save(models[1], _meta(0.6))
    registry.activate(first)
    calls = []

    def failing_replace(src, dst):
        calls.append((Path(src).name, Path(dst).name))
        raise OSError("disk full")

    monkeypatch.setattr(registry_module.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        registry.activate(second)
    monkeypatch.undo()
    # the pointer went through a temporary file and a rename, and the rename never happened
    assert calls and calls[0][1] == ACTIVE_FILE and calls[0][0] != ACTIVE_FILE
    assert registry.active_version() == first
    assert [p.name for p in registry.root.iterdir() if p.name.startswith(".")] == []
    registry.activate(second)
    assert (registry.root / ACTIVE_FILE).read_text() == second + "\n"


def test_promote_if_better_refuses_a_worse_model(registry, models):
    best = registry.save(models[0], _meta(0.60))
    first = registry.promote_if_better(best)
    assert first.promoted and first.previous is None and "no active model" in first.reason
    worse = registry.save(models[1], _meta(0.55))
    decision = registry.promote_if_better(worse)
    assert not decision.promoted and registry.active_version() == best
    assert decision.active_value == 0.60 and decision.candidate_value == 0.55
    assert "does not beat 0.6000" in decision.reason
    equal = registry.save(models[1], _meta(0.60))
    assert not registry.promote_if_better(equal).promoted
    better = registry.save(models[1], _meta(0.65, window="2025-07..2026-06"))
    decision = registry.promote_if_better(better)
    assert decision.promoted and registry.active_version() == better
    assert "windows differ" in decision.reason
    missing = registry.save(models[1], {"metrics": {}})
    assert "no stored ndcg@10" in registry.promote_if_better(missing).reason
    assert registry.active_version() == better


def test_versions_lists_metrics_and_the_active_one(registry, models):
    a = registry.save(models[0], _meta(0.6))
    b = registry.save(models[1], _meta(0.4))
    registry.activate(a)
    listed = {v["version"]: v for v in registry.versions()}
    assert set(listed) == {a, b}
    assert listed[a]["active"] and not listed[b]["active"]
    assert listed[b]["metrics"] == {"ndcg@10": 0.4}
    assert a != b


def test_data_fingerprint_ignores_row_order_but_not_labels():
    rows = pd.DataFrame({"firm_id": ["a", "b"], "node_id": ["n", "n"], "campaign_id": ["c", "c"],
                         "label": [0, 3]})
    assert data_fingerprint(rows) == data_fingerprint(rows.iloc[::-1])
    assert data_fingerprint(rows) != data_fingerprint(rows.assign(label=[0, 2]))


def test_no_pickle_anywhere():
    source = Path(registry_module.__file__).read_text()
    for module in ("pickle", "joblib", "cloudpickle", "dill"):
        assert f"import {module}" not in source and f"from {module}" not in source


def test_a_model_boosted_from_a_prior_that_changed_is_refused(registry, models, monkeypatch):
    from recommender.ranking import prior

    version = registry.save(models[0], _meta(0.6))
    assert models[0].prior_weight > 0
    monkeypatch.setitem(prior.PRIOR_WEIGHTS, "match", 9.0)
    with pytest.raises(ModelError, match="the prior changed since it was trained"):
        registry.load(version)
    monkeypatch.undo()
    assert registry.load(version).version_ == version
