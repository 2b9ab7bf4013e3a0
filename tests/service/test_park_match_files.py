"""A park manager downloads its own parks' matches as the files every export is (CSV, XLSX),
from the API and from the park's page, on SQLite and on PostgreSQL; another park is a 404 and
a role that may export nothing a 403. A firm's last contact, an outcome, shows only where the
key reads that firm's outcomes."""

from __future__ import annotations

import csv
import io
import uuid

import openpyxl
import pytest

from recommender.chain import load_chain
from recommender.store import database_url, open_store
from tests.conftest import pg_test_url
from tests.service.conftest import ROLES, service_app
from tests.service.pages.conftest import csrf_of
from tests.service.store_copies import copy_of, keys_of

OWN, OTHER = "dg_songshan_lake", "gz_nansha"  # the park manager's park, and another
FIRM_ID, CONTACT = ("企业编号", "Firm ID"), ("最近接触日期", "Last contact")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module", params=["sqlite",
                                        pytest.param("postgresql", marks=pytest.mark.postgres)])
def served(request, demo_store, tmp_path_factory):
    """(app, keys) over the demo world: a copy of the session's SQLite store, or the same world
    (300 firms, seed 1) built in a PostgreSQL schema of its own, dropped afterwards."""
    folder = tmp_path_factory.mktemp(f"park-files-{request.param}")
    if request.param == "sqlite":
        store, schema = copy_of(demo_store, folder), None
    else:
        from recommender.demo.install import build_demo

        admin = request.getfixturevalue("pg_admin")
        schema = f"cs_test_{uuid.uuid4().hex[:12]}"
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = database_url(pg_test_url()).update_query_dict(
            {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
        store = open_store(url)
        build_demo(n_firms=300, seed=1, out_dir=folder, chain=load_chain(), store=store)
    app = service_app(store, folder / "var")
    yield app, keys_of(store, ROLES)
    app.extensions["chainscout"].close()
    store.close()
    if schema:
        with request.getfixturevalue("pg_admin").begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def get(served):
    app, keys = served
    client = app.test_client()
    return lambda path, role: client.get(path, headers={"Authorization": f"Bearer {keys[role]}"})


def _rows(response) -> list[dict]:
    if response.mimetype == "text/csv":
        assert response.data.startswith("\ufeff".encode())  # Excel reads UTF-8 by its BOM
        return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _matched(get, park: str, k: int = 10) -> list[str]:
    response = get(f"/api/v1/parks/{park}/matches?k={k}", "officer")
    assert response.status_code == 200
    return [item["firm_id"] for item in response.get_json()["items"]]


@pytest.mark.parametrize(("fmt", "lang"), [("xlsx", "zh"), ("csv", "en")])
def test_a_park_manager_downloads_its_own_park_s_matches(get, fmt, lang):
    response = get(f"/api/v1/parks/{OWN}/matches?k=10&format={fmt}&lang={lang}",
                   "park_manager")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == ("text/csv" if fmt == "csv" else XLSX)
    assert f"{OWN}.{fmt}" in response.headers["Content-Disposition"]
    assert response.headers["X-Data-Version"]
    firm_id = FIRM_ID[0 if lang == "zh" else 1]
    rows = _rows(response)
    assert [row[firm_id] for row in rows] == _matched(get, OWN)
    # the officer's file of the same park lists the same firms in the same order
    officer = _rows(get(f"/api/v1/parks/{OWN}/matches?k=10&format={fmt}&lang={lang}",
                        "officer"))
    assert [row[firm_id] for row in officer] == [row[firm_id] for row in rows]


def test_the_file_is_laid_out_as_every_export(get):
    book = openpyxl.load_workbook(io.BytesIO(get(
        f"/api/v1/parks/{OWN}/matches?k=10&format=xlsx&lang=zh", "park_manager").data))
    sheet, about = book.worksheets
    assert sheet.title == "园区匹配" and sheet.freeze_panes == "C2"
    assert sheet.auto_filter.ref.endswith("11")
    assert {"匹配度（0–1）", "产业协同", "匹配理由"} <= {c.value for c in sheet[1]}
    assert any(row[0] == "名单" for row in about.iter_rows(values_only=True))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_another_park_is_a_404_and_a_viewer_a_403(get, error_body, fmt):
    error_body(get(f"/api/v1/parks/{OTHER}/matches?format={fmt}", "park_manager"), 404,
               "not_found")
    error_body(get("/api/v1/parks/nowhere/matches?format=csv", "park_manager"), 404,
               "not_found")
    refused = error_body(get(f"/api/v1/parks/{OWN}/matches?format={fmt}", "viewer"), 403,
                         "forbidden")
    assert "park_manager" in refused["details"]["roles"]
    assert get(f"/api/v1/parks/{OTHER}/matches?format={fmt}", "officer").status_code == 200


def test_an_ad_hoc_park_is_no_park_of_its_own(served, error_body):
    app, keys = served
    body = {"lat": 22.8, "lon": 113.6, "focus_nodes": ["vacuum_pumps"]}
    response = app.test_client().post("/api/v1/parks/match?format=csv", json=body,
                                      headers={"Authorization": f"Bearer {keys['park_manager']}"})
    error_body(response, 403, "forbidden")


def test_last_contact_shows_only_where_the_key_reads_the_outcomes(get):
    """With the excluded firms too, the file lists firms beyond the park's matched ones: their
    last contact, an outcome the park manager may not read, stays empty."""
    url = f"/api/v1/parks/{OWN}/matches?k=100&include_excluded=true&format=csv&lang=en"
    mine = {row[FIRM_ID[1]]: row[CONTACT[1]] for row in _rows(get(url, "park_manager"))}
    every = {row[FIRM_ID[1]]: row[CONTACT[1]] for row in _rows(get(url, "officer"))}
    assert mine.keys() == every.keys()
    readable = set(_matched(get, OWN, k=100))
    assert all(not mine[f] for f in mine if f not in readable)
    assert all(mine[f] == every[f] for f in mine if f in readable)


def test_the_park_page_offers_the_files_and_serves_them(served):
    app, keys = served
    for role, offered in (("park_manager", True), ("officer", True), ("viewer", False)):
        visitor = app.test_client()
        visitor.post("/login", data={"csrf_token": csrf_of(visitor), "api_key": keys[role]})
        page = visitor.get(f"/parks/{OWN}?k=10&lang=zh").get_data(as_text=True)
        assert ('id="park-export-xlsx"' in page) is offered, role
        if not offered:
            assert visitor.get(f"/parks/{OWN}/matches.xlsx?k=10").status_code == 403
            continue
        assert f"/parks/{OWN}/matches.xlsx?k=10" in page
        response = visitor.get(f"/parks/{OWN}/matches.csv?k=10&lang=zh")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert len(_rows(response)) == 10
    manager = app.test_client()
    manager.post("/login", data={"csrf_token": csrf_of(manager),
                                 "api_key": keys["park_manager"]})
    assert manager.get(f"/parks/{OTHER}/matches.xlsx").status_code == 404


def test_the_permission_is_data():
    from recommender.store.auth import PARK_EXPORT, roles_with

    assert roles_with(PARK_EXPORT) == ["admin", "park_manager"]
