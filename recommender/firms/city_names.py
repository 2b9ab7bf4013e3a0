"""City names as people read them: Chinese or English, whatever the data wrote.

Firms carry their city as the gazetteer names it (``Shenzhen``, ``Santa Rosa``), sometimes in
Chinese (``深圳市``). :func:`city_name` gives the name to show in ``zh`` or ``en``:

- Chinese cities, and those of Hong Kong, Macao and Taiwan: the built-in table of China's
  divisions (:mod:`recommender.firms.china_divisions`), which knows both names;
- other cities: ``CITY_NAMES_ZH``, the Chinese names of the cities in the product's data
  (``data/firms``, the demo world's hubs) as China's standard references write them
  (the Xinhua translations of foreign place names; Japanese and Korean cities by their
  characters in simplified form);
- any other city is shown as the data wrote it (a proper name with no Chinese name known).

>>> city_name("Shenzhen", "CN"), city_name("Santa Rosa", "US"), city_name("深圳市", "CN", "en")
('深圳', '圣罗莎', 'Shenzhen')
>>> city_name("Cambridge", "GB"), city_name("Cambridge", "US"), city_name("Nowhere", "US")
('剑桥', '坎布里奇', 'Nowhere')
"""

from __future__ import annotations

import functools

from recommender.firms.china_divisions import china_table, simplified
from recommender.firms.countries import normalise_country
from recommender.firms.place_names import has_cjk, name_key, text_or_none

__all__ = ["CITY_NAMES_ZH", "city_name", "city_names"]

# Country -> "English=中文; …": the cities of the product's data that the divisions table
# does not name.
CITY_NAMES_ZH = {
    "CN": "Yuyao=余姚",  # county-level: below the divisions table
    "US": "Andover=安多弗; Austin=奥斯汀; Beaverton=比弗顿; Billerica=比勒里卡; Boston=波士顿; "
          "Camas=卡马斯; Cambridge=坎布里奇; Chandler=钱德勒; Charlotte=夏洛特; Chicago=芝加哥; "
          "Corning=康宁; Dallas=达拉斯; Denver=丹佛; Everett=埃弗里特; Golden=戈尔登; "
          "Hillsboro=希尔斯伯勒; Houston=休斯敦; Los Angeles=洛杉矶; Marlborough=马尔伯勒; "
          "Milford=米尔福德; Milpitas=米尔皮塔斯; Minneapolis=明尼阿波利斯; Natick=内蒂克; "
          "New York=纽约; Newton=牛顿; North Reading=北雷丁; Pittsburgh=匹兹堡; Portland=波特兰; "
          "Raleigh=罗利; Salt Lake City=盐湖城; San Diego=圣迭戈; San Jose=圣何塞; "
          "Santa Clara=圣克拉拉; Santa Rosa=圣罗莎; Saxonburg=萨克森堡; Seattle=西雅图; "
          "St. Louis=圣路易斯; Thousand Oaks=千橡; Wallingford=沃灵福德; Waltham=沃尔瑟姆; "
          "Westminster=威斯敏斯特; Wilmington=威尔明顿",
    "JP": "Akishima=昭岛; Atsugi=厚木; Chigasaki=茅崎; Fukuoka=福冈; Hamamatsu=滨松; "
          "Kawasaki=川崎; Kobe=神户; Kyoto=京都; Nagaokakyo=长冈京; Nagoya=名古屋; Osaka=大阪; "
          "Otawara=大田原; Sagamihara=相模原; Sendai=仙台; Tokyo=东京; Ueda=上田; Yokohama=横滨",
    "DE": "Aachen=亚琛; Ahrensburg=阿伦斯堡; Asslar=阿斯拉尔; Berlin=柏林; Cologne=科隆; "
          "Ditzingen=迪青根; Dresden=德累斯顿; Duisburg=杜伊斯堡; Erlangen=埃尔朗根; "
          "Frankfurt=法兰克福; Gräfelfing=格雷费尔芬; Göttingen=哥廷根; Hamburg=汉堡; Hanau=哈瑙; "
          "Jena=耶拿; Karlsruhe=卡尔斯鲁厄; Lübeck=吕贝克; Mainz=美因茨; Maulburg=毛尔堡; "
          "Munich=慕尼黑; Neubiberg=诺伊比贝格; Oberkochen=上科亨; Reutlingen=罗伊特林根; "
          "Schönaich=舍奈希; Stuttgart=斯图加特; Traunreut=特劳恩罗伊特; Waldkirch=瓦尔德基希; "
          "Wetzlar=韦茨拉尔",
    "KR": "Busan=釜山; Daejeon=大田; Hongcheon=洪川; Hwaseong=华城; Incheon=仁川; "
          "Seongnam=城南; Seoul=首尔; Suwon=水原",
    "GB": "Abingdon=阿宾登; Bristol=布里斯托尔; Burgess Hill=伯吉斯希尔; Cambridge=剑桥; "
          "Edinburgh=爱丁堡; London=伦敦; Malvern=莫尔文; Manchester=曼彻斯特; Oxford=牛津; "
          "Wotton-under-Edge=埃奇河畔沃顿",
    "FR": "Grenoble=格勒诺布尔; Lyon=里昂; Paris=巴黎; Toulouse=图卢兹",
    "CH": "Basel=巴塞尔; Bern=伯尔尼; Flamatt=弗拉马特; Geneva=日内瓦; Greifensee=格赖芬塞; "
          "Haag=哈格; Reinach=赖纳赫; Sachseln=萨克塞尔恩; Stäfa=施泰法; Zurich=苏黎世",
    "IT": "Bologna=博洛尼亚; Milan=米兰; Rome=罗马; Turin=都灵",
    "IN": "Bengaluru=班加罗尔; Chennai=金奈; Hyderabad=海得拉巴; Mumbai=孟买; Pune=浦那",
    "NL": "Amsterdam=阿姆斯特丹; Delft=代尔夫特; Eindhoven=埃因霍温; Veldhoven=费尔德霍芬",
    "SE": "Gothenburg=哥德堡; Lund=隆德; Stockholm=斯德哥尔摩",
    "IL": "Haifa=海法; Jerusalem=耶路撒冷; Migdal HaEmek=米格达勒埃梅克; Rehovot=雷霍沃特; "
          "Tel Aviv=特拉维夫",
    "CA": "Montreal=蒙特利尔; Ottawa=渥太华; Toronto=多伦多; Vancouver=温哥华",
    "SG": "Singapore=新加坡",
    "AT": "Graz=格拉茨; Vienna=维也纳",
    "ES": "Barcelona=巴塞罗那; Madrid=马德里",
    "AU": "Melbourne=墨尔本; Sydney=悉尼",
    "DK": "Copenhagen=哥本哈根",
    "FI": "Espoo=埃斯波; Helsinki=赫尔辛基; Vantaa=万塔",
    "BE": "Brussels=布鲁塞尔; Leuven=鲁汶",
    "MY": "George Town=乔治市; Kuala Lumpur=吉隆坡",
    "CZ": "Brno=布尔诺",
    "LT": "Vilnius=维尔纽斯",
}
_REGIONS_OF_CHINA = ("CN", "HK", "MO", "TW")


