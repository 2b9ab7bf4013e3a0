"""One engine: the command line, the JSON API and the dashboard rank a weak link alike.

Over the demo store and the active model, ``chainscout recommend --json``, ``GET
/api/v1/weak-links/<node>/recommendations`` and the dashboard page list the same top 50 firms,
in the same order, with the same reasons, because all three are queries of the library's
:class:`recommender.targeting.score_table.ScoreTable`.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

from recommender import columns as C

NODE = "vacuum_pumps"
K = 50
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class FirmRows(HTMLParser):
    """The firm id and the reason text of each row of the page's ``table#firms``."""

    def __init__(self, html: str):
        super().__init__()
        self.rows: list[tuple[str, str]] = []
        self._tables: list[str] = []
        self._firm: str | None = None
        self._reason: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._tables.append(attrs.get("id", ""))
        elif self._tables[-1:] == ["firms"]:
            if tag == "tr" and "data-firm" in attrs:
                self._firm = attrs["data-firm"]
            elif tag == "td" and attrs.get("class") == "reason":
                self._reason = []

    def handle_data(self, data):
        if self._reason is not None:
            self._reason.append(data)

    def handle_endtag(self, tag):
        if tag == "table" and self._tables:
            self._tables.pop()
        elif tag == "td" and self._reason is not None:
            self.rows.append((self._firm, "".join(self._reason).strip()))
            self._reason = None


@pytest.fixture
def served(app, active_version):
    """The snapshot serving now (the active model over the store as it is)."""
    return app.extensions["chainscout"].snapshots.get()


@pytest.fixture
def cli_rows(app, demo_store, active_version, monkeypatch) -> dict:
    """``chainscout recommend --json`` over the app's store and registry."""
    from recommender.cli import cli

    monkeypatch.setenv("CHAINSCOUT_DATABASE_URL", demo_store.url)
    monkeypatch.setenv("CHAINSCOUT_VAR_DIR", str(app.extensions["chainscout"].settings.var_dir))
    result = CliRunner().invoke(cli, ["recommend", "--weak-link", NODE, "--k", str(K),
                                      "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def api_items(client, as_role, active_version) -> list[dict]:
    response = client.get(f"/api/v1/weak-links/{NODE}/recommendations?k={K}&page_size={K}",
                          headers=as_role("viewer"))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["items"]


@pytest.fixture
def page_rows(app, keys, active_version) -> dict[str, list[tuple[str, str]]]:
    """The dashboard's firm rows for NODE with k=K, in Chinese and in English."""
    visitor = app.test_client()
    token = TOKEN.search(visitor.get("/login").get_data(as_text=True)).group(1)
    visitor.post("/login", data={"csrf_token": token, "api_key": keys["viewer"]})
    rows = {}
    for lang in ("zh", "en"):
        response = visitor.get(f"/?node={NODE}&k={K}&lang={lang}")
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        rows[lang] = FirmRows(response.get_data(as_text=True)).rows
    return rows


def test_the_cli_the_api_and_the_page_rank_alike(served, cli_rows, api_items, page_rows):
    rows = cli_rows["rows"]
    ids = [item[C.FIRM_ID] for item in api_items]

    assert len(ids) == K and len(set(ids)) == K
    assert [row[C.FIRM_ID] for row in rows] == ids
    assert [firm for firm, _ in page_rows["zh"]] == ids == [firm for firm, _ in page_rows["en"]]
    # the same reasons, in both languages, everywhere
    for lang, column in (("zh", C.REASON_ZH), ("en", C.REASON_EN)):
        assert [row[column] for row in rows] == [item[column] for item in api_items]
        assert [reason for _, reason in page_rows[lang]] == [item[column] for item in api_items]
    for row, item in zip(rows, api_items, strict=True):
        assert [r["feature"] for r in row[C.REASONS]] == [r["feature"] for r in item[C.REASONS]]
        assert [r["contribution"] for r in row[C.REASONS]] == pytest.approx(
            [r["contribution"] for r in item[C.REASONS]])
    # by the same model over the same data
    assert {row[C.MODEL_VERSION] for row in rows} == {served.model_version}
    assert {item[C.MODEL_VERSION] for item in api_items} == {served.model_version}
    assert [row[C.SCORE] for row in rows] == pytest.approx([i[C.SCORE] for i in api_items])
