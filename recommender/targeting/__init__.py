"""Targeting: from scored candidates to what officers act on.

Fourth wing of the data flow, over :mod:`recommender.ranking`:

1. :mod:`~recommender.targeting.stages` names the recruitment stages of recorded outcomes;
2. :mod:`~recommender.targeting.prior_model` serves the calibrated prior until a trained ranker
   is active, and names the version a model serves under;
3. :mod:`~recommender.targeting.score_table` is the one ranking engine: the candidates of weak
   links scored once, sorted per link, queried with filters, with reasons and the target-list
   picks (chosen by :mod:`~recommender.targeting.portfolio`), built with
   :mod:`~recommender.targeting.scoring` (what rankings are computed from, the scores, the
   best-first order); :mod:`~recommender.targeting.score_file` keeps a table in an Arrow file,
   memory-mapped and shared by the processes that serve it, rebuilt when its inputs change;
   :mod:`~recommender.targeting.partitions` scores the universe partition by partition
   (the same functions), and :mod:`~recommender.targeting.dask_engine` runs them on a Dask
   cluster; :mod:`~recommender.targeting.partitioned_table` keeps the scored partitions where
   they were scored and answers the table's queries from each one's best rows, the target list
   over a bounded set of firms (:mod:`~recommender.targeting.bounded_picks`);
4. :mod:`~recommender.targeting.recommend` answers ranked firms for a weak link and the target
   list (招商目标清单) as frames, queries over a score table;
5. :mod:`~recommender.targeting.export_columns` names the columns of an exported list and
   says what each holds and how it shows; :mod:`~recommender.targeting.export_rows` completes
   a list's rows for officers (names, website, credit code, last contact, best park);
   :mod:`~recommender.targeting.exports` writes ranked lists as CSV and XLSX for people.
"""

__all__: list[str] = []
