"""Keyword baseline: Chinese substrings, English words and plurals, evidence and confidence."""

import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender.chain import chain_from_dict, load_chain
from recommender.exceptions import InvalidArgument
from recommender.firms.keywords import KeywordMatcher, assign_nodes_by_keywords


def node(node_id, stage, zh, en):
    return {"id": node_id, "name_zh": node_id, "name_en": node_id, "stage": stage,
            "segment": "s", "keywords_zh": zh, "keywords_en": en}


@pytest.fixture(scope="module")
def chain():
    return chain_from_dict({
        "id": "toy", "name_zh": "玩具链", "name_en": "Toy", "version": "1",
        "nodes": [
            node("pumps", "upstream", ["真空泵", "分子泵"], ["vacuum pump", "turbomolecular pump"]),
            node("xray", "upstream", ["X射线管"], ["x-ray tube"]),
            node("mems", "upstream", ["MEMS传感器"], ["mems"]),
            node("cells", "upstream", ["电芯"], ["battery"]),
            node("scopes", "midstream", ["示波器", "逻辑分析仪"],
                 ["oscilloscope", "logic analyzer"]),
            node("spectro", "midstream", ["光谱仪"], ["spectrometer"]),
            node("mass", "midstream", ["质谱仪"], ["mass spectrometer"]),
            node("meters", "midstream", ["流量计"], ["flow meter", "flowmeter"]),
            node("labs", "downstream", ["检测服务"], ["testing services"]),
        ],
        "edges": [{"supplier": "pumps", "consumer": "mass"}],
    })


@pytest.fixture(scope="module")
def matcher(chain):
    return KeywordMatcher.from_chain(chain)


def links(texts, chain, **kwargs):
    return assign_nodes_by_keywords(pd.Series(texts, dtype=object), chain, **kwargs)


def pairs(frame):
    return list(zip(frame["row"], frame[C.NODE_ID], strict=True))


def test_columns_and_method(chain):
    out = links(["示波器"], chain)
    assert list(out.columns) == ["row", C.NODE_ID, C.CONFIDENCE, C.EVIDENCE, C.METHOD]
    assert out[C.METHOD].tolist() == ["keyword"]
    assert out[C.CONFIDENCE].dtype == np.float64


def test_chinese_scope_maps_to_nodes_with_evidence(chain):
    out = links(["示波器、逻辑分析仪、真空泵的研发与销售"], chain)
    assert pairs(out) == [(0, "scopes"), (0, "pumps")]
    assert out[C.EVIDENCE].tolist() == ["示波器; 逻辑分析仪", "真空泵"]
    # scopes: two keywords, first at offset 0 -> (1 - 0.4**2) * 1 = 0.84.
    # pumps: one keyword at offset 10 of 19 characters -> 0.6 * (1 - 0.25 * 10 / 19).
    assert out[C.CONFIDENCE].tolist() == [0.84, round(0.6 * (1 - 0.25 * 10 / 19), 4)]


def test_english_description_maps_with_plurals(chain):
    out = links(["We make oscilloscopes."], chain)
    assert pairs(out) == [(0, "scopes")]
    assert out[C.EVIDENCE].tolist() == ["oscilloscope"]
    # "oscilloscopes" starts at offset 8 of 22 characters.
    assert out[C.CONFIDENCE].tolist() == [round(0.6 * (1 - 0.25 * 8 / 22), 4)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("VACUUM PUMPS and Turbomolecular Pumps", [("pumps", "vacuum pump; turbomolecular pump")]),
        ("x ray tubes", [("xray", "x-ray tube")]),
        ("X-Ray Tube", [("xray", "x-ray tube")]),
        ("xray tubes", [("xray", "x-ray tube")]),
        ("lithium batteries", [("cells", "battery")]),
        ("flowmeters and flow meters", [("meters", "flow meter")]),  # one keyword, two spellings
        ("mass spectrometers", [("mass", "mass spectrometer")]),  # longest keyword wins
        ("spectrometers and mass spectrometers",
         [("spectro", "spectrometer"), ("mass", "mass spectrometer")]),
        ("高精度MEMS传感器", [("mems", "MEMS传感器")]),
        ("MEMS sensors", [("mems", "mems")]),
        ("质谱仪", [("mass", "质谱仪")]),
    ],
)
def test_matching_rules(chain, text, expected):
    out = links([text], chain)
    assert list(zip(out[C.NODE_ID], out[C.EVIDENCE], strict=True)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "memsic accelerometers",  # a longer word that starts with a keyword
        "pumpkins and spectrometrics",
        "batteryless designs",
        "Restaurant and catering services; 餐饮服务；日用百货销售",
        "",
    ],
)
def test_text_without_keywords_gets_no_row(chain, text):
    assert links([text], chain).empty


