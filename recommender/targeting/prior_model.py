"""The cold-start prior as a model, and the version a model serves under.

Until a trained ranker is active, rankings are served by the transparent prior
(:mod:`recommender.ranking.prior`). :class:`PriorModel` gives it the interface of a fitted
:class:`~recommender.ranking.ranker.ChainRanker`: ``predict``, ``predict_proba_success``,
``contributions``, ``calibration_`` and ``version_``. The prior's scores need no fitting; its
probabilities do: :meth:`PriorModel.fit` learns the calibration from the recorded history and
keeps it on the estimator, as scikit-learn keeps fitted state. Fit once and pass the model
along rather than fitting again (each fit builds the whole training frame).

:func:`model_version` names the version any model serves under: the registry's, ``prior``,
or ``unsaved``.

>>> model = prior_model(data, weak_links)             # doctest: +SKIP
>>> model.calibration_["fit_on"], model_version(model)  # doctest: +SKIP
('recent campaigns', 'prior')
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import NotFittedError
from recommender.ranking.splits import CALIBRATION_SHARE, SETTLED_QUANTILE, settled_contacts

__all__ = ["CALIBRATION_MIN_GROUPS", "CALIBRATION_SHARE", "PRIOR_VERSION", "SETTLED_QUANTILE",
           "UNSAVED_VERSION", "PriorModel", "model_version", "prior_model", "settled_contacts"]

PRIOR_VERSION = "prior"  # the version the prior serves under
UNSAVED_VERSION = "unsaved"  # a fitted model that the registry never saved
CALIBRATION_MIN_GROUPS = 10  # fewer groups: calibrated on every contact


class PriorModel:
    """The cold-start prior with the interface of a fitted ranker.

    ``calibration_`` (set by :meth:`fit`) maps prior scores to ``P(stage >= 3)`` (see
    :func:`recommender.ranking.ranker.apply_calibration`).

    Examples
    --------
    >>> PriorModel()
    PriorModel(not fitted)
    >>> PriorModel().predict_proba_success(None)
    Traceback (most recent call last):
    ...
    recommender.exceptions.NotFittedError: this PriorModel is not fitted yet; call fit first
    """

    version_ = PRIOR_VERSION

    def __repr__(self) -> str:
        if not hasattr(self, "calibration_"):
            return "PriorModel(not fitted)"
        return f"PriorModel(calibration={self.calibration_['method']!r})"

    def fit(self, data, weak_links: pd.DataFrame) -> PriorModel:
        """Calibrate the prior on the history of ``data``; return ``self``.

        The calibration is a Platt fit of ``stage >= 3`` on the prior scores of the contacts
        of the latest :data:`CALIBRATION_SHARE` of the *settled* campaign groups
        (:func:`recommender.ranking.splits.settled_contacts`,
        :func:`recommender.ranking.features.training_frame`,
        :func:`recommender.ranking.splits.time_split`): the prior learns nothing from the
        history, so these are held-out campaigns, and the latest whose outcome is known, whose
        success rate is the one a contact made now meets. A campaign too young to have shown
        its MoUs would count them as failures and pull every probability down. With fewer
        than :data:`CALIBRATION_MIN_GROUPS` groups, every settled contact; without outcomes of
        both kinds, the smoothed base rate, the same for every firm.
        """
        from recommender.ranking.features import training_frame
        from recommender.ranking.metrics import RELEVANT_STAGE
        from recommender.ranking.prior import prior_scores
        from recommender.ranking.ranker import fit_calibration
        from recommender.ranking.splits import time_split

        fit_on = "history"
        if len(data.outcomes):
            frame = settled_contacts(training_frame(data, weak_links))
            if frame[C.GROUP_ID].nunique() >= CALIBRATION_MIN_GROUPS:
                _, frame = time_split(frame, test_share=CALIBRATION_SHARE)
                fit_on = "recent campaigns"
            scores, labels = prior_scores(frame), frame[C.LABEL].to_numpy()
        else:
            scores, labels = np.zeros(0), np.zeros(0, int)
        self.calibration_ = fit_calibration(scores, labels, RELEVANT_STAGE, fit_on)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "calibration_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit first")

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Return the prior's score of each row."""
        from recommender.ranking.prior import prior_scores

        self._check_fitted()
        return prior_scores(frame)

    def predict_proba_success(self, frame: pd.DataFrame) -> np.ndarray:
        """Return the calibrated probability of an MoU or better of each row."""
        from recommender.ranking.ranker import apply_calibration

        self._check_fitted()
        return apply_calibration(self.predict(frame), self.calibration_)

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return each feature's part of each row's score, plus the ``bias`` column."""
        from recommender.ranking.prior import prior_contributions

        return prior_contributions(frame)


def prior_model(data, weak_links: pd.DataFrame) -> PriorModel:
    """Return the prior calibrated on the history of ``data`` (``PriorModel().fit(...)``)."""
    return PriorModel().fit(data, weak_links)


def model_version(model) -> str:
    """Return the version ``model`` serves under: the registry's, ``prior``, or ``unsaved``.

    >>> model_version(PriorModel()), model_version(object())
    ('prior', 'unsaved')
    """
    return str(getattr(model, "version_", None) or UNSAVED_VERSION)

