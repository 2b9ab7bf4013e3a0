"""What the views answer: one function per question, over the library and the current snapshot.

Nothing here knows about Flask: the API (:mod:`service.api`) and the pages
(:mod:`service.pages`) call the same functions, so a page and an endpoint never differ.

- :mod:`~service.answers.rankings`: weak links, recommendations and the target list;
- :mod:`~service.answers.matching`: park matches, a firm's parks, assignment, map layers;
- :mod:`~service.answers.map_data`: the recruitment map as GeoJSON and PNG, and the basemap;
- :mod:`~service.answers.portraits`: firm and park portraits, recording an outcome;
- :mod:`~service.answers.park_outcomes`: the outcomes a park manager reads and records (of the
  firms matched to its parks);
- :mod:`~service.answers.queries`: paged reads and writes of the store for the list endpoints.
"""

__all__: list[str] = []