def test_texts_with_nothing_get_no_rows(chain):
    out = links(["餐饮服务", None, np.nan, "oscilloscope", 42], chain)
    assert pairs(out) == [(3, "scopes")]


def test_empty_input_gives_an_empty_frame(chain):
    out = links([], chain)
    assert out.empty
    assert list(out.columns) == ["row", C.NODE_ID, C.CONFIDENCE, C.EVIDENCE, C.METHOD]


def test_row_is_the_series_index_value(chain):
    texts = pd.Series({"firm-b": "示波器", "firm-a": "nothing here", "firm-c": "真空泵"})
    out = assign_nodes_by_keywords(texts, chain)
    assert pairs(out) == [("firm-b", "scopes"), ("firm-c", "pumps")]


def test_a_repeated_keyword_counts_once(chain):
    once, twice = links(["示波器", "示波器示波器示波器"], chain)[C.CONFIDENCE]
    assert once == twice == 0.6


def test_confidence_rises_with_hits_and_earlier_position(chain):
    out = links(["示波器", "示波器、逻辑分析仪", "其他产品与示波器"], chain)
    one_early, two, one_late = out[C.CONFIDENCE]
    assert two > one_early > one_late
    assert 0 < one_late and two < 1


def test_links_are_sorted_by_confidence_within_a_text(chain):
    out = links(["真空泵。示波器、逻辑分析仪"], chain)
    assert out[C.NODE_ID].tolist() == ["scopes", "pumps"]


def test_min_hits_keeps_only_strong_links(chain):
    out = links(["示波器、逻辑分析仪、真空泵"], chain, min_hits=2)
    assert pairs(out) == [(0, "scopes")]
    for bad in (0, -1, 1.5, True):
        with pytest.raises(InvalidArgument, match="min_hits"):
            links(["示波器"], chain, min_hits=bad)


def test_keywords_do_not_run_across_texts(chain):
    # Texts are scanned joined together; "vacuum" + "pump" from two texts is no hit.
    assert links(["vacuum", "pump housings"], chain).empty


def test_a_keyword_shared_by_two_nodes_links_both():
    shared = chain_from_dict({
        "id": "t", "name_zh": "链", "name_en": "T", "version": "1",
        "nodes": [node("a", "upstream", ["探头"], ["probe"]),
                  node("b", "midstream", ["探头"], ["probe"])],
        "edges": [{"supplier": "a", "consumer": "b"}],
    })
    assert pairs(links(["ultrasound probes"], shared)) == [(0, "a"), (0, "b")]


def test_custom_column_names(chain):
    out = links(["示波器"], chain, row_col="firm", node_col="node", evidence_col="why")
    assert list(out.columns) == ["firm", "node", C.CONFIDENCE, "why", C.METHOD]


def test_matcher_is_reusable_and_finds_positions(chain, matcher):
    assert matcher.find("Turbomolecular pumps, oscilloscopes") == [
        ("pumps", "turbomolecular pump", 0),
        ("scopes", "oscilloscope", 22),
    ]
    texts = pd.Series(["示波器", "vacuum pumps"])
    pd.testing.assert_frame_equal(
        assign_nodes_by_keywords(texts, chain, matcher=matcher),
        assign_nodes_by_keywords(texts, chain),
    )
    assert set(matcher.keywords["language"]) == {"zh", "en"}


