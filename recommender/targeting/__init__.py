"""Targeting: from scored candidates to what officers act on.

Fourth wing of the data flow, over :mod:`recommender.ranking`:

1. :mod:`~recommender.targeting.stages` names the recruitment stages of recorded outcomes;
2. :mod:`~recommender.targeting.recommend` answers ranked firms for a weak link and the target
   list (招商目标清单), chosen by :mod:`~recommender.targeting.portfolio`;
3. :mod:`~recommender.targeting.exports` writes ranked lists as CSV and XLSX for people.
"""

__all__: list[str] = []
