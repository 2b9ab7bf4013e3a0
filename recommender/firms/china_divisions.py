"""China's divisions by name: provinces and prefecture-level cities, and Chinese addresses.

A built-in table lists China's 333 prefecture-level divisions, the four municipalities, Hong
Kong, Macau and the cities of Taiwan, each with its Chinese and English name, its GeoNames
admin1 code and, for a prefecture that is not itself a city, the seat whose point stands for
it. Traditional characters are read as simplified ones, so Hong Kong and Taiwan addresses
parse too; Hong Kong's districts and areas are listed as names of Hong Kong.

:func:`parse_divisions` reads the province and prefecture an address starts with;
:func:`parse_chinese_address` gives them in English.

>>> parse_chinese_address("廣東省廣州市天河區")
('Guangdong', 'Guangzhou')
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from recommender.firms.place_names import has_cjk, name_key, text_or_none

__all__ = [
    "ChinaTable",
    "Division",
    "china_table",
    "hong_kong_area_keys",
    "parse_chinese_address",
    "parse_divisions",
    "simplified",
]

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
_SPECIAL_REGIONS = ("HK", "MO")  # 特别行政区


def simplified(text: str) -> str:
    """Return Chinese text in simplified characters, without white space."""
    return re.sub(r"\s+", "", text.translate(_TRADITIONAL))


@dataclass(frozen=True, slots=True)
class Division:
    """A province or prefecture-level division of the built-in table."""

    zh: str
    en: str
    country: str
    admin1: str  # GeoNames admin1 code for the mainland, "" elsewhere
    province: str | None  # English province name; None for Hong Kong, Macau and Taiwan
    seat: str | None = None


@dataclass(frozen=True)
class ChinaTable:
    """The built-in table, looked up by Chinese name."""

    provinces: dict[str, Division]  # every written form of a province -> division
    cities: dict[str, Division]  # short Chinese name -> city
    by_province: dict[str, dict[str, Division]]  # province zh -> short city name -> city
    capitals: dict[str, Division]  # province English name -> its first-listed city


@functools.cache
def china_table() -> ChinaTable:
    """Build the table from its text on first use; later calls return the same table."""
    provinces: dict[str, Division] = {}
    cities: dict[str, Division] = {}
    by_province: dict[str, dict[str, Division]] = {}
    capitals: dict[str, Division] = {}
    for block in re.split(r"\n(?=\S)", _CHINA_DIVISIONS.strip()):
        head, _, body = block.partition(":")
        code, zh, en = head.split(maxsplit=2)
        single = en.endswith("*")
        en = en.rstrip("* ")
        country = code if code.isalpha() else "CN"
        admin1 = "" if code.isalpha() else code
        province = None if code.isalpha() else en
        div = Division(zh, en, country, admin1, province)
        provinces[zh] = div
        if zh in _AUTONOMOUS_REGIONS:
            provinces[_AUTONOMOUS_REGIONS[zh]] = div
        elif country in _SPECIAL_REGIONS:
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
                members.append(Division(city_zh, city_en, country, admin1, province,
                                         seat or None))
        by_province[zh] = {m.zh: m for m in members}
        for m in members:
            cities.setdefault(m.zh, m)
        if members and province:
            capitals[province] = members[0]
    return ChinaTable(provinces, cities, by_province, capitals)


def parse_divisions(text: str) -> tuple[Division | None, Division | None, str]:
    """Return the province and prefecture a Chinese address starts with, and the rest."""
    table = china_table()
    text = simplified(text)
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
    cleaned = text_or_none(text)
    if cleaned is None:
        return None, None
    province, city, _ = parse_divisions(cleaned)
    if city is not None:
        return city.province, city.en
    return (province.province if province else None), None


@functools.cache
def hong_kong_area_keys() -> frozenset[str]:
    """Return the keys of the Hong Kong areas firms give as their city (Chinese as written)."""
    areas = [a.strip() for a in _HK_AREAS.split(";")]
    return frozenset(a if has_cjk(a) else name_key(a) for a in areas)
