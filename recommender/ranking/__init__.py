"""Ranking: candidate firms for each weak link, their features, the ranker and its evaluation.

Third wing of the data flow. Its modules run in this order:

1. :mod:`~recommender.ranking.dataset` bundles what ranking reads (``ChainData``);
2. :mod:`~recommender.ranking.candidates` pairs firms with the weak links they could fill;
3. :mod:`~recommender.ranking.features` builds the feature frames from the registry of
   :mod:`~recommender.ranking.feature_registry`, reading each bundle through its
   :mod:`~recommender.ranking.feature_context` (built once per ``ChainData``) and counting
   earlier outcomes with :mod:`~recommender.ranking.engagement` (this link and elsewhere
   apart); :mod:`~recommender.ranking.selection` adds the officers' selection (pool rows in the
   training groups, propensity of contact, inverse-propensity weights);
4. :mod:`~recommender.ranking.prior` (cold start) and :mod:`~recommender.ranking.ranker`
   (LightGBM LambdaRank; :mod:`~recommender.ranking.compiled` for fast bulk scoring) score the
   pairs, and :mod:`~recommender.ranking.reasons` words why;
5. :mod:`~recommender.ranking.metrics` and :mod:`~recommender.ranking.evaluation` measure them:
   :mod:`~recommender.ranking.splits` cuts the history in time,
   :mod:`~recommender.ranking.methods` are the methods compared and
   :mod:`~recommender.ranking.evaluation_report` writes the report;
6. :mod:`~recommender.ranking.registry` keeps trained models and
   :mod:`~recommender.ranking.training` runs train → measure → save → promote.
"""

__all__: list[str] = []
