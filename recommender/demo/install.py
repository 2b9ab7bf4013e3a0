"""Build the demo world and load it into the store: the quick start's main job."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from recommender import columns as C
from recommender.firms.schemas import validate_table
from recommender.store.bulk import is_in

__all__ = ["build_demo", "demo_firms", "install_world", "release_memory", "without_truth"]


def _noop(step: str, done: int, total: int) -> None:
    return None


def demo_firms(world, reference: pd.DataFrame) -> pd.DataFrame:
    """Return the world's firms plus any reference firm the world does not already hold."""
    missing = reference[~is_in(reference[C.FIRM_ID], world.firms[C.FIRM_ID])]
    if missing.empty:
        return world.firms
    return pd.concat([missing[C.FIRM_COLUMNS], world.firms[C.FIRM_COLUMNS]], ignore_index=True)


def without_truth(world):
    """Return ``world`` with an empty truth table (the store never holds the truth, which is
    most of a large world's memory); the memory it held goes back to the system once the
    caller lets the old world go (:func:`release_memory`)."""
    from dataclasses import replace

    # new empty columns: an empty slice of the old ones would keep their buffers alive
    empty = {name: pd.Series([], dtype=dtype) for name, dtype in world.truth.dtypes.items()}
    return replace(world, truth=pd.DataFrame(empty, columns=world.truth.columns))


def release_memory() -> None:
    """Hand the memory Arrow keeps for reuse back to the system (a large world's freed
    tables would otherwise stay in the process while the store load allocates its own)."""
    import gc

    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()


def install_world(store, world, region, reference, reference_links, *,
                  progress=_noop) -> dict[str, int]:
    """Load a generated world, the reference firms and the region's tables in one transaction."""
    from recommender.firms.ingest import store_firms

    firms = validate_table(demo_firms(world, reference), "firms", file="demo world")
    links = pd.concat([reference_links[C.FIRM_NODE_COLUMNS],
                       world.firm_nodes[C.FIRM_NODE_COLUMNS]], ignore_index=True)
    links = links.drop_duplicates([C.FIRM_ID, C.NODE_ID, C.METHOD])
    counts, _ = store_firms(store, firms, links, kind="demo", file="demo world",
                            progress=progress)
    with store.transaction() as conn:
        store.upsert_campaigns(world.campaigns, conn=conn)
        outcome_counts = store.add_outcomes(
            world.outcomes.assign(source="synthetic"), conn=conn)
        store.upsert_parks(validate_table(region.parks, "parks", file="parks.csv"), conn=conn)
        for name, table in (("imports", region.imports),
                            ("export_controls", region.export_controls),
                            ("leader_needs", region.leader_needs)):
            store.replace_region_table(name, region.id, validate_table(table, name, file=name),
                                       conn=conn)
    return {"firms": len(firms), "inserted": counts["inserted"], "updated": counts["updated"],
            "unchanged": counts["unchanged"], "links": len(links),
            "campaigns": len(world.campaigns), "outcomes": len(world.outcomes),
            "new outcomes": outcome_counts.get("inserted", 0), "parks": len(region.parks)}


def build_demo(*, n_firms: int, seed: int, out_dir: str | Path, chain, store=None,
               progress=_noop) -> dict[str, int]:
    """Generate the demo world, write it as Parquet under ``out_dir``, load it into ``store``.

    The same ``n_firms`` and ``seed`` give the same world; loading it twice changes nothing.
    """
    from recommender.demo.generator import generate_world, write_world
    from recommender.demo.world import load_reference_firms, load_region

    progress("load region", 0, 0)
    region = load_region()
    reference, reference_links = load_reference_firms()
    progress("generate", 0, n_firms)
    world = generate_world(n_firms=n_firms, seed=seed, chain=chain, region=region,
                           reference=(reference, reference_links))
    progress("write parquet", 0, 0)
    write_world(world, out_dir)
    world = without_truth(world)  # the store keeps no truth: let its rows go before loading
    release_memory()
    if store is None:
        return {"firms": len(world.firms), "links": len(world.firm_nodes),
                "campaigns": len(world.campaigns), "outcomes": len(world.outcomes)}
    return install_world(store, world, region, reference, reference_links, progress=progress)
