"""What the portraits show of the data's own texts in the other language: a foreign firm's
English description on a Chinese page is labelled as the original and not translated; a
chain link's keyword evidence is named in the page's language, other wording quoted; a park
is placed by its city and province, never by its id."""

from __future__ import annotations

import re

import pytest

from recommender.chain import load_chain
from service.answers.portraits import (
    EVIDENCE_KEYWORD,
    EVIDENCE_QUOTE,
    chain_keywords,
    evidence_parts,
)
from service.pages.portraits import evidence_shown

FIRM = "ref-keysight"  # English description; links by reference data
OWN = "dg_songshan_lake"


def _text(response) -> str:
    return response.get_data(as_text=True)


def _evidence_cells(html: str) -> dict[str, str]:
    """The evidence cell of each row of the chain-link table, by node id."""
    table = re.search(r'<table id="firm-nodes">.*?</table>', html, re.S).group(0)
    return {node: " ".join(cell.split()) for node, cell in re.findall(
        r'<tr data-node="([^"]+)">.*?<td class="reason evidence">(.*?)</td>', table, re.S)}


@pytest.fixture(scope="module")
def keywords():
    return chain_keywords(load_chain())


@pytest.mark.parametrize(("evidence", "scope", "expected"), [
    # an English keyword of the chain, in its plural: the node's keyword
    ("oscilloscopes", None, [(EVIDENCE_KEYWORD, "oscilloscopes", "en", None)]),
    # two Chinese keywords of one node, joined as the keyword baseline joins them
    ("白光干涉; 自准直仪", None, [(EVIDENCE_KEYWORD, "optical_measuring", "zh", None)] * 2),
    # wording of the source: a quote, "own" when the firm's text holds it
    ("LeCroy oscilloscopes", "Scopes (LeCroy Oscilloscopes).",
     [(EVIDENCE_QUOTE, None, "en", True)]),
    ("network/signal analysers", "Network and signal analysers.",
     [(EVIDENCE_QUOTE, None, "en", False)]),
    ("", None, []), (None, None, []), (float("nan"), None, []),
])
def test_evidence_is_split_into_keywords_and_quotes(keywords, evidence, scope, expected):
    parts = evidence_parts(keywords, "oscilloscopes", evidence, scope)
    assert [(p["kind"], p.get("node_id"), p["lang"], p.get("own")) for p in parts] == expected


def test_a_keyword_in_the_other_language_is_the_node_s_name_once(keywords):
    parts = evidence_parts(keywords, "optical_microscopes", "microscope; digital microscope")
    names = {"optical_microscopes": "光学显微镜"}
    assert evidence_shown(parts, names, "zh") == {"keywords": ["光学显微镜"], "quotes": []}
    assert evidence_shown(parts, names, "en")["keywords"] == ["microscope", "digital microscope"]


def test_a_foreign_firm_s_description_is_labelled_as_the_original(visitor, keys, login):
    login(keys["officer"])
    html = _text(visitor.get(f"/firms/{FIRM}"))
    assert re.search(r'<dt id="firm-scope-label">业务简介（英文原文）</dt>'
                     r'<dd class="prose original" id="firm-scope" lang="en" translate="no">'
                     r'Oscilloscopes', html)
    english = _text(visitor.get(f"/firms/{FIRM}?lang=en"))
    assert "<dt>Business description</dt>" in english and 'translate="no"' not in re.search(
        r'<dd[^>]*id="firm-scope"[^>]*>', english).group(0)


def test_the_served_firms_hold_no_texts_yet_the_portrait_shows_them(visitor, keys, login, app):
    # the snapshot keeps the firms without their texts (its memory at scale); a firm's page
    # reads that firm's own from the store
    from recommender import columns as C
    from recommender.ranking.dataset import LEAN_FIRM_COLUMNS, LEAN_LINK_COLUMNS

    login(keys["officer"])
    html = _text(visitor.get(f"/firms/{FIRM}"))
    firms = app.extensions["chainscout"].snapshots.get().data.firms
    assert list(firms.columns) == list(LEAN_FIRM_COLUMNS) and FIRM in set(firms[C.FIRM_ID])
    assert C.BUSINESS_SCOPE not in firms.columns
    links = app.extensions["chainscout"].snapshots.get().data.firm_nodes
    assert list(links.columns) == list(LEAN_LINK_COLUMNS) and C.EVIDENCE not in links.columns
    assert _evidence_cells(html)  # the links' evidence, read from the store for this firm
    scope = app.extensions["chainscout"].store.firms(firm_ids=[FIRM])[C.BUSINESS_SCOPE].iloc[0]
    shown = re.search(r'<dd[^>]*id="firm-scope"[^>]*>(.*?)</dd>', html, re.S).group(1)
    assert scope and shown.strip().startswith(scope[:40])


def test_a_chinese_scope_comes_as_it_is_in_zh_and_as_the_original_in_en(visitor, keys, login,
                                                                       app):
    login(keys["officer"])
    firms = app.extensions["chainscout"].store.firms()
    chinese = firms.loc[firms["business_scope"].str.contains("[\u4e00-\u9fff]", na=False),
                        "firm_id"].iloc[0]
    html = _text(visitor.get(f"/firms/{chinese}"))
    assert re.search(r'<dt>经营范围</dt><dd class="prose" id="firm-scope" lang="zh-CN">', html)
    english = _text(visitor.get(f"/firms/{chinese}?lang=en"))
    assert re.search(r'Business scope \(Chinese original\)</dt><dd class="prose original" '
                     r'id="firm-scope" lang="zh-CN" translate="no">', english)


def test_evidence_is_shown_in_the_page_s_language(visitor, keys, login):
    login(keys["officer"])
    cells = _evidence_cells(_text(visitor.get(f"/firms/{FIRM}")))
    assert cells["oscilloscopes"] == '<span class="keywords">示波器</span>'
    quoted = cells["rf_test"]  # the reference's wording, not one of the chain's keywords
    assert re.fullmatch(r'<span class="quote-label">依据(?:资料)?原文</span>「<span '
                        r'class="original" lang="en" translate="no">[^<]+</span>」', quoted)
    english = _evidence_cells(_text(visitor.get(f"/firms/{FIRM}?lang=en")))
    assert english["oscilloscopes"] == '<span class="keywords">oscilloscopes</span>'
    assert "依据" not in english["rf_test"] and 'class="quote"' in english["rf_test"]


@pytest.mark.parametrize(("lang", "place"), [
    ("zh", "广东省东莞市 · 粤港澳大湾区城市"),
    ("en", "Dongguan, Guangdong · Greater Bay Area city")])
def test_a_park_is_placed_by_its_city_not_its_id(visitor, keys, login, lang, place):
    login(keys["viewer"])
    html = _text(visitor.get(f"/parks/{OWN}?lang={lang}"))
    assert f'<span id="park-place">{place}</span>' in html
    head = re.search(r'<header class="portrait-head">.*?</header>', html, re.S).group(0)
    assert OWN not in head
