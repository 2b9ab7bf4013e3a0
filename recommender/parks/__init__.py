"""Parks: which firms suit an industrial park, and which park each firm should go to.

Fifth wing of the data flow, over the firms and the chain:

1. :mod:`~recommender.parks.profiles` reads park profiles (园区画像) and estimates firm needs;
2. :mod:`~recommender.parks.scoring` applies the hard filters and scores park–firm pairs, and
   :mod:`~recommender.parks.park_reasons` says why in Chinese and English;
3. :mod:`~recommender.parks.matching` ranks the pairs: the firms for a park, the parks for a
   firm;
4. :mod:`~recommender.parks.assignment` assigns firms to parks within their capacities.
"""

__all__: list[str] = []
