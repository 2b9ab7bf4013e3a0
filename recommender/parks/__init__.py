"""Parks: which firms suit an industrial park, and which park each firm should go to.

Fifth wing of the data flow, over the firms and the chain:

1. :mod:`~recommender.parks.matching` builds park profiles (园区画像) and firm needs, applies the
   hard filters and scores park–firm pairs with reasons;
2. :mod:`~recommender.parks.assignment` assigns firms to parks within their capacities.
"""

__all__: list[str] = []
