"""Chinese business scopes (经营范围) made ready for the node classifier's n-grams.

A scope in the national register's style lists items separated by 、，；。 under the headings
一般项目 and 许可项目, with the register's fixed sentences (除依法须经批准的项目外… and
依法须经批准的项目…) and the business verbs of the industry classification (研发, 制造,
销售…) after each product. Chinese has no spaces, so a word model would see one token per
sentence; :func:`clean_scope` keeps the products and puts a space between them: the word
vectorizer then sees product phrases ("光纤激光器", "钨合金") and the character n-grams stay
inside them.

>>> clean_scope("一般项目：光纤激光器研发；光纤激光器销售；货物进出口。"
...             "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）")
'光纤激光器 光纤激光器'
>>> is_chinese("精密压力表的生产"), is_chinese("Maker of pressure gauges")
(True, False)
"""

from __future__ import annotations

import re

__all__ = ["CJK_SHARE", "clean_scope", "is_chinese"]

CJK_SHARE = 0.3  # share of a text's letters that are Chinese for it to count as Chinese

_CJK = re.compile(r"[\u4e00-\u9fff]")
_LETTER = re.compile(r"[^\W\d_]")
# The register's fixed sentences, in full- or half-width brackets.
_REGISTER_NOTES = re.compile(r"[（(][^（()）]*(?:依法|营业执照|许可证件|批准文件)[^（()）]*[）)]")
_HEADINGS = re.compile(r"(?:一般项目|许可项目|经营范围)\s*[：:]")
# Items every scope carries whatever the firm makes: they tell nothing about its products.
_GENERIC_ITEMS = re.compile(
    r"技术服务|技术开发|技术咨询|技术交流|技术转让|技术推广|货物进出口|技术进出口|"
    r"进出口代理|软件开发|信息技术咨询服务|工程和技术研究和试验发展|销售代理|国内贸易代理|"
    r"非居住房地产租赁|机械设备租赁|住房租赁")
# Business verbs and their joins: what is done with a product, not the product.
_ACTIONS = re.compile(
    r"的研发、生产与销售|的技术开发、制造、销售及维修服务|及维修服务|研发|研究|开发|设计|"
    r"制造|生产|加工|销售|批发|零售|经营|维修|安装|租赁|服务|与|及|和|的")
_SEPARATORS = re.compile(r"[、，,；;。.：:！!？?\s/（）()【】\[\]“”\"']+")


def is_chinese(text: str) -> bool:
    """True when at least :data:`CJK_SHARE` of the text's letters are Chinese characters."""
    if not isinstance(text, str):
        return False
    letters = len(_LETTER.findall(text))
    return bool(letters) and len(_CJK.findall(text)) >= CJK_SHARE * letters


def clean_scope(text: str) -> str:
    """Return the product phrases of a Chinese business scope, separated by spaces.

    Drops the register's fixed sentences, the 一般项目/许可项目 headings, the generic items
    (技术服务, 货物进出口 …) and the business verbs; what is left is split at punctuation.
    """
    if not isinstance(text, str) or not text:
        return ""
    text = _REGISTER_NOTES.sub(" ", text)
    text = _HEADINGS.sub(" ", text)
    text = _GENERIC_ITEMS.sub(" ", text)
    text = _ACTIONS.sub(" ", text)
    return " ".join(part for part in _SEPARATORS.split(text) if part)
