"""A large demo world generated in bounded memory, straight to Parquet partitions.

:func:`~recommender.demo.generator.generate_world` draws the whole universe at once and
returns every table in memory, the truth (about 48 rows a firm) included; a few million firms
fill a machine. :func:`generate_world_files` draws the synthetic firms a chunk at a time
(:data:`CHUNK_FIRMS`), writes each chunk's firms and links as one aligned partition of the
layout the Dask engine reads (:mod:`recommender.targeting.partitions`: ``firms/part-i``,
``links/part-i``, a partition number on every firm row, ``manifest.json``; the reference
firms are the last partition) and keeps of each firm only what the history needs
(:class:`~recommender.demo.chunked_history.FirmArrays`). The campaigns, contacts and outcomes
follow (:mod:`recommender.demo.chunked_history`), the truth written to ``truth.parquet`` a row
group at a time. Memory: about 100 bytes a firm, plus one chunk.

Each chunk's draws come from its own generator (``default_rng([seed, chunk])``), so the world
is a function of the seed, the firm count and the chunk size; it follows the same model and
distributions as :func:`~recommender.demo.generator.generate_world`'s, not its rows (the
embedded demo world, smaller than :data:`CHUNKED_ABOVE`, is generated in one piece).

>>> world = generate_world_files("var/big", n_firms=10_000_000, seed=7)  # doctest: +SKIP
>>> world.partitions, len(world.outcomes) > 0                           # doctest: +SKIP
(41, True)
>>> firms = world.firms(columns=[C.FIRM_ID, C.COUNTRY])                 # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from recommender import columns as C
from recommender.demo.chain_index import ChainIndex
from recommender.demo.chunked_history import FirmArrays, TruthWriter, firm_arrays, simulate_chunked
from recommender.demo.generator import (
    GENERATOR_VERSION,
    _check_arguments,
    _firm_frame,
    _load_defaults,
    reference_firms,
    synthetic_firms,
    synthetic_link_frame,
)
from recommender.demo.texts import join_text
from recommender.demo.universe import country_table
from recommender.exceptions import DataError, InvalidArgument
from recommender.targeting.partitions import (
    FIRMS_DIR,
    LINKS_DIR,
    MANIFEST,
    PARTITION,
    part_path,
    read_manifest,
)

__all__ = ["CHUNKED_ABOVE", "CHUNK_FIRMS", "ChunkedWorld", "generate_world_files",
           "read_world_files"]

CHUNK_FIRMS = 250_000  # synthetic firms drawn, and written as one partition, at a time
CHUNKED_ABOVE = 2_000_000  # worlds larger than this are generated in chunks, to files
_META_KEY = b"chainscout.demo"
_TABLES = ("campaigns", "outcomes")


@dataclass(frozen=True)
class ChunkedWorld:
    """A world written by :func:`generate_world_files`: campaigns and outcomes in memory, the
    firms and links in ``partitions`` aligned partitions under ``folder``, the truth in
    ``folder / "truth.parquet"``."""

    folder: Path
    campaigns: pd.DataFrame
    outcomes: pd.DataFrame
    params: dict = field(default_factory=dict)

    @property
    def partitions(self) -> int:
        return int(read_manifest(self.folder)["partitions"])

    @property
    def truth_path(self) -> Path:
        return self.folder / "truth.parquet"

    def _read(self, table: str, columns) -> pd.DataFrame:
        files = [str(part_path(self.folder, table, i)) for i in range(self.partitions)]
        frame = pq.ParquetDataset(files).read(columns=columns).to_pandas()
        return frame.drop(columns=[PARTITION], errors="ignore")

    def firms(self, columns=None) -> pd.DataFrame:
        """Every firm (reference firms last), ``columns`` of ``FIRM_COLUMNS`` or all; the
        columns not read are left out."""
        return self._read(FIRMS_DIR, None if columns is None else list(columns))

    def firm_nodes(self, columns=None) -> pd.DataFrame:
        """Every firm-node link, in the order of the partitions."""
        return self._read(LINKS_DIR, None if columns is None else list(columns))


def _countries(reference: pd.DataFrame) -> pd.Index:
    """The home countries the history indexes: the synthetic ones, the reference firms', ""."""
    codes = list(country_table()[C.COUNTRY])
    extra = sorted(set(reference[C.COUNTRY].dropna().astype(str)) - set(codes)) \
        if len(reference) else []
    return pd.Index(codes + extra + [""])


