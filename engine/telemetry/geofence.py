"""Which depot a position lies in: each depot's :class:`engine.domain.GeoFence`, a circle or a polygon.

Circle: inside when the great-circle distance to the centre (haversine, Earth radius 6,371,008.8 m) is at most the
radius. Polygon: ray casting on an equirectangular projection about the polygon's first corner,

    x = (lon - lon0) * cos(lat0),   y = lat - lat0

exact enough for a site's outline (an error far below a metre across a few kilometres away from the poles).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from engine.domain import Depot, GeoFence

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius [m]


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points [m] (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def inside(fence: GeoFence, lat: float, lon: float) -> bool:
    """Whether (``lat``, ``lon``) [deg] lies in the fence (module doc)."""
    if fence.polygon is None:
        return distance_m(fence.lat, fence.lon, lat, lon) <= fence.radius_m
    lat0, lon0 = fence.polygon[0]
    k = math.cos(math.radians(lat0))
    pts = [((b - lon0) * k, a - lat0) for a, b in fence.polygon]
    x, y = (lon - lon0) * k, lat - lat0
    crossings = False
    for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            crossings = not crossings
    return crossings


def depot_at(depots: Iterable[Depot], lat: float, lon: float) -> str | None:
    """The first depot (in the given order) whose fence holds the position; None if none does."""
    return next((d.id for d in depots if d.location is not None and inside(d.location, lat, lon)), None)
