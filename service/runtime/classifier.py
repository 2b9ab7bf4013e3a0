"""The trained node classifier a server process uses, read once per file version.

``chainscout classifier train --out <var_dir>/node_classifier.npz`` leaves a trained
:class:`~recommender.firms.node_classifier.NodeClassifier` in the settings' ``var_dir`` as
:data:`NODE_CLASSIFIER_FILE`. :func:`node_classifier` returns it, for the review page and
``GET /api/v1/firms/review`` to weigh the classifier's margins; it returns None when there is
no such file or one this version cannot read for the chain (then both weigh the keywords'
margins, see :mod:`recommender.firms.node_review`, and the reason is logged once per file
version). The model is read once per file version (path, modification time, size) and chain,
and shared by the requests of a process.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from recommender.exceptions import ModelError

__all__ = ["BASIS_CLASSIFIER", "BASIS_KEYWORDS", "NODE_CLASSIFIER_FILE", "node_classifier"]

NODE_CLASSIFIER_FILE = "node_classifier.npz"  # in the settings' var_dir
BASIS_CLASSIFIER = "classifier"  # margins to the trained classifier's threshold
BASIS_KEYWORDS = "keywords"  # margins to the keywords' sure confidence

_log = logging.getLogger(__name__)

# (file, its modification time and size, chain) -> the model read from it, or None if unreadable
_models: dict[tuple, object] = {}
_models_lock = threading.Lock()


def node_classifier(var_dir, chain):
    """Return the trained node classifier of ``var_dir`` for ``chain``, or None.

    None when there is no :data:`NODE_CLASSIFIER_FILE`, or when it is not a classifier this
    version can read for this chain.
    """
    path = Path(var_dir) / NODE_CLASSIFIER_FILE
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (str(path), stat.st_mtime_ns, stat.st_size, id(chain))
    with _models_lock:
        if key in _models:
            return _models[key]
    from recommender.firms.node_classifier import NodeClassifier

    try:
        model = NodeClassifier.load(path, chain=chain)
    except ModelError as exc:
        _log.warning("node classifier not used, keyword margins instead: %s", exc)
        model = None
    with _models_lock:
        for stale in [k for k in _models if k[0] == key[0]]:
            del _models[stale]
        _models[key] = model
    return model
