"""Weak links: which nodes of a region's chain need firms, and why.

Second wing of the data flow, over the firms of :mod:`recommender.firms`:

1. :mod:`~recommender.diagnosis.locality` says which firms are local to the region and how far
   every firm is from its core;
2. :mod:`~recommender.diagnosis.weak_links` scores every node (local supply, demand, import
   dependence, source concentration, export-control exposure, criticality).
"""

__all__: list[str] = []
