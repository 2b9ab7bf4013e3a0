"""The recruitment map page through the test client: login, the basemap, and the map's GeoJSON
answered as the API answers it (same bytes, same checks, the caller's park scope)."""

from __future__ import annotations

import json
import re

import pytest

NODE = "vacuum_pumps"
OWN_PARK = "dg_songshan_lake"  # the park manager's park (tests/service/conftest.py)
API_MAP = "/api/v1/maps/recruitment.geojson"
PAGE_MAP = "/map/recruitment.geojson"


def _coordinates(value) -> list:
    """Every (lon, lat) pair of a GeoJSON coordinates array."""
    if value and isinstance(value[0], int | float):
        return [value]
    return [pair for item in value for pair in _coordinates(item)]


def _features(response, layer: str | None = None) -> list[dict]:
    features = json.loads(response.get_data())["features"]
    return [f for f in features if layer is None or f["properties"].get("layer") == layer]


@pytest.fixture
def logged_in(visitor, keys, login):
    """``logged_in(role)``: the visitor, logged in with ``role``'s key."""

    def as_role(role: str):
        assert login(keys[role]).status_code == 302
        return visitor

    return as_role


# --- not logged in ---------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/map", f"/map?weak_link={NODE}", "/map/basemap.geojson",
                                  f"{PAGE_MAP}?weak_link={NODE}"])
def test_not_logged_in_goes_to_the_login_page(visitor, path):
    response = visitor.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


# --- the page --------------------------------------------------------------------------------
def test_the_page_loads_only_its_own_files(logged_in):
    response = logged_in("officer").get(f"/map?weak_link={NODE}")

    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "全球招商地图" in html and 'id="map-svg"' in html and 'id="map-legend"' in html
    assert f'<option value="{NODE}" selected>' in html
    assert not re.search(r'(src|href|action)="(https?:)?//', html)
    assert "<script>" not in html and " style=" not in html and not re.search(r" on\w+=", html)
    for name in ("map.js", "map.css"):
        assert f"/static/{name}" in html
        with logged_in("officer").get(f"/static/{name}") as asset:
            assert asset.status_code == 200
    assert "'self'" in response.headers["Content-Security-Policy"]


def test_the_page_speaks_english_on_request(logged_in):
    html = logged_in("viewer").get("/map?lang=en").get_data(as_text=True)
    assert "Global recruitment map" in html and "Legend" in html
    strings = json.loads(re.search(r"data-strings='([^']*)'", html).group(1))
    assert strings["map_tip_score"] == "Score"  # the script's strings, in the page's language
    # the script's links, built by the app (so they hold under a path prefix too)
    assert 'data-firm-url="/firms/"' in html and 'data-login-url="/login"' in html


def test_the_page_keeps_its_filters(logged_in):
    html = logged_in("viewer").get(
        f"/map?weak_link={NODE}&country=JP&size=large&k=7&parks=false"
        "&exclude_contacted=true").get_data(as_text=True)
    assert '<option value="JP" selected>' in html
    assert re.search(r'<option value="large,mega" title="[^"]+" selected>大型</option>', html)
    assert 'name="k" type="number" min="1" max="500" value="7"' in html
    assert re.search(r'id="map-parks"[^>]*value="true" >', html)  # unchecked
    assert re.search(r'id="map-exclude-contacted"[^>]*value="true" checked>', html)


@pytest.mark.parametrize(("stage", "label"), [
    ("mou", "签署合作备忘录"),
    ("none", "未接触"),
    ("declined,responded,visited,mou,invested", "已接触（任一进展）"),
    ("visited,invested", "实地考察 / 投资落地"),  # a combination asked in the URL
])
def test_the_page_keeps_its_stage_filter(logged_in, stage, label):
    html = logged_in("viewer").get(f"/map?weak_link={NODE}&stage={stage}").get_data(
        as_text=True)
    select = html.split('id="map-stage"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([^"]*)" selected>([^<]*)<', select) == [(stage, label)]


