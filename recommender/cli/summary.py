"""Plain-text summaries of a chain and of the store, for the terminal."""

from __future__ import annotations

from recommender import columns as C

__all__ = ["STAGE_ZH", "chain_summary", "store_summary_text"]

STAGE_ZH = {"upstream": "上游", "midstream": "中游", "downstream": "下游"}


def chain_summary(chain, *, top: int = 5) -> str:
    """Describe a chain: nodes per stage and segment, edge count, most depended-on nodes."""
    nodes = chain.nodes
    lines = [f"{chain.name_zh} / {chain.name_en}  ({chain.id}, version {chain.version})",
             f"{len(nodes)} nodes, {len(chain.edges)} edges"]
    for stage in ("upstream", "midstream", "downstream"):
        part = nodes[nodes[C.STAGE] == stage]
        lines.append(f"\n{STAGE_ZH[stage]} {stage}: {len(part)} nodes")
        for segment, seg in part.groupby(C.SEGMENT, sort=False):
            names = ", ".join(f"{r[C.NODE_NAME_ZH]}" for _, r in seg.iterrows())
            lines.append(f"  {segment} ({len(seg)}): {names}")
    reach = sorted(((chain.downstream_reach(n), n) for n in chain.node_ids), reverse=True)[:top]
    lines.append("\nmost depended-on nodes (nodes downstream):")
    for count, node in reach:
        info = chain.node(node)
        lines.append(f"  {node:<24} {info[C.NODE_NAME_ZH]} / {info[C.NODE_NAME_EN]}: {count}")
    return "\n".join(lines)


def store_summary_text(summary: dict) -> str:
    """Format ``Store.summary()`` as aligned lines."""
    lines = ["store:"]
    for key, value in summary.items():
        if isinstance(value, dict):
            lines.append(f"  {key}:")
            lines.extend(f"    {k:<20} {v:>12,}" if isinstance(v, int) else f"    {k:<20} {v}"
                         for k, v in value.items())
        elif isinstance(value, int):
            lines.append(f"  {key:<22} {value:>12,}")
        else:
            lines.append(f"  {key:<22} {value}")
    return "\n".join(lines)
