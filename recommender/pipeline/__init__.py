"""The recruitment pipeline (招商项目全流程) and the chain watched over time.

Modules, in the order a project runs through them:

- :mod:`~recommender.pipeline.transitions`: the stages, the moves allowed between them, and
  the documented mapping from stages reached to the ranker's outcome labels;
- :mod:`~recommender.pipeline.projects`: projects in the store: create, change, move through
  their stages with their history; outcome labels written as they move;
- :mod:`~recommender.pipeline.plants`: a project in production adds its firm's local plant as
  a local supplier of its link;
- :mod:`~recommender.pipeline.queries`: projects by stage with filters, follow-ups due, the
  KPI figures and monthly trends;
- :mod:`~recommender.pipeline.project_files`: projects as XLSX (Chinese or English headers)
  and back;
- :mod:`~recommender.pipeline.health`: weak-link snapshots by date, each link's score over
  time, the links no project addresses;
- :mod:`~recommender.pipeline.leader_needs`: chain leaders' needs (链主配套需求) entered by
  their liaisons, dated and signed;
- :mod:`~recommender.pipeline.freshness`: the source and as-of date of firm fields and
  region tables, and the data older than an age.
"""

__all__: list[str] = []
