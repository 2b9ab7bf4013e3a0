"""One language per page in Chromium: what a person sees once the pages' scripts have run
(the map's legend, status and tooltips, the dashboard's side panel), as an investment officer
and as a park manager, in zh and in en, with a screenshot of each page.

Visible text only (hidden elements aside), and what a page marks as not to be translated left
out as ``test_language.py`` does: ``<code>``, ``translate="no"``, another ``lang``.
"""

from __future__ import annotations

import pytest

from recommender import columns as C
from tests.service.pages.test_language import foreign_words

READY = "#map-root[data-state=ready]"
FIRM = "ref-keysight"
OWN_PARK = "dg_songshan_lake"
PAGES = {"officer": ("/", "/map", "/parks", f"/parks/{OWN_PARK}", f"/firms/{FIRM}"),
         "park_manager": ("/map", "/parks", f"/parks/{OWN_PARK}", f"/firms/{FIRM}")}

# The visible text of the page's elements, as (where, text): each text node's nearest element
# with an id names where it is; code, scripts, translate="no" and other languages left out.
VISIBLE_TEXT = """(lang) => {
  const skip = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const tag = e.tagName.toLowerCase();
      if (["code", "script", "style", "noscript"].includes(tag)) return true;
      if (e.getAttribute("translate") === "no") return true;
      const own = e.getAttribute("lang");
      if (own && own.split("-")[0] !== lang) return true;
      if (e.checkVisibility && !e.checkVisibility()) return true;
    }
    return false;
  };
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(/\\s+/g, " ").trim();
    const parent = node.parentElement;
    if (!text || !parent || skip(parent)) continue;
    const named = parent.closest("[id]");
    found.push([named ? named.id : parent.tagName.toLowerCase(), text]);
  }
  return found;
}"""


@pytest.fixture(scope="module")
def names(site_store) -> list[str]:
    """The proper names of the demo world: firms and parks, in either language."""
    found = {str(name) for frame, columns in ((site_store.firms(), (C.NAME, C.NAME_ZH)),
                                              (site_store.parks(), (C.NAME_EN, C.NAME_ZH)))
             for column in columns for name in frame[column].dropna() if str(name).strip()}
    return sorted(found, key=len, reverse=True)


def _wrong(page, lang: str, names: list[str]) -> list[str]:
    return [f"{where}: {' '.join(words)}  «{text[:100]}»"
            for where, text in page.evaluate(VISIBLE_TEXT, lang)
            if (words := foreign_words(text, lang, names))]


def _slug(path: str) -> str:
    return path.strip("/").replace("/", "-") or "dashboard"


def _logged_in(browse, keys, role: str, lang: str):
    """A page logged in as ``role`` that waits long enough for a loaded machine's first
    dashboard (the scores are computed on the first request)."""
    page = browse(None, lang=lang)
    page.set_default_timeout(120_000)
    page.fill("#api_key", keys[role])
    with page.expect_navigation():
        page.click("#login")
    return page


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("role", ["officer", "park_manager"])
def test_what_a_person_sees_is_in_one_language(browse, keys, site, shoot, names, role, lang):
    page = _logged_in(browse, keys, role, lang)
    page.set_viewport_size({"width": 1360, "height": 900})
    wrong = []
    for path in PAGES[role]:
        page.goto(f"{site}{path}")
        if path == "/map":
            page.wait_for_selector(READY)
            dot = page.locator("#map-firms circle.firm").first
            dot.hover(force=True)  # the tooltip: place, country, score
            page.locator("#map-tooltip").wait_for(state="visible")
        assert page.locator("html").get_attribute("lang") == ("zh-CN" if lang == "zh" else "en")
        wrong += [f"{path} {line}" for line in _wrong(page, lang, names)]
        shoot(page, f"language-{role}-{lang}-{_slug(path)}")
    assert wrong == [], "\n".join(wrong)


def test_the_country_menus_group_chinas_regions_under_china(browse, keys, site):
    page = _logged_in(browse, keys, "officer", "zh")
    page.goto(f"{site}/map")
    group = page.locator("#map-country optgroup#map-country-china")
    assert group.get_attribute("label") == "中国"
    inside = group.locator("option").all_inner_texts()
    assert inside and all(text.startswith("中国") for text in inside)
    others = page.locator("#map-country optgroup:not(#map-country-china) option").all_inner_texts()
    assert others and not any(text.startswith("中国") or text[:2].isascii() for text in others)
    page.goto(f"{site}/?node=oscilloscopes")
    chips = page.locator("#country-group-china label.chip").all_inner_texts()
    assert chips and all(text.startswith("中国") for text in chips)
