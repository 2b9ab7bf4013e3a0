"""Per-process state: what one server process loads once and shares across its requests.

- :mod:`~service.runtime.state`: the store, chain, region and model registry, and the current
  snapshot, rebuilt and swapped atomically when the model or the data changes;
- :mod:`~service.runtime.scores`: the snapshot's scores of every candidate, read from the
  memory-mapped score file every worker of the machine shares;
- :mod:`~service.runtime.jobs`: training jobs run in a background thread, tracked in the store;
- :mod:`~service.runtime.classifier`: the trained node classifier of the var folder, read once
  per file version, whose margins order the review queue.
"""

__all__: list[str] = []
