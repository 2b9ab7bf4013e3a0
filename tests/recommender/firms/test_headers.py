import pandas as pd
import pytest

from recommender import columns as C
from recommender.firms.headers import FIRM_HEADERS, looks_chinese, map_headers


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("企业名称", C.NAME), ("统一社会信用代码", C.CREDIT_CODE), ("所属省份", C.PROVINCE),
        ("所属城市", C.CITY), ("国标行业", C.INDUSTRY_CODE), ("经营范围", C.BUSINESS_SCOPE),
        ("成立日期", "founded"), ("注册资本", "registered_capital"),
        ("Company Name", C.NAME), ("COUNTRY", C.COUNTRY), ("business_scope", C.BUSINESS_SCOPE),
        (" Ｃｉｔｙ ", C.CITY),  # full-width letters and spaces
    ],
)
def test_known_headers_map(header, target):
    frame, unmapped = map_headers(pd.DataFrame(columns=[header]), FIRM_HEADERS)
    assert list(frame.columns) == [target]
    assert unmapped == []


def test_second_alias_of_a_taken_column_is_left_unmapped():
    frame, unmapped = map_headers(pd.DataFrame(columns=["企业名称", "公司名称"]), FIRM_HEADERS)
    assert list(frame.columns) == [C.NAME, "公司名称"]
    assert unmapped == ["公司名称"]


def test_looks_chinese():
    assert looks_chinese(["企业名称", "所属城市", "id"])
    assert not looks_chinese(["name", "city", "企业"])
    assert not looks_chinese([])
