"""A firm's portrait says where its facts came from and as of when, in zh and en: the fields
with a source of their own on a line each, the others on one line; over a copy of the demo
store."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from recommender import columns as C
from recommender.pipeline import freshness as F
from tests.service.conftest import ROLES, service_app
from tests.service.store_copies import keys_of

FIRM = "ref-hamamatsu"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def keys(own_store):
    store, _ = own_store
    return keys_of(store, ROLES)


@pytest.fixture(scope="module")
def app(own_store, keys):
    store, folder = own_store
    return service_app(store, folder / "var")


def _rows(html: str) -> list[list[str]]:
    table = re.search(r'<table class="compact field-sources" id="field-sources">(.*?)</table>',
                      html, re.S).group(1)
    body = table.split("<tbody>", 1)[1]
    return [[re.sub(r"<[^>]+>|\s+", " ", cell).strip() for cell in
             re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def test_the_portrait_lists_each_field_s_source_and_date(visitor, keys, login, own_store):
    store, _ = own_store
    login(keys["viewer"])
    firm = store.firm(FIRM)
    before = _rows(visitor.get(f"/firms/{FIRM}?lang=zh").get_data(as_text=True))
    assert firm["source"] == "reference"
    assert before == [["全部字段", "公开参考资料", firm["updated_at"].date().isoformat()]]

    F.record_source(store, "firms", FIRM, "滨松光子 2025 年年报", dt.date(2025, 12, 31),
                    field=C.EMPLOYEES, by="admin")
    F.record_source(store, "firms", FIRM, "滨松光子 2025 年年报", dt.date(2025, 12, 31),
                    field=C.REVENUE, by="admin")
    zh = _rows(visitor.get(f"/firms/{FIRM}?lang=zh").get_data(as_text=True))
    assert zh == [["员工人数、营业收入（百万美元）", "滨松光子 2025 年年报", "2025-12-31"],
                  ["其余字段", before[0][1], before[0][2]]]
    en = _rows(visitor.get(f"/firms/{FIRM}?lang=en").get_data(as_text=True))
    assert en[1][0] == "Other fields" and en[0][1:] == ["滨松光子 2025 年年报", "2025-12-31"]
    assert not CJK.search(en[0][0] + en[1][0] + en[1][1])  # the source's own name may be