@pytest.mark.parametrize("stages", ["mou", "declined,invested", "none"])
def test_the_page_s_map_draws_the_firms_at_the_stages_asked(logged_in, client, keys, stages):
    node = "photodetectors"
    listed = client.get(f"/api/v1/weak-links/{node}/recommendations?k=40&page_size=40"
                        f"&stage={stages}", headers={"X-API-Key": keys["viewer"]}).get_json()
    mapped = _features(logged_in("viewer").get(
        f"{PAGE_MAP}?weak_link={node}&k=40&parks=false&stage={stages}"), "firms")
    everyone = _features(logged_in("viewer").get(
        f"{PAGE_MAP}?weak_link={node}&k=40&parks=false"), "firms")

    assert listed["items"]
    assert sorted(f["properties"]["firm_id"] for f in mapped) == sorted(
        i["firm_id"] for i in listed["items"] if i["lat"] is not None)
    assert {i["outcome_stage"] for i in listed["items"]} <= set(stages.split(","))
    assert mapped != everyone  # not the unfiltered map kept under the same key


def test_the_map_key_tells_stages_apart():
    from service.answers.map_data import map_key

    query = {"weak_link": NODE, "k": 5, "exclude_contacted": False, "parks": True}
    keys = {map_key({**query, "stage": stage}, None)
            for stage in (None, ["none"], ["mou"], ["mou", "invested"])}
    assert len(keys) == 4


def test_weak_links_are_ranked_only_for_roles_that_read_rankings(logged_in):
    ranked = logged_in("viewer").get("/map").get_data(as_text=True)
    first = re.search(r'<option value="([a-z_]+)" selected>\s*1\. ', ranked)
    assert first, "the weakest link, ranked 1, is chosen first"
    assert re.search(r'selected>\s*1\. [^<（(]+（薄弱程度 \d\.\d\d）', ranked)  # a named figure

    unranked = logged_in("park_manager").get("/map")
    assert unranked.status_code == 200
    html = unranked.get_data(as_text=True)
    options = re.findall(r'<option value="([a-z_]+)"[^>]*>\s*([^<]*)</option>',
                         html.split('id="map-weak-link"')[1].split("</select>")[0])
    assert len(options) > 10
    assert not any(re.match(r"\d+\. ", label) or re.search(r"\d+\.\d\d", label)
                   for _, label in options)


# --- the basemap -----------------------------------------------------------------------------
def test_the_basemap_is_the_world_s_countries(logged_in):
    response = logged_in("viewer").get("/map/basemap.geojson")

    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    document = json.loads(response.get_data())
    assert document["type"] == "FeatureCollection" and "crs" not in document
    assert {f["properties"]["layer"] for f in document["features"]} == {
        "countries", "maritime", "labels"}
    features = [f for f in document["features"] if f["properties"]["layer"] == "countries"]
    assert len(features) >= 200
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)
    ids = [f["id"] for f in features]
    assert len(set(ids)) == len(ids) and {"CN", "US", "DE", "BR", "AU"} <= set(ids)
    for feature in features:
        pairs = _coordinates(feature["geometry"]["coordinates"])
        assert pairs
        assert all(-180 <= lon <= 180 and -90 <= lat <= 90 for lon, lat in pairs)
        assert {"iso2", "name_zh", "name_en", "kind"} <= set(feature["properties"])
    assert not {"TW", "HK", "MO"} & set(ids)  # inside China's polygon


def test_the_basemap_names_places_in_chinese_and_english(logged_in):
    features = _features(logged_in("viewer").get("/map/basemap.geojson"))
    china = next(f for f in features if f["id"] == "CN")
    assert (china["properties"]["name_zh"], china["properties"]["name_en"]) == ("中国", "China")
    labels = {f["id"]: f["properties"] for f in features if f["properties"]["layer"] == "labels"}
    assert labels["label:CN"]["name_zh"] == "中国" and labels["beijing"]["name_zh"] == "北京"
    assert labels["taipei"]["name_en"] == "Taipei"
    line = next(f for f in features if f["properties"]["layer"] == "maritime")
    assert line["geometry"]["type"] in ("LineString", "MultiLineString")


