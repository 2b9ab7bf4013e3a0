"""Which firms are local to a region, and how far every firm is from the region's core."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.firms.geocode import haversine_km

__all__ = ["core_distance_km", "local_mask"]


def local_mask(firms: pd.DataFrame, region, *, country: str = C.COUNTRY,
               province: str = C.PROVINCE, city: str = C.CITY) -> np.ndarray:
    """True for firms located in the region: its country, and its province or one of its cities.

    >>> from recommender.demo.world import load_region
    >>> frame = pd.DataFrame({"country": ["CN", "CN", "US"], "province": ["Guangdong", None, None],
    ...                       "city": ["Foshan", "Zhuhai", "Zhuhai"]})
    >>> local_mask(frame, load_region()).tolist()
    [True, True, False]
    """
    in_country = (firms[country].astype("string") == region.country).fillna(False)
    by_province = (firms[province].astype("string").str.casefold()
                   == region.name_en.casefold()).fillna(False)
    cities = {str(c).casefold() for c in region.cities[C.CITY_NAME_EN]}
    by_city = firms[city].astype("string").str.casefold().isin(cities).fillna(False)
    return (in_country & (by_province | by_city)).to_numpy(dtype=bool)


def core_distance_km(firms: pd.DataFrame, region, *, lat: str = C.LAT,
                     lon: str = C.LON) -> np.ndarray:
    """Great-circle distance of each firm to the region's core (NaN where unlocated)."""
    return haversine_km(firms[lat].to_numpy(dtype=float, na_value=np.nan),
                        firms[lon].to_numpy(dtype=float, na_value=np.nan),
                        region.core_lat, region.core_lon)
