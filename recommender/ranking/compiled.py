"""Fast bulk scoring: a fitted ranker's trees compiled to native code, and an exact top k.

:class:`CompiledRanker` (optional extra ``fast``: lleaves, see :data:`FAST_HINT`) scores with
the trees of a fitted :class:`~recommender.ranking.ranker.ChainRanker` compiled by lleaves,
and finds an exact top k several times faster than ``Booster.predict``: it scores every row
with the compiled trees, then re-scores with LightGBM only the rows that could reach the top k.
:func:`top_k_positions` is the ranking both use: the ``k`` highest scores, ties by position.

>>> fast = CompiledRanker(ranker, cache_dir=var_dir() / "lleaves")   # doctest: +SKIP
>>> positions, scores = fast.top_k(X, 500)                           # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.exceptions import DependencyError, NotFittedError
from recommender.ranking.ranker import ChainRanker, apply_calibration

__all__ = ["FAST_HINT", "CompiledRanker", "top_k_positions"]

FAST_HINT = "pip install 'chainscout[fast]' (lleaves, with llvmlite < 0.45)"


def top_k_positions(scores, k: int) -> np.ndarray:
    """Return the positions of the ``k`` highest scores, best first; ties by position.

    >>> top_k_positions([0.2, 0.9, 0.2, 0.5], 3).tolist()
    [1, 3, 0]
    """
    s = np.asarray(scores, float)
    k = min(int(k), len(s))
    if k <= 0:
        return np.zeros(0, np.int64)
    if k < len(s):
        kth = np.partition(s, len(s) - k)[len(s) - k]
        keep = np.flatnonzero(s >= kth)  # every row tied with the k-th stays in
    else:
        keep = np.arange(len(s))
    order = np.lexsort((keep, -s[keep]))
    return keep[order][:k]


class CompiledRanker:
    """A fitted ranker whose trees are compiled to native code by lleaves, for bulk scoring.

    :meth:`predict` equals :meth:`ChainRanker.predict` up to the order of floating-point sums
    (differences around 1e-15). :meth:`top_k` is exact: it scores every row with the compiled
    trees, re-scores with LightGBM the rows whose compiled score is within a safe margin of the
    k-th (a row outside it cannot reach the top k), and ranks those. Probabilities and
    contributions come from the ranker itself. Needs the optional ``fast`` extra
    (``FAST_HINT``).

    Parameters
    ----------
    ranker : a fitted :class:`ChainRanker`.
    cache_dir : folder for the compiled object file, named by the model's sha256, so that a
        model compiles once (a few seconds); a temporary folder when None. The folder holds
        native code: keep it private to the service.
    n_jobs : threads of the compiled scorer (the ranker's ``n_jobs`` when None).
    """

    MARGIN = 1e-9  # relative bound on |compiled - LightGBM| used by top_k (actual: ~1e-15)

    def __init__(self, ranker: ChainRanker, *, cache_dir=None, n_jobs: int | None = None):
        import hashlib
        import tempfile
        from pathlib import Path

        if not hasattr(ranker, "booster_"):
            raise NotFittedError("CompiledRanker compiles a fitted ChainRanker; call fit first")
        try:
            import lleaves
        except ImportError as exc:
            raise DependencyError(f"fast scoring needs lleaves: {FAST_HINT}") from exc
        self.ranker = ranker
        self.n_jobs = int(n_jobs or ranker.n_jobs)
        text = ranker.booster_.model_to_string()
        digest = hashlib.sha256(text.encode()).hexdigest()
        with tempfile.TemporaryDirectory() as tmp:
            model_path = Path(tmp) / "model.txt"
            model_path.write_text(text)
            folder = Path(cache_dir) if cache_dir is not None else Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            self._model = lleaves.Model(model_file=str(model_path))
            self._model.compile(cache=str(folder / f"lleaves-{digest}.o"))
        self.version_ = getattr(ranker, "version_", None)
        self.feature_names_ = ranker.feature_names_
        self.calibration_ = ranker.calibration_

    def predict_trees(self, Xm: np.ndarray) -> np.ndarray:
        """The compiled trees' raw score of a float64 matrix in feature order (no prior part)."""
        return self._model.predict(np.ascontiguousarray(Xm, dtype=np.float64),
                                   n_jobs=self.n_jobs)

    def predict_matrix(self, Xm: np.ndarray) -> np.ndarray:
        """Score a float64 matrix in feature order: compiled trees plus the prior's part."""
        Xm = np.ascontiguousarray(Xm, dtype=np.float64)
        scores = self.predict_trees(Xm)
        base = self.ranker.prior_part(Xm)
        return scores if base is None else scores + base

    def predict(self, X) -> np.ndarray:
        return self.predict_matrix(self.ranker.as_matrix(X))

    def predict_proba_success(self, X) -> np.ndarray:
        return apply_calibration(self.predict(X), self.calibration_)

    def contributions(self, X) -> pd.DataFrame:
        return self.ranker.contributions(X)

    def top_k(self, X, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return (positions, exact scores) of the ``k`` best rows, best first, ties by position.

        The same rows, order and scores as ranking :meth:`ChainRanker.predict`.
        """
        Xm = self.ranker.as_matrix(X) if not isinstance(X, np.ndarray) else np.asarray(X, float)
        fast = self.predict_matrix(Xm)
        k = min(int(k), len(fast))
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0)
        kth = np.partition(fast, len(fast) - k)[len(fast) - k]
        margin = 2 * self.MARGIN * (1.0 + np.abs(fast).max())
        near = np.flatnonzero(fast >= kth - margin)
        exact = self.ranker.booster_predict(Xm[near])
        best = top_k_positions(exact, k)
        return near[best], exact[best]