def test_the_basemap_is_sent_compressed_and_light(logged_in):
    response = logged_in("viewer").get("/map/basemap.geojson",
                                       headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert len(response.get_data()) <= 300 * 1024


def test_the_page_s_map_is_sent_compressed(logged_in):
    import gzip

    client = logged_in("viewer")
    plain = client.get(f"{PAGE_MAP}?weak_link={NODE}&k=50")
    packed = client.get(f"{PAGE_MAP}?weak_link={NODE}&k=50", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == plain.get_data()


def test_the_basemap_joins_the_map_s_countries_by_id(logged_in):
    client = logged_in("viewer")
    basemap = {f["id"] for f in _features(client.get("/map/basemap.geojson"))}
    countries = {f["id"] for f in _features(client.get(f"{PAGE_MAP}?weak_link={NODE}&k=5"),
                                            "countries")}
    assert countries and countries <= basemap  # the countries with candidates


def test_the_basemap_is_cached_by_the_browser(logged_in):
    client = logged_in("viewer")
    page = client.get("/map").get_data(as_text=True)
    url = re.search(r'data-basemap-url="([^"]+)"', page).group(1).replace("&amp;", "&")
    response = client.get(url)
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


# --- the recruitment map, as the API answers it ----------------------------------------------
@pytest.mark.parametrize(("role", "query", "firms"), [
    ("viewer", f"weak_link={NODE}&k=20", True),
    ("officer", f"weak_link={NODE}&k=10&parks=false", True),
    ("officer", f"weak_link={NODE}&k=30&country=JP,DE", True),
    ("viewer", f"weak_link={NODE}&exclude_contacted=true", True),  # some were never contacted
    ("park_manager", f"weak_link={NODE}&k=20", True),
    ("admin", "weak_link=lasers&size=large,mega", True),
    ("viewer", f"weak_link={NODE}&k=30&stage=responded,mou", True),
    ("park_manager", "weak_link=photodetectors&stage=none&k=15", True),
    ("officer", f"weak_link={NODE}&stage=none", True),
    ("officer", f"weak_link={NODE}&stage=visited,mou", False),  # none of NODE got past responding
])
def test_the_page_s_map_is_the_api_s(logged_in, client, keys, active_version, role, query,
                                     firms):
    page = logged_in(role).get(f"{PAGE_MAP}?{query}")
    api = client.get(f"{API_MAP}?{query}", headers={"X-API-Key": keys[role]})

    assert page.status_code == api.status_code == 200, page.get_data(as_text=True)
    assert page.mimetype == "application/geo+json"
    assert page.headers["X-Model-Version"] == api.headers["X-Model-Version"] == active_version
    assert page.headers["X-Data-Version"] == api.headers["X-Data-Version"]
    assert _features(page) == _features(api)
    assert bool(_features(page, "firms")) is firms


def test_a_park_manager_s_map_shows_its_own_park_only(logged_in):
    query = f"weak_link={NODE}&k=20"
    own = {f["id"] for f in _features(logged_in("park_manager").get(f"{PAGE_MAP}?{query}"),
                                      "parks")}
    assert own == {OWN_PARK}


def test_a_viewer_s_map_shows_every_park(logged_in):
    parks = _features(logged_in("viewer").get(f"{PAGE_MAP}?weak_link={NODE}&k=20"), "parks")
    assert len(parks) > 1 and OWN_PARK in {f["id"] for f in parks}


@pytest.mark.parametrize(("query", "status", "code"), [
    ("weak_link=nowhere", 404, "not_found"),
    ("", 422, "validation_error"),
    (f"weak_link={NODE}&country=X1", 422, "validation_error"),
    (f"weak_link={NODE}&k=0", 422, "validation_error"),
    (f"weak_link={NODE}&size=huge", 422, "validation_error"),
    (f"weak_link={NODE}&stage=signed", 422, "validation_error"),
])
def test_bad_parameters_get_the_api_s_errors(logged_in, client, keys, error_body, query,
                                             status, code):
    page = logged_in("viewer").get(f"{PAGE_MAP}?{query}")
    api = client.get(f"{API_MAP}?{query}", headers={"X-API-Key": keys["viewer"]})

    page_error, api_error = error_body(page, status, code), error_body(api, status, code)
    assert page_error["message"] == api_error["message"]
    assert page_error["details"] == api_error["details"]


def test_a_downstream_node_gets_the_api_s_error(logged_in, client, keys, app):
    from service.runtime.state import state

    with app.app_context():
        links = state().snapshots.get().weak_links
    downstream = links.loc[~links["can_recruit"].astype(bool), "node_id"].iloc[0]
    page = logged_in("viewer").get(f"{PAGE_MAP}?weak_link={downstream}")
    api = client.get(f"{API_MAP}?weak_link={downstream}", headers={"X-API-Key": keys["viewer"]})
    assert page.status_code == api.status_code and page.status_code >= 400
    assert page.get_json()["error"]["code"] == api.get_json()["error"]["code"]


# --- the shared map functions ----------------------------------------------------------------
def test_the_basemap_is_built_once_a_process():
    from service.answers.map_data import basemap_geojson

    first = basemap_geojson()
    assert basemap_geojson() is first
    assert first.body.startswith(b'{"type":"FeatureCollection"') and len(first.etag) == 20


def test_weak_link_choices_rank_only_when_asked(app):
    from service.answers.map_data import weak_link_choices
    from service.runtime.state import state

    with app.app_context():
        snapshot = state().snapshots.get()
        ranked = weak_link_choices(snapshot, ranked=True)
        plain = weak_link_choices(snapshot, ranked=False)
    assert [c["rank"] for c in ranked] == list(range(1, len(ranked) + 1))
    assert {c["node_id"] for c in plain} == {c["node_id"] for c in ranked}
    chain_order = list(snapshot.data.chain.nodes["node_id"])
    assert [c["node_id"] for c in plain] == [n for n in chain_order
                                             if n in {c["node_id"] for c in plain}]
    assert all(set(c) == {"node_id", "name_zh", "name_en"} for c in plain)


# --- what the page shows ---------------------------------------------------------------------
def test_the_page_carries_the_inset_the_views_and_the_country_names(logged_in):
    html = logged_in("officer").get(f"/map?weak_link={NODE}").get_data(as_text=True)
    assert 'id="map-inset"' in html and "南海诸岛" in html
    assert 'data-preset="gba"' in html and "粤港澳大湾区" in html
    assert 'id="map-labels"' in html and 'id="map-maritime"' in html
    names = json.loads(re.search(r"data-country-names='([^']*)'", html).group(1))
    assert names.get("TW", "中国台湾") == "中国台湾" and names.get("JP") == "日本"
    options = html.split('id="map-country"')[1].split("</select>")[0]
    assert "Taiwan" not in options and "台湾" not in options.replace("中国台湾", "")

    english = logged_in("officer").get(f"/map?weak_link={NODE}&lang=en").get_data(as_text=True)
    assert "South China Sea Islands" in english and "Greater Bay Area" in english
    names = json.loads(re.search(r"data-country-names='([^']*)'", english).group(1))
    assert names.get("TW", "Taiwan, China") == "Taiwan, China" and names.get("JP") == "Japan"


def test_a_park_manager_s_map_opens_on_its_park_s_focus_link(logged_in, demo_store):
    focus = demo_store.parks().set_index("park_id").loc[OWN_PARK, "focus_nodes"]
    html = logged_in("park_manager").get("/map").get_data(as_text=True)
    chosen = re.search(r'<option value="([a-z_0-9]+)" selected>', html).group(1)
    assert chosen in set(focus)


def test_the_map_s_colours_read_on_the_basemap():
    """Firm marks, cluster counts and the maritime line keep 3:1 contrast (WCAG 2.1 1.4.11)
    against the sea, the land and China as map.css paints them."""
    from pathlib import Path

    css = (Path(__file__).resolve().parents[3] / "service/static/map.css").read_text()

    def fill(selector: str, prop: str = "fill") -> str:
        block = re.search(re.escape(selector) + r" \{([^}]*)\}", css).group(1)
        return re.search(prop + r": (#[0-9a-f]{6})", block).group(1)

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def contrast(a: str, b: str) -> float:
        hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
        return (hi + 0.05) / (lo + 0.05)

    sea, land, green, china = (fill(".sphere"), fill(".cand-0"), fill(".cand-4"),
                               fill(".country.china"))
    pairs = [(fill(".firm", "stroke"), [sea, land, green, china]),
             (fill(".cluster-mark", "stroke"), [sea, land, green, china]),
             (fill(".maritime", "stroke"), [sea, china]),
             (fill(".park-mark"), [sea, land, china])]
    for mark, backgrounds in pairs:
        for background in backgrounds:
            assert contrast(mark, background) >= 3, (mark, background)
