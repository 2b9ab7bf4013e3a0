"""Great-circle lines on a longitude/latitude map, cut at the antimeridian (RFC 7946 §3.1.9).

A flow from Los Angeles to Shenzhen follows the great circle over the Pacific. Drawn as one
straight segment in longitude/latitude it would cross the whole map the wrong way; drawn as a
densified line it crosses longitude ±180, where GeoJSON asks for the line to be split into a
MultiLineString whose parts each stay within [-180, 180].

>>> line = great_circle_line(-118.24, 34.05, 114.06, 22.54)
>>> line.geom_type, len(line.geoms)
('MultiLineString', 2)
"""

from __future__ import annotations

import numpy as np
import shapely

from recommender.firms.geocode import EARTH_RADIUS_KM

__all__ = ["MAX_POINTS", "MAX_SEGMENT_KM", "great_circle_line", "great_circle_points",
           "split_antimeridian"]

MAX_SEGMENT_KM = 100.0  # densify so that no straight piece is longer than this
MAX_POINTS = 512  # ... but never use more vertices than this for one line


def _unit_vector(lon: float, lat: float) -> np.ndarray:
    lam, phi = np.radians(lon), np.radians(lat)
    return np.array([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def great_circle_points(lon1: float, lat1: float, lon2: float, lat2: float, *,
                        max_segment_km: float = MAX_SEGMENT_KM,
                        max_points: int = MAX_POINTS) -> np.ndarray:
    """Return points along the shorter great circle from one place to another.

    Longitudes are unwrapped (continuous): they start at ``lon1`` and may leave [-180, 180]
    where the path crosses the antimeridian; :func:`split_antimeridian` brings them back.

    Returns
    -------
    ndarray of shape (n, 2)
        Longitude, latitude in degrees; the first and last rows are the two places.

    Examples
    --------
    >>> pts = great_circle_points(0, 0, 90, 0, max_segment_km=2000)
    >>> pts.shape, pts[-1].round(6).tolist()
    ((7, 2), [90.0, 0.0])
    """
    a, b = _unit_vector(lon1, lat1), _unit_vector(lon2, lat2)
    omega = float(np.arccos(np.clip(a @ b, -1.0, 1.0)))
    n = int(np.clip(np.ceil(omega * EARTH_RADIUS_KM / max_segment_km), 1, max_points - 1))
    t = np.linspace(0.0, 1.0, n + 1)[:, None]
    if np.sin(omega) < 1e-12:
        if omega < 1.0:  # the same place (or nearly): a straight piece is the path
            xyz = (1 - t) * a + t * b
        else:  # antipodes: every great circle through both is as short; go over a pole
            north = np.array([0.0, 0.0, 1.0]) if abs(a[2]) < 0.99 else np.array([1.0, 0, 0])
            u = north - (north @ a) * a
            u /= np.linalg.norm(u)
            xyz = np.cos(t * np.pi) * a + np.sin(t * np.pi) * u
    else:
        xyz = (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
    lon = np.degrees(np.arctan2(xyz[:, 1], xyz[:, 0]))
    lat = np.degrees(np.arcsin(np.clip(xyz[:, 2], -1.0, 1.0)))
    lon = np.unwrap(lon, period=360.0)
    lon += lon1 - lon[0]  # start exactly at lon1 (arctan2 may give -180 for +180)
    out = np.column_stack([lon, lat])
    out[0] = (lon1, lat1)
    out[-1, 1] = lat2
    return out


def split_antimeridian(points: np.ndarray) -> list[np.ndarray]:
    """Cut a line with unwrapped longitudes into parts that each stay within [-180, 180].

    At each crossing of longitude 180 (+ k x 360) the latitude is interpolated linearly
    between the two vertices around it; one part ends on one side of the antimeridian and
    the next starts on the other side at the same latitude. Parts of fewer than two distinct
    points are left out.

    Examples
    --------
    >>> parts = split_antimeridian(np.array([[170.0, 0.0], [190.0, 10.0]]))
    >>> [p.tolist() for p in parts]
    [[[170.0, 0.0], [180.0, 5.0]], [[-180.0, 5.0], [-170.0, 10.0]]]
    """
    pts = np.asarray(points, dtype=float)
    # cell k holds longitudes in (180 (2k - 1), 180 (2k + 1)]; cell 0 is (-180, 180]
    cell = np.ceil((pts[:, 0] - 180.0) / 360.0).astype(np.int64)
    cell[0] = 0 if -180.0 <= pts[0, 0] <= 180.0 else cell[0]
    if (cell[1:] == cell[0]).all():  # no crossing (most lines): one part, vectorised
        arr = pts.copy()
        arr[:, 0] -= 360.0 * cell[0]
        keep = np.ones(len(arr), bool)
        keep[1:] = np.any(np.diff(arr, axis=0) != 0, axis=1)
        arr = arr[keep]
        return [arr] if len(arr) >= 2 else []
    parts: list[list[tuple[float, float]]] = [[tuple(pts[0])]]
    current = cell[0]
    for i in range(1, len(pts)):
        p, q = pts[i - 1], pts[i]
        while cell[i] != current:
            step = 1 if cell[i] > current else -1
            edge = 180.0 * (2 * current + step)  # the boundary between current and next
            frac = (edge - p[0]) / (q[0] - p[0]) if q[0] != p[0] else 0.0
            lat = p[1] + frac * (q[1] - p[1])
            parts[-1].append((edge, lat))
            parts.append([(edge, lat)])
            current += step
        parts[-1].append(tuple(q))
    out = []
    for k, part in _with_cells(parts, cell[0]):
        arr = np.asarray(part, dtype=float)
        arr[:, 0] -= 360.0 * k
        keep = np.ones(len(arr), bool)
        keep[1:] = np.any(np.diff(arr, axis=0) != 0, axis=1)
        arr = arr[keep]
        if len(arr) >= 2:
            out.append(arr)
    return out


def _with_cells(parts: list, first: int):
    """Pair each part with its cell (the shift that brings it into [-180, 180])."""
    k = first
    for i, part in enumerate(parts):
        if i:
            # the part starts on the boundary it was cut at; a vertex after it tells the side
            probe = part[1][0] if len(part) > 1 else part[0][0]
            k = int(np.ceil((probe - 180.0) / 360.0))
        yield k, part


def great_circle_line(lon1: float, lat1: float, lon2: float, lat2: float, *,
                      max_segment_km: float = MAX_SEGMENT_KM,
                      max_points: int = MAX_POINTS):
    """Return the densified great circle between two places as a shapely geometry.

    A LineString when the path stays on one side of the antimeridian, else a MultiLineString
    split there (RFC 7946 §3.1.9): no piece of it spans more than 180 degrees of longitude.

    Examples
    --------
    >>> great_circle_line(113.9, 22.5, 2.35, 48.86).geom_type  # Shenzhen - Paris
    'LineString'
    """
    parts = split_antimeridian(great_circle_points(lon1, lat1, lon2, lat2,
                                                   max_segment_km=max_segment_km,
                                                   max_points=max_points))
    if len(parts) == 1:
        return shapely.linestrings(parts[0])
    return shapely.multilinestrings([shapely.linestrings(p) for p in parts])