def _ids(first: int, count: int) -> pa.Array:
    """Synthetic firm ids ``syn-0000001`` …, numbered from ``first`` (as the generator's)."""
    numbers = pa.array(np.arange(first, first + count, dtype=np.int64))
    return join_text("syn-", pc.utf8_lpad(pc.cast(numbers, pa.string()), 7, "0"))


def _write(frame: pd.DataFrame, path: Path, meta: bytes | None = None) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if meta is not None:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META_KEY: meta})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def _chunk(number: int, first: int, count: int, seed: int, ix: ChainIndex, region,
           country_mix, countries: pd.Index, folder: Path):
    """Draw, write and reduce one chunk of synthetic firms (positions ``first`` …)."""
    rngs = np.random.default_rng([int(seed), int(number)]).spawn(5)
    firms, links, latent = synthetic_firms(rngs[:4], count, ix, region, lambda phase: None,
                                           country_mix)
    ids = _ids(first + 1, count)
    firms[C.FIRM_ID] = pd.array(ids, dtype="str")
    firms[C.FIRM_KEY] = firms[C.FIRM_ID]
    firm_nodes = synthetic_link_frame(ids, links, ix)
    firms[PARTITION] = np.full(len(firms), number, np.int32)
    _write(firms, part_path(folder, FIRMS_DIR, number))
    _write(firm_nodes, part_path(folder, LINKS_DIR, number))
    arrays = firm_arrays(latent, region, rngs[4], countries)
    compact = (links["firm"].to_numpy(np.int64) + first, links["node"].to_numpy(np.int16),
               links[C.CONFIDENCE].to_numpy(float))
    return arrays, compact, ids, firms.iloc[:0].drop(columns=[PARTITION]), firm_nodes.iloc[:0]