def _key(name: str) -> str:
    """A city's lookup key: ``name_key`` without a trailing "city" ("New Taipei City")."""
    key = name_key(name)
    return key.removesuffix("city") or key


@functools.cache
def city_names() -> dict[tuple[str, str], tuple[str, str]]:
    """Return ``(country, key) -> (Chinese, English)`` for every city this module names.

    Chinese keys (``深圳``, ``深圳市``) are in the table too, so a city the data wrote in
    Chinese finds its English name. Where two Chinese divisions share an English name
    (Suzhou: 苏州 and 宿州), the first of the built-in table's order is kept.
    """
    table: dict[tuple[str, str], tuple[str, str]] = {}
    for members in china_table().by_province.values():
        for div in members.values():
            english = div.en.removesuffix(" City")
            for key in (_key(div.en), div.zh, div.zh + "市"):
                table.setdefault((div.country, key), (div.zh, english))
    for country, text in CITY_NAMES_ZH.items():
        for entry in text.split(";"):
            english, zh = (part.strip() for part in entry.split("="))
            table.setdefault((country, _key(english)), (zh, english))
            table.setdefault((country, zh), (zh, english))
    return table


def city_name(city, country=None, lang: str = "zh") -> str:
    """Return the name of ``city`` (in ``country``, a code or name) shown in ``lang``.

    A city this module does not know is returned as given (stripped); a missing one as "".
    Without a country, China and its regions are tried.

    >>> city_name("New Taipei", "TW"), city_name("Suzhou", "CN"), city_name(None)
    ('新北', '苏州', '')
    """
    text = text_or_none(city)
    if text is None:
        return ""
    iso2 = normalise_country(country) if country is not None else None
    key = simplified(text).removesuffix("市") if has_cjk(text) else _key(text)
    table = city_names()
    for code in (iso2,) if iso2 else _REGIONS_OF_CHINA:
        for variant in (key, key + "市") if has_cjk(text) else (key,):
            found = table.get((code, variant))
            if found is not None:
                return found[0] if lang == "zh" else found[1]
    return text
