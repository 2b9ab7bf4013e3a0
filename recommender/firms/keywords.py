"""Keyword baseline: link business descriptions (经营范围) to chain nodes by the nodes' keywords.

Every keyword of every node (``keywords_zh`` and ``keywords_en``) is compiled once into a
:class:`KeywordMatcher`; :func:`assign_nodes_by_keywords` then scans any number of texts with
it. Matching rules:

- case-insensitive;
- a keyword starting with a CJK character matches as a substring (Chinese has no word
  breaks);
- any other keyword must start a word and end one: it may not touch a Latin letter or digit
  on either side ("MEMS传感器" needs no space before it in Chinese text, but "xMEMS传感器"
  does not match). A keyword without CJK characters also matches its simple English plural
  ("oscilloscope" finds "oscilloscopes", "battery" finds "batteries", "lasers" finds only
  "lasers");
- a space or hyphen inside a keyword matches a space, a hyphen or nothing ("x-ray" finds
  "x ray" and "xray"; "flow meter" finds "flowmeter");
- matches do not overlap, and at a given position the longest keyword wins, so
  "mass spectrometer" counts for ``mass_spectrometers`` and not also for ``spectrometers``.

Confidence of a (text, node) link, with ``k`` the number of distinct keywords of the node
found in the text and ``p`` the relative position of the node's first hit (its start offset
divided by the text's length, 0 at the start, approaching 1 at the end)::

    confidence = (1 - 0.4 ** k) * (1 - 0.25 * p)

One hit at the start scores 0.6, two 0.84, three 0.936; a hit at the very end keeps three
quarters of that, because descriptions lead with the firm's main business.

A link is *sure* (:data:`SURE_CONFIDENCE`, 0.54) when one keyword of the node stands in the
first 40 % of the text, or two or more stand anywhere in it: the main business, or a product
named twice. The learned classifier never drops a sure link (its keyword floor).

Firms that serve chip makers
----------------------------
A text whose firm licenses chip IP or sells assembly and test services (:data:`NON_MAKER_ROLES`)
names chips because its customers make them, not because it does: it gets no link to a
*device node*, a node whose every HS code is a semiconductor device or an integrated circuit
(:data:`DEVICE_HEADINGS`). "used in analog ICs" in an assembly house's description does not
make it a maker of analog chips. A role phrase that follows words of buying it ("outsources
its assembly and test services") is not the firm's own business; nor is one that is neither in
the first sentence, where a description states the main business, nor borne out by customers
who make chips (foundries, fabless design houses); and a firm that sells its products to
equipment makers (OEMs, ODMs) makes chips even if it licenses IP too.

The texts are scanned as one joined string by two compiled regular expressions, each a
trie of keywords (those starting with a CJK character, and the others), and hits are
grouped with numpy, so a million texts of a hundred characters take seconds, not minutes.

>>> from recommender.chain import load_chain
>>> texts = pd.Series(["数字示波器、万用表的研发与销售", "Restaurant and catering services"])
>>> assign_nodes_by_keywords(texts, load_chain())[["row", "node_id", "evidence"]]
   row        node_id evidence
0    0  oscilloscopes    数字示波器
1    0    multimeters      万用表
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.chain import KEYWORDS_EN, KEYWORDS_ZH, Chain
from recommender.columns import CONFIDENCE, EVIDENCE, HS_CODES, METHOD, NODE_ID
from recommender.exceptions import InvalidArgument

__all__ = [
    "DEVICE_HEADINGS",
    "EVIDENCE_SEPARATOR",
    "METHOD_KEYWORD",
    "NON_MAKER_ROLES",
    "ROW",
    "SURE_CONFIDENCE",
    "KeywordMatcher",
    "assign_nodes_by_keywords",
    "device_nodes",
    "non_maker_roles",
]

ROW = "row"  # the index value of the text a link comes from
METHOD_KEYWORD = "keyword"
EVIDENCE_SEPARATOR = "; "

SURE_CONFIDENCE = 0.54  # (1 - 0.4) * (1 - 0.25 * 0.4): one keyword in the first 40 %
_HIT_BASE = 0.4  # each further distinct keyword removes 60 % of the remaining doubt
_POSITION_PENALTY = 0.25  # a first hit at the very end keeps 75 % of the confidence

_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_SEPARATORS = re.compile(r"[ \t\-]+")  # inside a keyword; texts are joined with "\n"
_SEP = object()  # trie token for a space or hyphen inside a keyword
_SEP_RE = r"[ \t\-]?"
_TEXT_JOIN = "\n"

DEVICE_HEADINGS = ("8541", "8542")  # HS headings: semiconductor devices, integrated circuits
# Businesses that name chips without making them: (role, zh, en, patterns on lowered text).
NON_MAKER_ROLES = (
    ("ip_licensing", "芯片IP授权", "chip IP licensing", (
        r"\bip (?:blocks?|cores?|librar(?:y|ies)|licens\w*|vendors?|providers?)\b",
        r"\b(?:semiconductor|silicon|chip|design|interface) ip\b",
        r"\bintellectual property (?:blocks?|cores?|licens\w*)\b",
        r"\blicens(?:es|ing) (?:its |of )?(?:[\w/-]+ )?(?:chip|semiconductor|circuit|memory|fpga|"
        r"processor|rf)\w* (?:technolog(?:y|ies)|ip|designs?)\b",
        r"(?:芯片|半导体|硅)ip", r"ip核", r"ip授权")),
    ("assembly_test", "封装测试服务", "assembly and test services", (
        r"\b(?:assembl(?:y|ing)|packag(?:e|ing)) and test(?:ing)? services?\b",
        r"\b(?:ic|chip|semiconductor) (?:assembly|packaging) services?\b",
        r"\bosat\b", r"封装测试服务", r"封测服务", r"封装和测试服务", r"封测代工")),
)
_ROLE_PATTERN = re.compile("|".join(
    f"(?P<{role}>{'|'.join(patterns)})" for role, _, _, patterns in NON_MAKER_ROLES))
# Words just before a role phrase that make it something the firm buys, not sells.
_BUYS = re.compile(r"(?:outsourc\w*|third[- ]part\w*|subcontract\w*|rel(?:y|ies) on|"
                   r"purchas\w*|procur\w*|委外|外包)[^.;。；]{0,40}$")
_BUYS_WINDOW = 60
# A role is the firm's own business when its first sentence names it, or when its customers
# are chip makers; a firm that sells its own products to equipment makers makes chips.
_FIRST_SENTENCE = re.compile(  # "Inc." or "Co." in a firm's name ends no sentence
    r"(?<!\binc)(?<!\bco)(?<!\bltd)(?<!\bcorp)(?<!\bplc)[.!?]\s+(?=[a-z])|[。！？；;]")
_SERVES_CHIP_MAKERS = re.compile(
    r"\b(?:foundr(?:y|ies)|integrated devices? manufacturers|idms?|fabless|design houses|"
    r"semiconductor companies|chip ?makers|chip companies)\b|晶圆厂|芯片设计(?:企业|公司)")
_SELLS_TO_MAKERS = re.compile(
    r"\b(?:sells?|markets?|supplies|supply)\b[^.;]{0,80}\b(?:original equipment manufacturers|"
    r"original design manufacturers|oems?|odms?)\b|向(?:整机|终端)厂商销售")


@dataclass(frozen=True, eq=False)
class KeywordMatcher:
    """Compiled keyword patterns of one chain; build once with :meth:`from_chain`, reuse.

    Attributes
    ----------
    node_ids : tuple of str
        The chain's node ids, in file order.
    keywords : pandas.DataFrame
        One row per (node, keyword): ``node_id``, ``keyword`` (as written in the chain) and
        ``language`` ("zh" or "en", the list it came from).

    Examples
    --------
    >>> from recommender.chain import load_chain
    >>> matcher = KeywordMatcher.from_chain(load_chain())
    >>> matcher.find("Maker of digital oscilloscopes and vacuum pumps")
    [('oscilloscopes', 'digital oscilloscope', 9), ('vacuum_pumps', 'vacuum pump', 35)]
    """

    node_ids: tuple[str, ...]
    keywords: pd.DataFrame
    _cjk_pattern: re.Pattern | None
    _word_pattern: re.Pattern | None
    _entries_by_key: dict[str, tuple[int, ...]]
    _entry_node: np.ndarray
    _entry_keyword: tuple[str, ...]
    device_nodes: frozenset[str] = frozenset()

    @classmethod
    def from_chain(cls, chain: Chain) -> KeywordMatcher:
        """Compile the keywords of ``chain``.

        Examples
        --------
        >>> from recommender.chain import load_chain
        >>> len(KeywordMatcher.from_chain(load_chain()).keywords) > 500
        True
        """
        node_ids = tuple(chain.node_ids)
        rows: list[tuple[str, str, str]] = []
        entry_node: list[int] = []
        entry_keyword: list[str] = []
        entries_by_key: dict[str, list[int]] = {}
        entry_of: dict[tuple[int, str], int] = {}
        cjk_trie: dict = {}
        word_trie: dict = {}
        for node_pos, node_id in enumerate(node_ids):
            node = chain.node(node_id)
            for language, column in (("zh", KEYWORDS_ZH), ("en", KEYWORDS_EN)):
                for keyword in node[column]:
                    rows.append((node_id, keyword, language))
                    lowered = keyword.lower().strip()
                    # Spellings that differ only by case, spaces or hyphens ("flow meter",
                    # "flowmeter") are one keyword: they count as one hit, not two.
                    entry = entry_of.setdefault((node_pos, _normalise(lowered)), len(entry_node))
                    if entry == len(entry_node):
                        entry_node.append(node_pos)
                        entry_keyword.append(keyword)
                    if _CJK.match(lowered):
                        variants, trie = [lowered], cjk_trie
                    elif _CJK.search(lowered):  # "mems传感器": starts a word, then Chinese
                        variants, trie = [lowered], word_trie
                    else:
                        variants, trie = _with_plurals(lowered), word_trie
                    for variant in variants:
                        _trie_insert(trie, variant)
                        targets = entries_by_key.setdefault(_normalise(variant), [])
                        if entry not in targets:
                            targets.append(entry)
        cjk_pattern = re.compile(_trie_regex(cjk_trie)) if cjk_trie else None
        # Consuming the character before a word (texts are joined and prefixed with "\n")
        # keeps the pattern's first item a character class, which lets the regex engine skip
        # ahead quickly; a look-behind would make it test every position.
        word_pattern = (
            re.compile(r"[^a-z0-9](?:" + _trie_regex(word_trie) + r")(?![a-z0-9])")
            if word_trie
            else None
        )
        return cls(
            node_ids=node_ids,
            keywords=pd.DataFrame(rows, columns=[NODE_ID, "keyword", "language"]),
            _cjk_pattern=cjk_pattern,
            _word_pattern=word_pattern,
            _entries_by_key={k: tuple(v) for k, v in entries_by_key.items()},
            _entry_node=np.asarray(entry_node, dtype=np.int64),
            _entry_keyword=tuple(entry_keyword),
            device_nodes=frozenset(device_nodes(chain)),
        )

    def find(self, text: str) -> list[tuple[str, str, int]]:
        """Return the keyword hits in one text as (node id, keyword, start offset), in order.

        A keyword shared by two nodes gives one tuple per node.
        """
        lowered = text.lower() if isinstance(text, str) else ""
        starts, keys = self._scan(_TEXT_JOIN + lowered)
        hits = [
            (self.node_ids[self._entry_node[entry]], self._entry_keyword[entry], start - 1)
            for start, key in sorted(zip(starts, keys, strict=True))
            for entry in self._entries_by_key[key]
        ]
        return hits

    def assign(
        self,
        texts: pd.Series | Iterable[str],
        *,
        min_hits: int = 1,
        row_col: str = ROW,
        node_col: str = NODE_ID,
        confidence_col: str = CONFIDENCE,
        evidence_col: str = EVIDENCE,
        method_col: str = METHOD,
    ) -> pd.DataFrame:
        """Link each text to the nodes whose keywords it contains.

        See :func:`assign_nodes_by_keywords`, which this implements.
        """
        if isinstance(min_hits, bool) or not isinstance(min_hits, int) or min_hits < 1:
            raise InvalidArgument(f"min_hits must be a positive integer, got {min_hits!r}")
        if not isinstance(texts, pd.Series):
            texts = pd.Series(list(texts), dtype=object)
        columns = [row_col, node_col, confidence_col, evidence_col, method_col]
        lowered = [t.lower() if isinstance(t, str) else "" for t in texts.tolist()]
        lengths = np.fromiter(map(len, lowered), dtype=np.int64, count=len(lowered))
        # Text i occupies big[begins[i] : begins[i] + lengths[i]]; each is preceded by "\n".
        begins = np.cumsum(lengths + 1) - lengths
        starts, keys = self._scan(_TEXT_JOIN + _TEXT_JOIN.join(lowered))
        if not starts:
            return _empty(columns)

        key_entries = [self._entries_by_key[key] for key in keys]
        counts = np.fromiter(map(len, key_entries), dtype=np.int64, count=len(keys))
        entry = np.fromiter(
            (e for group in key_entries for e in group), dtype=np.int64, count=int(counts.sum())
        )
        starts_arr = np.repeat(np.asarray(starts, dtype=np.int64), counts)
        text_pos = np.searchsorted(begins, starts_arr, side="right") - 1
        text_pos = text_pos.astype(np.int64)
        node = self._entry_node[entry]
        offset = starts_arr - begins[text_pos]
        # Order hits by text, node and position; keep each keyword's first hit only.
        order = np.lexsort((offset, node, text_pos))
        text_pos, node, entry, offset = text_pos[order], node[order], entry[order], offset[order]
        first_of_keyword = ~pd.Series(text_pos * len(self._entry_node) + entry).duplicated()
        keep = first_of_keyword.to_numpy()
        text_pos, node, entry, offset = text_pos[keep], node[keep], entry[keep], offset[keep]

        # One link per run of equal (text, node); its first row holds the earliest hit.
        new_link = np.ones(len(text_pos), dtype=bool)
        new_link[1:] = (text_pos[1:] != text_pos[:-1]) | (node[1:] != node[:-1])
        link_start = np.flatnonzero(new_link)
        n_hits = np.diff(np.append(link_start, len(text_pos)))
        keyword = np.asarray(self._entry_keyword, dtype=object)[entry]
        evidence = keyword[link_start]
        for i in np.flatnonzero(n_hits > 1):
            begin = link_start[i]
            evidence[i] = EVIDENCE_SEPARATOR.join(keyword[begin : begin + n_hits[i]])

        link_text, link_node = text_pos[link_start], node[link_start]
        position = np.minimum(offset[link_start] / np.maximum(lengths[link_text], 1), 1.0)
        confidence = np.round(
            (1.0 - _HIT_BASE**n_hits) * (1.0 - _POSITION_PENALTY * position), 4
        )
        chosen = np.flatnonzero(n_hits >= min_hits)
        if self.device_nodes and len(chosen):  # firms that serve chip makers make no chips
            device = np.isin(np.asarray(self.node_ids, dtype=object), list(self.device_nodes))
            roles = non_maker_roles(lowered)
            served = np.fromiter((r is not None for r in roles), dtype=bool, count=len(roles))
            chosen = chosen[~(served[link_text[chosen]] & device[link_node[chosen]])]
        if not len(chosen):
            return _empty(columns)
        chosen = chosen[np.lexsort((link_node[chosen], -confidence[chosen], link_text[chosen]))]
        return pd.DataFrame({
            row_col: texts.index.take(link_text[chosen]),
            node_col: np.asarray(self.node_ids, dtype=object)[link_node[chosen]],
            confidence_col: confidence[chosen],
            evidence_col: evidence[chosen],
            method_col: METHOD_KEYWORD,
        })

    def _scan(self, big: str) -> tuple[list[int], list[str]]:
        """Return start offsets and normalised keys of all hits in an already lowered string."""
        starts: list[int] = []
        keys: list[str] = []
        cjk_ends: list[int] = []
        key_of: dict[str, str] = {}  # matched text -> key; the same words recur a lot
        word_key_of: dict[str, str] = {}  # the same for word hits, which carry a lead character
        if self._cjk_pattern is not None:
            for m in self._cjk_pattern.finditer(big):
                found = m.group()
                key = key_of.get(found) or key_of.setdefault(found, _normalise(found))
                starts.append(m.start())
                cjk_ends.append(m.end())
                keys.append(key)
        cjk_starts = starts[:]
        if self._word_pattern is not None:
            for m in self._word_pattern.finditer(big):
                start, end = m.start() + 1, m.end()
                if cjk_starts and _inside(cjk_starts, cjk_ends, start, end):
                    continue  # part of a keyword that starts with Chinese characters
                found = m.group()
                key = word_key_of.get(found) or word_key_of.setdefault(
                    found, _normalise(found[1:])
                )
                starts.append(start)
                keys.append(key)
        return starts, keys


def assign_nodes_by_keywords(
    texts: pd.Series | Iterable[str],
    chain: Chain,
    *,
    min_hits: int = 1,
    matcher: KeywordMatcher | None = None,
    row_col: str = ROW,
    node_col: str = NODE_ID,
    confidence_col: str = CONFIDENCE,
    evidence_col: str = EVIDENCE,
    method_col: str = METHOD,
) -> pd.DataFrame:
    """Link business descriptions to chain nodes by keyword hits.

    Parameters
    ----------
    texts : pandas.Series of str
        Business scopes or descriptions, Chinese or English; missing values match nothing.
    chain : Chain
        The chain whose ``keywords_zh`` and ``keywords_en`` are matched.
    min_hits : int, default 1
        Keep a (text, node) link only if at least this many distinct keywords of the node
        occur in the text.
    matcher : KeywordMatcher, optional
        A matcher built from ``chain`` with :meth:`KeywordMatcher.from_chain`; pass one when
        classifying in several calls, to compile the keywords only once.
    row_col, node_col, confidence_col, evidence_col, method_col : str
        Output column names.

    Returns
    -------
    pandas.DataFrame
        One row per (text, node) link: ``row`` (the text's index value), ``node_id``,
        ``confidence`` (see the module docstring for the formula), ``evidence`` (the matched
        keywords as written in the chain, in order of first appearance, joined by "; ") and
        ``method`` ("keyword"). Sorted by text order, then by falling confidence. A text with
        no hit has no row: being outside the chain is a valid answer.

    Examples
    --------
    >>> from recommender.chain import load_chain
    >>> texts = pd.Series({"f1": "Maker of mass spectrometers and vacuum pumps"})
    >>> assign_nodes_by_keywords(texts, load_chain())[["row", "node_id", "confidence"]]
      row             node_id  confidence
    0  f1  mass_spectrometers      0.5693
    1  f1        vacuum_pumps      0.4909
    """
    if matcher is None:
        matcher = KeywordMatcher.from_chain(chain)
    return matcher.assign(
        texts,
        min_hits=min_hits,
        row_col=row_col,
        node_col=node_col,
        confidence_col=confidence_col,
        evidence_col=evidence_col,
        method_col=method_col,
    )


def device_nodes(chain: Chain) -> list[str]:
    """Return the chain's nodes whose every HS code is a semiconductor device or an integrated
    circuit (:data:`DEVICE_HEADINGS`): the nodes whose makers make chips.

    >>> from recommender.chain import load_chain
    >>> "analog_ics" in device_nodes(load_chain()), "oscilloscopes" in device_nodes(load_chain())
    (True, False)
    """
    out = []
    for node_id in chain.node_ids:
        codes = chain.node(node_id).get(HS_CODES) or []
        if codes and all(str(code)[:4] in DEVICE_HEADINGS for code in codes):
            out.append(node_id)
    return out


def non_maker_roles(texts: Iterable[str]) -> list[str | None]:
    """Return, per text, the first :data:`NON_MAKER_ROLES` role it names as its own business,
    or None.

    >>> non_maker_roles(["Acme Inc. provides IC assembly and testing services. It grew.",
    ...                  "Designs analog ICs; outsources assembly and test services.",
    ...                  "FPGAs and IP cores; it sells its products to OEMs.",
    ...                  "集成电路封装测试服务", None])
    ['assembly_test', None, None, 'assembly_test', None]
    """
    out: list[str | None] = []
    for text in texts:
        lowered = text.lower() if isinstance(text, str) else ""
        role = None
        if _SELLS_TO_MAKERS.search(lowered):
            out.append(role)
            continue
        first = _FIRST_SENTENCE.search(lowered)
        first_end = first.start() if first else len(lowered)
        serves = _SERVES_CHIP_MAKERS.search(lowered) is not None
        for match in _ROLE_PATTERN.finditer(lowered):
            if ((match.start() < first_end or serves)
                    and not _BUYS.search(lowered[max(0, match.start() - _BUYS_WINDOW):
                                                 match.start()])):
                role = match.lastgroup
                break
        out.append(role)
    return out


# --- helpers --------------------------------------------------------------------------------
def _normalise(text: str) -> str:
    return _SEPARATORS.sub("", text)


def _with_plurals(keyword: str) -> list[str]:
    """Return the keyword and its simple plural(s); only the last word is inflected."""
    forms = [keyword]
    if keyword.endswith(("s", "x", "z", "ch", "sh")):
        forms.append(keyword + "es")
    elif len(keyword) > 1 and keyword.endswith("y") and keyword[-2] not in "aeiou":
        forms.append(keyword[:-1] + "ies")
    elif keyword[-1].isalpha():
        forms.append(keyword + "s")
    return forms


def _trie_insert(trie: dict, keyword: str) -> None:
    node = trie
    for token in _tokens(keyword):
        node = node.setdefault(token, {})
    node[""] = True


def _tokens(keyword: str) -> list:
    tokens: list = []
    for piece_index, piece in enumerate(_SEPARATORS.split(keyword)):
        if piece_index:
            tokens.append(_SEP)
        tokens.extend(piece)
    return tokens


def _trie_regex(node: dict) -> str:
    """Render a trie as a regular expression that prefers the longest keyword."""
    branches = []
    for token, child in node.items():
        if token == "":
            continue
        head = _SEP_RE if token is _SEP else re.escape(token)
        branches.append(head + _trie_regex(child))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:
        body = "(?:" + body + ")?"  # greedy: try the longer keyword first
    return body


def _inside(starts: list[int], ends: list[int], start: int, end: int) -> bool:
    """Tell whether [start, end) lies inside one of the sorted, non-overlapping spans."""
    i = bisect_right(starts, start) - 1
    return i >= 0 and ends[i] >= end


def _empty(columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({col: pd.Series(dtype=object) for col in columns})
    return frame.astype({columns[2]: "float64"})