def test_many_texts_in_one_call(chain, matcher):
    # A volume check, not a timing test: 20,000 texts, every other one with two links.
    texts = pd.Series(["示波器和真空泵", "catering"] * 10_000)
    out = matcher.assign(texts)
    assert len(out) == 20_000
    assert out["row"].is_monotonic_increasing
    assert set(out[C.NODE_ID]) == {"scopes", "pumps"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("质谱仪、光谱仪、色谱仪及分析仪器的研发、生产、销售",
         {"mass_spectrometers", "spectrometers", "chromatographs"}),
        ("示波器、功率分析仪、单片机开发工具的研发与销售",
         {"oscilloscopes", "power_analyzers", "embedded_processors"}),
        ("Designs and sells patient monitors, ultrasound systems and chemistry analyzers.",
         {"patient_monitors", "ultrasound_imaging", "ivd_analyzers"}),
        ("The company manufactures turbomolecular pumps and vacuum gauges.",
         {"vacuum_pumps", "vacuum_components"}),
        ("Operates restaurants and hotels.", set()),
    ],
)
def test_real_chain_keywords(text, expected):
    out = assign_nodes_by_keywords(pd.Series([text]), load_chain())
    assert set(out[C.NODE_ID]) == expected


# --- firms that serve chip makers -----------------------------------------------------------
# Invented descriptions. The IP licensor and the assembly house name the chips their customers
# make; the chip designer names the services it buys.
IP_LICENSOR = ("Develops embedded non-volatile memory IP blocks licensed to foundries; used in "
               "microcontrollers, power management ICs and analog ICs.")
ASSEMBLY_HOUSE = ("Provides IC assembly and testing services; packages used in analog ICs, "
                  "microprocessors and power supplies.")
CHIP_DESIGNER = ("Designs analog ICs and power management ICs; outsources wafer fabrication and "
                 "assembly and test services to third parties.")


def test_device_nodes_are_the_chip_nodes_of_the_chain():
    from recommender.firms.keywords import device_nodes

    nodes = set(device_nodes(load_chain()))
    assert {"analog_ics", "embedded_processors", "fpga_chips", "adc_chips",
            "image_sensors"} <= nodes
    # an ultrasound transducer (HS 854160 and 901890) and an oscilloscope are not chips
    assert not nodes & {"ultrasound_transducers", "oscilloscopes", "semiconductors_electronics"}


@pytest.mark.parametrize(("text", "role"), [
    (IP_LICENSOR, "ip_licensing"), (ASSEMBLY_HOUSE, "assembly_test"), (CHIP_DESIGNER, None),
    ("集成电路封装测试服务；芯片应用于电源管理芯片", "assembly_test"),
    ("模拟芯片、电源管理芯片的设计与销售，封装测试外包", None),
])
def test_roles_of_firms_that_serve_chip_makers(text, role):
    from recommender.firms.keywords import non_maker_roles

    assert non_maker_roles([text]) == [role]


def test_a_firm_that_serves_chip_makers_is_no_maker_of_chips():
    chain = load_chain()
    out = assign_nodes_by_keywords(pd.Series([IP_LICENSOR, ASSEMBLY_HOUSE, CHIP_DESIGNER]),
                                   chain)
    nodes = out.groupby("row")[C.NODE_ID].agg(set).reindex(range(3), fill_value=set())
    assert not nodes[0] & {"analog_ics", "embedded_processors"}
    assert nodes[1] == {"precision_power_supplies"}  # not a chip: the keywords keep it
    assert {"analog_ics"} <= nodes[2]  # the designer buys those services; it makes chips
    # the same words without the role phrase are chip links: the role makes the difference
    plain = assign_nodes_by_keywords(pd.Series([IP_LICENSOR.replace("IP blocks licensed to "
                                                                    "foundries", "chips")]),
                                     chain)
    assert "analog_ics" in set(plain[C.NODE_ID])
