"""The recruitment map in Chromium as a Chinese government office reads it: China's boundary
as standard maps draw it (one polygon, Taiwan inside), the maritime boundary line, the South
China Sea inset on views of the whole of China, labels in the page's language, firms of one
place as one mark that opens to their list, and the Greater Bay Area view with each park named
(console errors and other hosts fail the test: see ``conftest.py``)."""

from __future__ import annotations

READY = "#map-root[data-state=ready]"


def _labels(page) -> list[str]:
    return page.evaluate("""() => Array.from(document.querySelectorAll('#map-labels .label'))
        .filter(g => getComputedStyle(g).display !== 'none')
        .map(g => g.textContent.trim())""")


def test_the_map_draws_china_the_inset_and_chinese_labels(browse, site, shoot):
    page = browse("officer")
    page.set_viewport_size({"width": 1360, "height": 900})
    page.goto(f"{site}/map?k=100")
    page.wait_for_selector(READY)

    assert page.locator("#map-countries path.china").count() == 1
    assert page.locator('#map-countries path[data-id="TW"]').count() == 0
    assert page.locator("#map-maritime path.maritime").count() == 1
    # the whole world, China with it: the inset is drawn, with China and the line
    assert page.locator("#map-root").get_attribute("data-inset") == "shown"
    inset = page.locator("#map-inset-frame")
    assert inset.is_visible() and "南海诸岛" in inset.inner_text()
    assert page.locator("#map-inset path.china").count() == 1
    assert page.locator("#map-inset path.maritime").count() == 1
    box = inset.bounding_box()
    assert box["width"] > 60 and box["height"] > 60
    # labels in Chinese
    shown = _labels(page)
    assert {"中国", "美国", "北京", "上海"} <= set(shown)
    assert not {"China", "Beijing", "Taiwan", "台湾"} & set(shown)
    # a tooltip on China names it in Chinese
    assert page.locator("#map-legend").is_visible()
    assert "南海断续线" in page.locator("#map-legend").inner_text()
    shoot(page, "map-china-1-world-zh")

    # firms of one place: one mark with their count, which opens to their list
    clusters = page.locator("#map-firms .cluster")
    if clusters.count():
        first = clusters.first
        count = int(first.get_attribute("data-count"))
        assert count >= 2 and first.locator("text").text_content() == str(count)
        first.dispatch_event("click")
        page.wait_for_selector("#map-root[data-list=open]")
        assert page.locator("#map-list li a").count() == count
        shoot(page, "map-china-2-list")
        page.click(".map-list-close")
        assert page.locator("#map-list").is_hidden()
    firms = page.locator("#map-firms circle.firm").count()
    marks = page.locator("#map-firms > a circle.firm").count() + clusters.count()
    assert 0 < marks <= firms

    # the Greater Bay Area: no inset (China is not whole in view), each park its own named mark
    page.click("[data-preset=gba]")
    assert page.locator("#map-root").get_attribute("data-inset") == "hidden"
    assert page.locator("#map-inset-frame").is_hidden()
    parks = page.locator("#map-parks .park")
    assert parks.count() >= 10
    names = page.locator("#map-parks .park-label")
    assert names.first.is_visible()
    spots = {(round(b["x"] / 4), round(b["y"] / 4))
             for b in (parks.nth(i).locator(".park-mark").bounding_box()
                       for i in range(parks.count()))}
    assert len(spots) == parks.count()  # no two parks on one spot
    assert any("光明科学城" in (names.nth(i).text_content() or "") for i in range(names.count()))
    shoot(page, "map-china-3-gba")

    page.click("[data-preset=china]")
    assert page.locator("#map-root").get_attribute("data-inset") == "shown"
    shoot(page, "map-china-4-china")


def test_the_map_in_english_names_places_as_china_writes_them(browse, site, shoot):
    page = browse("viewer", lang="en")
    page.set_viewport_size({"width": 1360, "height": 900})
    page.goto(f"{site}/map?lang=en")
    page.wait_for_selector(READY)
    shown = _labels(page)
    assert {"China", "United States", "Beijing"} <= set(shown)
    assert "中国" not in shown
    assert "South China Sea Islands" in page.locator("#map-inset-frame").inner_text()
    options = page.locator("#map-country option").all_inner_texts()
    assert not any(text.strip().endswith(("· Taiwan", "· Hong Kong", "· Macao"))
                   for text in options)
    shoot(page, "map-china-5-world-en")
