"""Fixtures of the store tests; the ``db_url`` and ``store`` fixtures are in tests/conftest.py."""

from __future__ import annotations

import pandas as pd
import pytest

from recommender import columns as C


@pytest.fixture
def firm_frame():
    """Return a function making three tiny firms (two real, one synthetic).

    Keyword arguments replace whole columns.
    """
    return make_firms


def make_firms(**overrides) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            C.FIRM_ID: ["ref-zeiss", "ref-keyence", "syn-000001"],
            C.FIRM_KEY: ["carl zeiss|DE", "keyence|JP", "synthetic optics 1|US"],
            C.NAME: ["Carl Zeiss", "Keyence", "Synthetic Optics 1"],
            C.NAME_ZH: ["蔡司", "基恩士", None],
            C.COUNTRY: ["DE", "JP", "US"],
            C.CITY: ["Oberkochen", "Osaka", None],
            C.LAT: [48.78, 34.69, None],
            C.LON: [10.10, 135.50, None],
            C.FOUNDED_YEAR: [1846, 1974, None],
            C.EMPLOYEES: [43000, 10000, 120],
            C.REVENUE: [10500.0, 6900.5, float("nan")],
            C.IS_LISTED: [False, True, None],
            C.IN_CHINA: [True, True, False],
            C.SOURCE: ["reference", "reference", "synthetic"],
            C.IS_SYNTHETIC: [False, False, True],
        }
    )
    return frame.assign(**overrides)
