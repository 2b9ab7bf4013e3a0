"""The node classifier's file: one ``.npz`` of arrays with a JSON header, and no pickle.

:meth:`NodeClassifier.save <recommender.firms.node_classifier.NodeClassifier.save>` and
:meth:`~recommender.firms.node_classifier.NodeClassifier.load` go through this module. The
file holds the vocabularies and IDF weights of both vectorizers, the coefficients,
intercepts and Platt calibration of each node's model and of the in-chain gate, and the
topic components as arrays;
the header holds the format and version, the constructor parameters (not the chain) and the
learned lists and numbers. Reading checks that:

- the header names this format, in a version it can read (version 1 files have no
  attribute features);
- every array and header field is there and loads with pickle disabled;
- the coefficients have one column per word, character gram, keyword node, attribute and
  topic.

Anything else is a :class:`~recommender.exceptions.ModelError`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from recommender.exceptions import ModelError
from recommender.firms.node_features import char_vectorizer, terms_by_index, word_vectorizer

__all__ = ["FORMAT", "FORMAT_VERSION", "read_classifier_file", "write_classifier_file"]

FORMAT = "chainscout-node-classifier"
FORMAT_VERSION = 3
# version 1 files have no attribute features; versions 1 and 2 no in-chain gate
_READABLE_VERSIONS = (1, 2, 3)


def write_classifier_file(model, path: str | Path) -> Path:
    """Write a fitted node classifier to ``path`` (folders are created); return the path."""
    params = {k: v for k, v in model.get_params().items() if k != "chain"}
    header = {
        "format": FORMAT, "version": FORMAT_VERSION, "params": params,
        "classes": model.classes_, "fallback_nodes": model.fallback_nodes_,
        "keyword_nodes": model.keyword_nodes_, "threshold": model.threshold_,
        "attribute_terms": model.attribute_terms_,
        "gate_threshold": model.gate_threshold_, "keyword_union": model.keyword_union_,
        "relative": model.relative_,
        "n_word_features": model.n_word_features_, "n_train": model.n_train_,
        "chain_id": getattr(model.chain, "id", None),
        "chain_version": getattr(model.chain, "version", None),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        np.savez_compressed(
            fh, header=np.array(json.dumps(header)),
            word_terms=np.array(terms_by_index(model.word_vectorizer_), dtype=str),
            word_idf=model.word_vectorizer_.idf_,
            char_terms=np.array(terms_by_index(model.char_vectorizer_), dtype=str),
            char_idf=model.char_vectorizer_.idf_,
            coef=model.coef_, intercept=model.intercept_, calibration=model.calibration_,
            gate_coef=model.gate_coef_,
            gate_calibration=np.array([*model.gate_calibration_, model.gate_intercept_]),
            topic_components=model.topic_components_)
    return path


def read_classifier_file(path: str | Path, make) -> object:
    """Read a file written by :func:`write_classifier_file`; return the model it holds.

    ``make(**params)`` builds the unfitted model from the stored constructor parameters
    (the classifier class, with the chain bound); the learned attributes are then set on it.
    Raises ``ModelError`` when the file is not a node classifier this version can read.
    """
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
        header = json.loads(str(arrays["header"]))
        if header.get("format") != FORMAT or header.get("version") not in _READABLE_VERSIONS:
            raise ModelError(f"{path}: not a node classifier of format version "
                             f"{FORMAT_VERSION}")
        params = dict(header["params"])
        params["attributes"] = tuple(params.get("attributes", ()))
        model = make(**params)
        model.word_vectorizer_ = word_vectorizer(model.min_df, model.max_features,
                                                 arrays["word_terms"], arrays["word_idf"])
        model.char_vectorizer_ = char_vectorizer(model.min_df, model.max_features,
                                                 arrays["char_terms"], arrays["char_idf"])
        model.coef_ = arrays["coef"].astype(float)
        model.intercept_ = arrays["intercept"].astype(float)
        model.calibration_ = arrays["calibration"].astype(float)
        model.topic_components_ = arrays.get(
            "topic_components", np.zeros((0, len(arrays["word_terms"])), dtype=np.float16))
        model.classes_ = list(header["classes"])
        model.fallback_nodes_ = list(header["fallback_nodes"])
        model.keyword_nodes_ = list(header["keyword_nodes"])
        model.threshold_ = float(header["threshold"])
        model.attribute_terms_ = [str(t) for t in header.get("attribute_terms", [])]
        model.gate_threshold_ = float(header.get("gate_threshold", 0.0))
        model.keyword_union_ = bool(header.get("keyword_union", False))
        model.relative_ = float(header.get("relative", 0.0))
        gate = arrays.get("gate_calibration", np.array([1.0, 0.0, 0.0])).astype(float)
        model.gate_calibration_, model.gate_intercept_ = gate[:2], float(gate[2])
        model.gate_coef_ = arrays.get("gate_coef", np.zeros(model.coef_.shape[1])).astype(float)
        model.n_word_features_ = int(header["n_word_features"])
        model.n_train_ = int(header["n_train"])
    except ModelError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{path}: cannot read the node classifier ({exc})") from exc
    n_features = (len(arrays["word_terms"]) + len(arrays["char_terms"])
                  + len(model.keyword_nodes_) + len(model.attribute_terms_)
                  + len(model.topic_components_))
    if model.coef_.shape != (len(model.classes_), n_features) \
            or model.gate_coef_.shape != (n_features,):
        raise ModelError(f"{path}: coefficients do not match the vocabularies")
    return model
