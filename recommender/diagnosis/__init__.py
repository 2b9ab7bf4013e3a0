"""Weak links: which nodes of a region's chain need firms, and why.

Second wing of the data flow, over the firms of :mod:`recommender.firms`:

1. :mod:`~recommender.diagnosis.locality` says which firms are local to the region and how far
   every firm is from its core;
2. :mod:`~recommender.diagnosis.components` computes the inputs of each component per node
   (size-weighted local activity, imports by origin, export controls, leader needs, reach);
3. :mod:`~recommender.diagnosis.weak_links` scores every node (local gap, demand, import
   dependence, source concentration, export-control exposure, criticality), explains the
   score and runs the export-control what-if.
"""

__all__: list[str] = []
