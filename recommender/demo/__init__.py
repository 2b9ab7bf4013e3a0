"""The embedded demo world: its region, reference firms and synthetic generator.

Top wing of the library but the command line, over every wing below it:

1. :mod:`~recommender.demo.world` reads the region's tables and the reference firms;
2. :mod:`~recommender.demo.generator` generates a world over them: the synthetic firms of
   :mod:`~recommender.demo.universe` with the texts of :mod:`~recommender.demo.texts`, over the
   chain as arrays (:mod:`~recommender.demo.chain_index`), and the campaign history of
   :mod:`~recommender.demo.history`, whose outcomes follow the latent model of
   :mod:`~recommender.demo.latent`; it writes and reads the world as Parquet;
3. :mod:`~recommender.demo.install` builds the demo world and loads it into the store;
4. :mod:`~recommender.demo.known_makers` reads the world's known makers of each node and finds
   them among firms by name;
5. :mod:`~recommender.demo.chunked` generates a large world in bounded memory, a chunk of
   firms at a time, straight to the Parquet partitions the Dask engine reads, its history
   drawn over compact arrays with the truth written as it goes
   (:mod:`~recommender.demo.chunked_history`).
"""

__all__: list[str] = []
