"""Firms in: files and listings read, normalised, placed on the map and in the chain.

The first wing of the data flow; it knows nothing of weak links or ranking. Its modules run in
this order for an import:

1. :mod:`~recommender.firms.headers` maps Chinese and English column headers to ours;
2. :mod:`~recommender.firms.tables` reads CSV, XLSX and Parquet files and normalises names;
3. :mod:`~recommender.firms.listings` turns public stock listings into firm rows;
4. :mod:`~recommender.firms.ingest` normalises firms (keys, 注册资本, 成立日期), checks them
   whole against :mod:`~recommender.firms.schemas` and stores them, merging a firm already
   stored as :mod:`~recommender.firms.merge` matches it (names folded by
   :mod:`~recommender.firms.firm_names`);
5. :mod:`~recommender.firms.countries` gives ISO codes, and :mod:`~recommender.firms.geocode`
   coordinates, over the gazetteer of :mod:`~recommender.firms.gazetteer` (which compares
   names as :mod:`~recommender.firms.place_names` says and knows China's divisions from
   :mod:`~recommender.firms.china_divisions`); :mod:`~recommender.firms.city_names` names
   cities in Chinese or English for people, and :mod:`~recommender.firms.sizes` size classes
   in the four words of China's size standard (大型, 中型, 小型, 微型);
6. :mod:`~recommender.firms.keywords` places firms in chain nodes by keyword evidence, and
   :mod:`~recommender.firms.node_classifier` by a learned model over the features of
   :mod:`~recommender.firms.node_features` (Chinese business scopes cleaned by
   :mod:`~recommender.firms.scope_text`), with the keyword evidence taken in as
   :mod:`~recommender.firms.node_keyword_links` says, trained on the hand labels read by
   :mod:`~recommender.firms.node_labels`, deciding as :mod:`~recommender.firms.node_decision`
   says, saved as :mod:`~recommender.firms.node_classifier_file` says and scored by
   :mod:`~recommender.firms.node_evaluation`;
   :mod:`~recommender.firms.node_review` lists the closest calls for people to correct.
"""

__all__: list[str] = []
