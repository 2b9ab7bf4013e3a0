"""China's divisions: the built-in table, and provinces and cities read off an address."""

import pytest

from recommender.firms.china_divisions import china_table, parse_chinese_address, simplified


@pytest.mark.parametrize(
    ("address", "expected"),
    [("广东省深圳市南山区科技园科苑路15号", ("Guangdong", "Shenzhen")),
     ("深圳市龙华区观澜街道", ("Guangdong", "Shenzhen")),
     ("中国广东省东莞市松山湖", ("Guangdong", "Dongguan")),
     ("北京市海淀区中关村", ("Beijing", "Beijing")), ("上海浦东新区", ("Shanghai", "Shanghai")),
     ("吉林省吉林市船营区", ("Jilin", "Jilin")), ("吉林市", ("Jilin", "Jilin")),
     ("吉林省延边朝鲜族自治州延吉市", ("Jilin", "Yanbian")),
     ("广西壮族自治区南宁市", ("Guangxi", "Nanning")),
     ("廣東省廣州市天河區", ("Guangdong", "Guangzhou")),
     ("江苏省昆山市", ("Jiangsu", None)), ("台湾新竹市", (None, "Hsinchu")),
     ("中国台湾省台北市", (None, "Taipei")),
     ("hello", (None, None)), ("", (None, None)), (None, (None, None))],
)
def test_parse_chinese_address(address, expected):
    assert parse_chinese_address(address) == expected


def test_every_province_has_its_capital_first():
    table = china_table()
    assert table.capitals["Guangdong"].en == "Guangzhou"
    assert table.capitals["Jiangsu"].en == "Nanjing"
    assert table.provinces["广西壮族自治区"] is table.provinces["广西"]
    assert table.provinces["香港特别行政区"].country == "HK"


def test_simplified_reads_traditional_characters_and_drops_spaces():
    assert simplified("臺灣 新竹") == "台湾新竹"
