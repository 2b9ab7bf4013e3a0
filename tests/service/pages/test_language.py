"""Chinese throughout in zh, English throughout in en: every page, in both languages, as an
administrator, an investment officer, a park manager and a chain leader's liaison.

Every HTML page the pages' blueprint serves on GET (found in the app's URL map, so that a new
page is checked without being listed here), its error states (a 404, a 403, a 422 query, an
outcome form refused) and the login page are rendered through the test client. What a person
reads is taken from each page: text, and the ``title``, ``aria-label``, ``placeholder``,
``alt`` and ``label`` attributes, the options of every menu, a button's value and the strings
a page hands its script (``data-strings``, ``data-country-names``). A zh page then fails on a
Latin word (an ISO code, an English word), an en page on a Chinese character, except for:

- proper names of the data: firms' and parks' names in either language;
- a few names and abbreviations that are written so in both languages (``ALLOWED``);
- what the page marks as not to be translated: ``<code>`` (ids, versions), ``translate="no"``
  and an element whose ``lang`` is another language (a firm's other-language name);
- web addresses and tokens with digits (credit codes, versions, units after a number).

What those exceptions let through is checked too: no page shows a snake_case id
(``dg_songshan_lake``) or an unrounded float, not even in ``<code>`` or ``translate="no"``;
and what a page marks as another language is a proper name, or the data's original text
marked ``translate="no"`` (a foreign firm's description, a quote of evidence).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from recommender import columns as C
from recommender.store import auth
from recommender.store import models as M
from recommender.store import pipeline_tables as PT
from tests.service.conftest import service_app
from tests.service.pages.conftest import csrf_of
from tests.service.store_copies import OWN_PARK, copy_of

# Written so in Chinese text too: the product's name, file formats, codes and units.
ALLOWED = frozenset({
    "ChainScout", "API", "CSV", "XLSX", "Excel", "GeoJSON", "HS", "HHI", "ISIN", "MVA", "Tab",
    "FPGA", "MEMS", "CT",
})
FIRM, OTHER_PARK = "ref-keysight", "gz_nansha"
ROLES = ("admin", "officer", "park_manager", "leader")
PEOPLE = {"admin": ("王芳", "信息中心"), "officer": ("张三", "招商一科"),
          "park_manager": ("李四", "松山湖园区管委会"),
          "leader": ("赵六", "采购部")}  # proper names, read as such in en
PARAMS = {C.FIRM_ID: FIRM, C.PARK_ID: OWN_PARK}
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "label")
SCRIPT_DATA = ("data-strings", "data-country-names", "data-city-names")
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "param", "source", "track", "wbr"})
SKIPPED = frozenset({"script", "style", "code"})

LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
NOT_WORDS = re.compile(
    r"[a-z][a-z0-9+.-]*://\S+"  # web addresses
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
    r"|\b(?:[\w-]+\.)+(?:com|cn|net|org|de|jp|io|co|uk|tw|hk|kr|ch|fr|nl|se|eu)\b"  # domains
    r"|\b\w*\d\w*\b")  # credit codes, versions, numbers with units


# --- what a person reads on a page ------------------------------------------------------------
class ReadText(HTMLParser):
    """Collect the text a person reads: ``(where, text)`` pairs, where is the innermost id."""

    def __init__(self, lang: str):
        super().__init__(convert_charrefs=True)
        self.lang = lang
        self.stack: list[tuple[str, bool, str]] = []  # (tag, skipped, where)
        self.found: list[tuple[str, str]] = []

    @property
    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    @property
    def where(self) -> str:
        return self.stack[-1][2] if self.stack else "page"

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        where = f"{tag}#{attrs['id']}" if attrs.get("id") else (
            f"{self.where} > {tag}" if tag in ("option", "th", "td", "label") else self.where)
        own_lang = (attrs.get("lang") or self.lang).split("-")[0]
        skipped = (self.skipping or tag in SKIPPED or attrs.get("translate") == "no"
                   or own_lang != self.lang)
        if not skipped:
            for name in READ_ATTRIBUTES:
                if attrs.get(name):
                    self.found.append((f"{where}[{name}]", attrs[name]))
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.found.append((f"{where}[value]", attrs["value"]))
            for name in SCRIPT_DATA:
                if attrs.get(name):
                    self.found += [(f"{where}[{name}]", text)
                                   for text in json.loads(attrs[name]).values()]
        if tag not in VOID:
            self.stack.append((tag, skipped, where))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, -1, -1):  # forgiving: close up to the tag
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        if data.strip() and not self.skipping:
            self.found.append((self.where, " ".join(data.split())))


def read_text(html: str, lang: str) -> list[tuple[str, str]]:
    """The ``(where, text)`` pairs a person reads on a page in ``lang``."""
    reader = ReadText(lang)
    reader.feed(html)
    reader.close()
    return reader.found


def foreign_words(text: str, lang: str, names: list[str]) -> list[str]:
    """What in ``text`` is not in ``lang``: Latin words in zh, Chinese in en; proper names
    (``names``, longest first), ``ALLOWED`` and ``NOT_WORDS`` aside.

    >>> foreign_words("德国 · DE · Keysight 是德科技 www.keysight.com", "zh", ["Keysight"])
    ['DE']
    >>> foreign_words("Germany · 德国 · 是德科技 Keysight", "en", ["是德科技"])
    ['德国']
    """
    for name in names:
        if name in text:
            text = text.replace(name, " ")
    if lang == "zh":
        text = NOT_WORDS.sub(" ", text)
        return [word for word in LATIN_WORD.findall(text)
                if len(word) > 1 and word not in ALLOWED]
    return CHINESE.findall(text)


def test_reading_skips_code_other_languages_and_scripts():
    html = ('<p title="提示 hint">正文 <code>syn-1</code> <span lang="en">Keysight</span>'
            '<span translate="no">ISO</span><script>var x = "英文";</script>'
            '<select><option value="DE">德国</option></select>'
            '<div data-strings=\'{"a": "加载 loading"}\'>end<br>tail</div></p>')
    assert read_text(html, "zh") == [("page[title]", "提示 hint"), ("page", "正文"),
                                     ("page > option", "德国"),
                                     ("page[data-strings]", "加载 loading"),
                                     ("page", "end"), ("page", "tail")]


# --- the pages --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(demo_store, tmp_path_factory):
    """An app over a copy of the demo store (outcomes and a project are written), a key per
    role, the proper names of its firms and parks, and the sample of each URL parameter."""
    from recommender.pipeline.projects import create_project

    folder = tmp_path_factory.mktemp("language")
    store = copy_of(demo_store, folder)
    keys = {role: auth.create_key(store, role, name=PEOPLE[role][0], unit=PEOPLE[role][1],
                                  park_ids=[OWN_PARK] if role == "park_manager" else [],
                                  firm_id=FIRM if role == "leader" else None)[0]
            for role in ROLES}
    app = service_app(store, folder / "var")
    firms = store.firms()
    parks = store.parks()
    names = [*(text for person in PEOPLE.values() for text in person)]
    names += [str(name) for frame, columns in ((firms, (C.NAME, C.NAME_ZH)),
                                              (parks, (C.NAME_EN, C.NAME_ZH)))
             for column in columns if column in frame for name in frame[column].dropna()
             if str(name).strip()]
    project = create_project(store, {C.FIRM_ID: FIRM, C.NODE_ID: "oscilloscopes"},
                             by=PEOPLE["officer"][0])
    params = {**PARAMS, PT.PROJECT_ID: project["id"]}
    yield app, keys, sorted(set(names), key=len, reverse=True), params
    store.close()


def _visitor(app, key: str | None, lang: str):
    visitor = app.test_client()
    visitor.get(f"/login?lang={lang}")
    if key is not None:
        response = visitor.post("/login", data={"csrf_token": csrf_of(visitor),
                                                "api_key": key})
        assert response.status_code == 302, response.get_data(as_text=True)
    return visitor


def _page_paths(app, params: dict) -> list[str]:
    """Every GET route of the pages, its parameters filled with a sample."""
    paths = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("pages.") or "GET" not in rule.methods:
            continue
        unknown = set(rule.arguments) - set(params)
        # files (CSV, XLSX) are no pages: their routes take a format
        assert not unknown or rule.endpoint in ("pages.export_file", "pages.park_matches_file"), \
            f"{rule.rule}: give a sample for {sorted(unknown)} in PARAMS"
        if unknown:
            continue
        paths.append(rule.build({name: params[name] for name in rule.arguments})[1])
    return sorted(set(paths))


def _states(role: str, params: dict) -> list[tuple[str, str]]:
    """Pages beyond the plain GETs: filters, error pages, other firms and parks."""
    states = [("GET", "/firms/nobody"), ("GET", "/parks/nowhere"), ("BROWSE", "/no/such/page"),
              ("GET", f"/firms/{FIRM}?record_node=oscilloscopes")]
    if role == "leader":
        states.append(("NEED", "/leader-needs"))
    if role in ("admin", "officer"):
        states += [("GET", "/?node=vacuum_pumps&size=huge&targets_k=0"),
                   ("GET", "/?node=vacuum_pumps&exclude_contacted=true&k=100"),
                   ("GET", "/?node=oscilloscopes&country=CN&country=TW&country=HK"),
                   ("GET", f"/parks/{OTHER_PARK}?excluded=1&k=50"),
                   ("GET", "/map?weak_link=vacuum_pumps&country=TW"),
                   ("POST", f"/firms/{FIRM}")]
    return states


def _outcome_form(visitor, firm_id: str) -> dict:
    """An outcome form with every kind of mistake: a stage out of range, a date after today
    and a campaign too long."""
    return {"csrf_token": csrf_of(visitor, f"/firms/{firm_id}"), C.NODE_ID: "oscilloscopes",
            C.OUTCOME_STAGE: "9", C.DATE: "2999-01-01", C.CAMPAIGN_ID: "x" * 300, C.NOTE: ""}


@pytest.fixture(scope="module")
def rendered(world) -> dict[tuple[str, str], list[tuple[str, int, str]]]:
    """Every page as (path, status, html), by (role, lang); ``None`` role: logged out."""
    app, keys, _, params = world
    pages: dict[tuple[str, str], list[tuple[str, int, str]]] = {}
    for lang in ("zh", "en"):
        visitor = _visitor(app, None, lang)
        seen = [("/login", *_html(visitor.get("/login")))]
        seen.append(("/login (bad key)", *_html(visitor.post(
            "/login", data={"csrf_token": csrf_of(visitor), "api_key": "cs-wrong"}))))
        seen.append(("/login (no token)", *_html(visitor.post("/login",
                                                             data={"api_key": "x"}))))
        pages[(None, lang)] = seen
        for role in ROLES:
            visitor = _visitor(app, keys[role], lang)
            seen = []
            for path in _page_paths(app, params):
                seen.append((path, *_html(visitor.get(path))))
            for method, path in _states(role, params):
                if method == "GET":
                    seen.append((path, *_html(visitor.get(path))))
                elif method == "BROWSE":  # as a browser asks: HTML first
                    seen.append((f"{path} (browser)", *_html(visitor.get(path, headers=BROWSER))))
                elif method == "NEED":  # a need out of range, a date that is none
                    response = visitor.post(path, data={
                        "csrf_token": csrf_of(visitor, path), C.NODE_ID: "oscilloscopes",
                        C.NEED: "9", M.NEED_BY: "soon",
                        M.NEED_SUPPLIER_COUNTRIES: "德国、Atlantis"})
                    seen.append((f"POST {path}", *_html(response)))
                else:
                    response = visitor.post(path, data=_outcome_form(visitor, FIRM))
                    seen.append((f"POST {path}", *_html(response)))
            pages[(role, lang)] = seen
    return pages


def _html(response) -> tuple[int, str]:
    return response.status_code, (response.get_data(as_text=True)
                                  if response.mimetype == "text/html" else "")


def test_every_page_is_rendered(rendered):
    statuses = {path: status for (role, _), seen in rendered.items() if role == "officer"
                for path, status, _ in seen}
    assert statuses["/"] == 200 and statuses["/map"] == 200
    assert statuses["/firms/nobody"] == 404
    assert statuses[f"POST /firms/{FIRM}"] == 422
    assert statuses["/?node=vacuum_pumps&size=huge&targets_k=0"] == 422
    manager = {path: status for path, status, _ in rendered[("park_manager", "zh")]}
    assert manager["/"] == 403
    refused = {lang: next(html for path, _, html in rendered[("officer", lang)]
                          if path == f"POST /firms/{FIRM}") for lang in ("zh", "en")}
    assert "进展日期不能晚于" in refused["zh"] and "须在 0 到 4 之间" in refused["zh"]
    assert "An outcome cannot be dated after" in refused["en"]
    assert statuses["/no/such/page (browser)"] == 404
    leader = {path: status for path, status, _ in rendered[("leader", "zh")]}
    assert leader["POST /leader-needs"] == 422
    html_pages = sum(1 for seen in rendered.values() for _, _, html in seen if html)
    assert html_pages >= 2 * (3 + 3 * 12)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("role", [None, *ROLES])
def test_a_page_speaks_one_language(world, rendered, role, lang):
    _, _, names, _ = world
    wrong = []
    for path, status, html in rendered[(role, lang)]:
        for where, text in read_text(html, lang):
            words = foreign_words(text, lang, names)
            if words:
                wrong.append(f"{path} ({status}) {where}: {' '.join(words)}  «{text[:120]}»")
    if wrong:
        pytest.fail(f"{len(wrong)} words in the wrong language:\n" + "\n".join(wrong),
                    pytrace=False)


@pytest.mark.parametrize("role", auth.ROLES)
def test_every_role_has_words_in_both_languages(role):
    from service.pages.blueprint import role_text

    zh, en = role_text(role, "zh"), role_text(role, "en")
    assert zh != f"role_{role}" and CHINESE.fullmatch(zh) and foreign_words(en, "en", []) == []
    assert role_text("leader", "zh") == "链主企业联络员"


@pytest.mark.parametrize(("lang", "words"),
                         [("zh", "没有这个页面"), ("en", "There is no such page")])
def test_a_browser_gets_errors_as_a_page_in_its_language_and_the_api_its_json(world, lang, words):
    app, keys, _, _ = world
    visitor = _visitor(app, keys["officer"], lang)
    page = visitor.get("/no/such/page", headers=BROWSER)
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert words in page.get_data(as_text=True)
    assert page.headers["X-Request-ID"] in page.get_data(as_text=True)
    for plain in (visitor.get("/no/such/page"), visitor.get("/api/v1/nothing", headers=BROWSER)):
        assert plain.status_code == 404 and plain.mimetype == "application/json"
        assert plain.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("message", [
    "Missing data for required field.", "Not a valid integer.", "Not a valid date.",
    "Must be greater than or equal to 0 and less than or equal to 4.",
    "Length must be between 1 and 200.", "Longer than maximum length 4000.",
    "an outcome cannot be dated after 2026-12-08", "'lasers' is not a node of the chain",
    "too many requests for this key; retry in 12 s",
    "picked 0 of k=30: there are no candidates",
    "picked 3 of k=30: no weak link has a positive weight",
    "picked 12 of k=30: only 12 candidate firm(s) can add coverage (p > 0 on a weighted "
    "link, not excluded; 4 excluded)",
    "picked 20 of k=30: the cap of 5 firm(s) per home country allows at most 20 from the 4 "
    "countries of the candidates",
    "picked 29 of k=30: the other candidates add no further expected coverage",
    "something no page has words for",
])
def test_a_message_of_the_api_is_shown_in_the_pages_language(message):
    from service.pages.i18n import MESSAGES, STRINGS, message_text

    assert all(key in STRINGS for _, key in MESSAGES)
    zh, en = message_text(message, "zh"), message_text(message, "en")
    assert CHINESE.search(zh) and foreign_words(zh, "zh", []) == []
    assert foreign_words(en, "en", []) == []
    numbers = set(re.findall(r"\d+", message))  # every figure the message gives, and no other
    assert set(re.findall(r"\d+", zh)) == set(re.findall(r"\d+", en)) <= numbers
    assert (zh == "此项输入无效。") == (message == "something no page has words for")


SIZE_WORDS = {"zh": ["大型", "中型", "小型", "微型"], "en": ["large", "medium", "small", "micro"]}
NOT_SIZE_WORDS = re.compile(
    r"特大型|极微型|超大型|(?<!中)小微|\b(?:nano|mega|mid-size|very large)\b", re.IGNORECASE)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sizes_are_read_in_the_four_words_of_the_national_standard(rendered, lang):
    """大型, 中型, 小型, 微型 (large, medium, small, micro) on every page; never the data's six
    classes by name (特大型, 极微型, nano, mega) nor 小微."""
    wrong = [f"{role} {path}: {text[:80]}" for (role, page_lang), seen in rendered.items()
             if page_lang == lang for path, _, html in seen
             for _, text in read_text(html, lang) if NOT_SIZE_WORDS.search(text)]
    assert wrong == []
    dashboard = next(html for path, _, html in rendered[("officer", lang)]
                     if path == "/?node=vacuum_pumps&exclude_contacted=true&k=100")
    chips = [text for where, text in read_text(dashboard, lang)
             if where == "fieldset#size-filter > label" and not text.isdigit()]
    assert chips == SIZE_WORDS[lang]


# --- ids and raw figures, even where a page marks text as not to be translated ---------------
SNAKE_ID = re.compile(r"(?<![\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-])")  # dg_songshan_lake
RAW_FLOAT = re.compile(r"(?<![\w.])\d+\.\d{5,}(?![\d°])")  # 0.6000000001, 22.920000


class AllText(ReadText):
    """Every text of a page but its scripts and styles: what ``<code>`` and ``translate="no"``
    hold too, which a person reads as well."""

    def handle_starttag(self, tag, attrs):
        where = dict(attrs).get("id")
        skipped = self.skipping or tag in ("script", "style")
        if tag not in VOID:
            self.stack.append((tag, skipped, f"{tag}#{where}" if where else self.where))


def all_text(html: str) -> list[tuple[str, str]]:
    reader = AllText("zh")
    reader.feed(html)
    reader.close()
    return reader.found


def test_reading_all_text_keeps_code_and_skips_scripts():
    html = ('<p id="a">园区 <code>dg_songshan_lake</code><span translate="no">x_y</span>'
            '<script>var a_b = 1;</script><style>.a_b {}</style></p>')
    assert all_text(html) == [("p#a", "园区"), ("p#a", "dg_songshan_lake"), ("p#a", "x_y")]
    assert SNAKE_ID.findall("dg_songshan_lake · a-b_c · /x_y · 2.5 · 园区_a") == [
        "dg_songshan_lake"]
    assert RAW_FLOAT.findall("0.6000000001 · 0.525 · 22.9200° · 1,234.5") == ["0.6000000001"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_page_shows_a_snake_case_id_or_a_raw_float(rendered, lang):
    """A park, node or segment id (``dg_songshan_lake``, ``vacuum_pumps``) belongs in addresses
    and the key columns of exports, a float in a figure rounded for reading: neither in what
    a person reads, be it marked as code or as not to be translated."""
    wrong = sorted({f"{role} {path} {where}: {found}"
                    for (role, page_lang), seen in rendered.items() if page_lang == lang
                    for path, _, html in seen for where, text in all_text(html)
                    for found in SNAKE_ID.findall(text) + RAW_FLOAT.findall(text)})
    assert wrong == [], "\n".join(wrong)


class OtherLanguage(ReadText):
    """The texts a page marks as in another language but not as not to be translated."""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        outer_lang = self.stack[-1][2] if self.stack else self.lang
        own = (attrs.get("lang") or outer_lang).split("-")[0]
        kept = (self.skipping or tag in ("script", "style") or attrs.get("translate") == "no")
        if tag not in VOID:
            self.stack.append((tag, kept, own))

    def handle_data(self, data):
        if data.strip() and not self.skipping and self.stack and self.stack[-1][2] != self.lang:
            self.found.append((self.stack[-1][2], " ".join(data.split())))


def test_reading_other_language_texts():
    html = ('<p>正文 <span lang="en">Keysight</span> <dd lang="en" translate="no">Maker of '
            'oscilloscopes</dd><td lang="en"><b>oscilloscopes</b></td></p>')
    reader = OtherLanguage("zh")
    reader.feed(html)
    assert reader.found == [("en", "Keysight"), ("en", "oscilloscopes")]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_text_in_the_other_language_is_a_name_or_an_original_not_to_translate(
        world, rendered, lang):
    """What a page leaves in the other language is a proper name (a firm's other name), or
    the data's original text (a business scope, a quote of evidence) labelled in the page's
    language and marked ``translate="no"``: never a keyword or a description passed off as
    the page's own words. Names are the data's firms and parks, a chain link's other name and
    each language's own name on the language switch."""
    from recommender.chain import load_chain

    chain = load_chain()
    names = {*world[2], "中文", "English", *(chain.node(node)[column] for node in chain.node_ids
                                             for column in (C.NODE_NAME_ZH, C.NODE_NAME_EN))}
    wrong = []
    for (role, page_lang), seen in rendered.items():
        if page_lang != lang:
            continue
        for path, _, html in seen:
            reader = OtherLanguage(lang)
            reader.feed(html)
            wrong += [f"{role} {path}: «{text[:80]}»" for _, text in reader.found
                      if text not in names]
    assert not wrong, "\n".join(sorted(set(wrong)))
