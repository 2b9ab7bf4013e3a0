"""The UI strings: one table from the per-area TOML files, every key in both languages, and
every key a page asks for defined."""

from __future__ import annotations

import pytest
from jinja2 import nodes

from service.pages.i18n import LANGUAGES, STRINGS, load_strings, translate


def test_every_string_has_both_languages():
    assert STRINGS and all(set(entry) == set(LANGUAGES) for entry in STRINGS.values())
    assert translate("dashboard", "zh") == "产业数据驾驶舱"
    assert translate("dashboard", "fr") == "产业数据驾驶舱"  # unknown language: Chinese


def test_a_key_defined_twice_is_refused(tmp_path):
    (tmp_path / "a.toml").write_text('x = { zh = "甲", en = "a" }\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('x = { zh = "乙", en = "b" }\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"b.toml: UI string 'x' is already defined in a.toml"):
        load_strings(tmp_path)


@pytest.mark.parametrize("entry", ['{ zh = "甲" }', '{ zh = "甲", en = "" }', '"plain"'])
def test_an_entry_without_both_languages_is_refused(tmp_path, entry):
    (tmp_path / "a.toml").write_text(f"x = {entry}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="needs a non-empty text"):
        load_strings(tmp_path)


# --- every key the pages ask for exists -------------------------------------------------------
def _named(node: nodes.Node) -> tuple[set[str], set[str]]:
    """The whole keys and the key prefixes (``'dash_stage_' ~ stage``) a ``t(...)`` argument
    names."""
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return {node.value}, set()
    if isinstance(node, nodes.CondExpr):
        (a, pa), (b, pb) = _named(node.expr1), _named(node.expr2)
        return a | b, pa | pb
    if isinstance(node, nodes.Concat) and isinstance(node.nodes[0], nodes.Const):
        return set(), {node.nodes[0].value}
    return set(), set()


def test_every_key_a_template_names_exists(app):
    env = app.jinja_env
    templates = [name for name in env.list_templates() if name.startswith("pages/")]
    assert len(templates) >= 9
    missing, prefixes = [], set()
    for name in templates:
        tree = env.parse(env.loader.get_source(env, name)[0])
        for call in tree.find_all(nodes.Call):
            if isinstance(call.node, nodes.Name) and call.node.name == "t" and call.args:
                keys, found = _named(call.args[0])
                missing += [f"{name}: {key}" for key in sorted(keys - set(STRINGS))]
                prefixes |= found
    missing += [f"no key starts with {p!r}" for p in sorted(prefixes)
                if not any(key.startswith(p) for key in STRINGS)]
    assert missing == []


@pytest.fixture
def asked(monkeypatch) -> set[str]:
    """The UI string keys looked up while a test runs that have no entry."""
    import service.pages.blueprint
    import service.pages.chain_graph
    import service.pages.maps
    import service.pages.portraits

    unknown: set[str] = set()

    def recording(key: str, lang: str) -> str:
        if key not in STRINGS:
            unknown.add(key)
        return translate(key, lang)

    for module in (service.pages.blueprint, service.pages.chain_graph, service.pages.maps,
                   service.pages.portraits):
        monkeypatch.setattr(module, "translate", recording)
    return unknown


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_finds_every_string_it_shows(visitor, keys, login, csrf, asked, lang):
    firm, park = "ref-keysight", "dg_songshan_lake"
    visitor.get(f"/login?lang={lang}")
    assert login("cs-not-a-key").status_code == 401
    assert visitor.post("/login", data={"api_key": "x"}).status_code == 400
    login(keys["park_manager"])
    for path, status in (("/", 403), ("/map", 200), ("/parks", 200), (f"/parks/{park}", 200),
                         (f"/firms/{firm}", 200)):
        assert visitor.get(path).status_code == status, path
    login(keys["officer"])
    for path, status in (("/", 200), ("/?node=vacuum_pumps&size=huge&targets_k=0", 422),
                         ("/?node=vacuum_pumps&exclude_contacted=true&k=100", 200),
                         ("/map", 200), ("/parks", 200), (f"/parks/{park}?excluded=1", 200),
                         (f"/firms/{firm}", 200), ("/firms/nobody", 404), ("/parks/none", 404)):
        assert visitor.get(path).status_code == status, path
    form = {"csrf_token": csrf(f"/firms/{firm}"), "node_id": "oscilloscopes", "stage": "2",
            "date": "2024-02-29", "campaign_id": f"i18n-{lang}"}
    assert visitor.post(f"/firms/{firm}", data={**form, "stage": "9"}).status_code == 422
    for _ in range(2):  # recorded, then the same again (a duplicate)
        assert visitor.post(f"/firms/{firm}", data=form).status_code == 303
        assert visitor.get(f"/firms/{firm}").status_code == 200
    login(keys["viewer"])
    assert visitor.post(f"/firms/{firm}", data={**form, "csrf_token": csrf("/")}) \
        .status_code == 403
    assert asked == set()