def generate_world_files(out_dir, n_firms: int, seed: int = 7, *, chunk: int = CHUNK_FIRMS,
                         chain=None, region=None, reference=None, start="2021-01-01",
                         end="2026-06-30", n_campaigns: int | None = None,
                         country_mix: pd.DataFrame | None = None, truth: bool = True,
                         data_version: int = 1, progress=None) -> ChunkedWorld:
    """Generate a world of ``n_firms`` synthetic firms (and the reference firms) a chunk at a
    time, into ``out_dir``; return it as a :class:`ChunkedWorld`.

    The arguments are :func:`~recommender.demo.generator.generate_world`'s, plus ``chunk``
    (synthetic firms per partition), ``truth`` (False: no truth file) and ``data_version``
    (recorded in the partitions' manifest). ``progress`` is called with ``"firms i/n"`` as
    each chunk starts, then ``"history"`` and ``"write"``.

    Raises
    ------
    InvalidArgument
        As ``generate_world`` does, or naming ``chunk`` when it is not a positive integer.
    """
    t0, t1 = _check_arguments(n_firms, seed, start, end, n_campaigns)
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise InvalidArgument(f"chunk must be a positive integer, got {chunk!r}")
    progress = progress or (lambda phase: None)
    chain, region, reference, country_mix = _load_defaults(chain, region, reference,
                                                           country_mix)
    ref_firms, ref_links = reference
    folder = Path(out_dir)
    for table in (FIRMS_DIR, LINKS_DIR):
        for old in (folder / table).glob("part-*.parquet"):
            old.unlink()
    ix = ChainIndex.from_chain(chain)
    countries = _countries(ref_firms)
    root = np.random.default_rng(seed).spawn(6)
    n, chunks = int(n_firms), -(-int(n_firms) // int(chunk))
    arrays, firm, node, conf, ids = [], [], [], [], []
    for number in range(chunks):
        progress(f"firms {number + 1}/{chunks}")
        first = number * int(chunk)
        a, (f, v, w), chunk_ids, firm_dtypes, link_dtypes = _chunk(
            number, first, min(int(chunk), n - first), seed, ix, region, country_mix,
            countries, folder)
        arrays.append(a)
        firm.append(f)
        node.append(v)
        conf.append(w)
        ids.append(chunk_ids)
    ref, ref_pos, ref_latent = reference_firms(root[4], ref_firms, ref_links, ix, region,
                                               offset=n)
    arrays.append(firm_arrays(ref_latent, region, root[3], countries))
    firm.append(ref_pos["firm"].to_numpy(np.int64))
    node.append(ref_pos["node"].to_numpy(np.int16))
    conf.append(ref_pos[C.CONFIDENCE].to_numpy(float))
    ids.append(pa.array(ref[C.FIRM_ID].astype(str).tolist(), pa.string()))
    rows = _firm_frame(ref, firm_dtypes) if len(ref) else firm_dtypes
    _write(rows.assign(**{PARTITION: np.full(len(rows), chunks, np.int32)}),
           part_path(folder, FIRMS_DIR, chunks))
    given = ref_links.reindex(columns=C.FIRM_NODE_COLUMNS).astype(link_dtypes.dtypes) \
        if len(ref_firms) else link_dtypes
    _write(given, part_path(folder, LINKS_DIR, chunks))
    firm_ids = pa.concat_arrays(ids)
    firm_index, node_index = np.concatenate(firm), np.concatenate(node).astype(np.int64)
    n_links = len(firm_index) - len(ref_pos) + len(given)

    progress("history")
    sink = TruthWriter(folder / "truth.parquet", firm_ids) if truth else None
    sim = simulate_chunked(root[5], FirmArrays.concat(arrays), firm_index, node_index,
                           np.concatenate(conf), firm_ids, ix, region, countries, t0, t1,
                           n_campaigns=n_campaigns, sink=sink)
    progress("write")
    params = {"version": GENERATOR_VERSION, "seed": int(seed), "n": n,
              "n_reference": len(ref), "start": str(t0.date()), "end": str(t1.date()),
              "chunk": int(chunk), **sim.params}
    meta = json.dumps(params, sort_keys=True).encode()
    if sink is not None:
        sink.close({_META_KEY: meta})
    else:
        (folder / "truth.parquet").unlink(missing_ok=True)
    for name in _TABLES:
        _write(getattr(sim, name), folder / f"{name}.parquet", meta)
    manifest = {"partitions": chunks + 1, "data_version": int(data_version),
                "firms": n + len(ref), "links": int(n_links)}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return ChunkedWorld(folder, sim.campaigns, sim.outcomes, params)


def read_world_files(out_dir) -> ChunkedWorld:
    """Read back a world written by :func:`generate_world_files` (firms stay on disk)."""
    folder = Path(out_dir)
    frames, params = {}, None
    if not read_manifest(folder):
        raise DataError(f"{folder}: no {MANIFEST}; write the world with generate_world_files")
    for name in _TABLES:
        path = folder / f"{name}.parquet"
        if not path.is_file():
            raise DataError(f"{path}: missing; write the world with generate_world_files")
        table = pq.read_table(path)
        meta = (table.schema.metadata or {}).get(_META_KEY)
        if meta is None:
            raise DataError(f"{path}: not written by generate_world_files")
        params = json.loads(meta) if params is None else params
        frames[name] = table.to_pandas()
    return ChunkedWorld(folder, frames["campaigns"], frames["outcomes"], params)
