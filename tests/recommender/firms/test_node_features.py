"""What the node classifier reads: cleaned descriptions, country groups, attributes, topics."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recommender import columns as C
from recommender.exceptions import InvalidArgument
from recommender.firms.node_features import (
    attribute_matrix,
    attribute_tokens,
    clean_description,
    country_group,
    split_inputs,
    topic_matrix,
)


def test_clean_description_drops_seat_and_country_sentences():
    text = ("Acme AB makes vacuum pumps in Sweden and internationally. The company was "
            "founded in 1950 and is headquartered in Lund, Sweden.")
    assert clean_description(text) == "Acme AB makes vacuum pumps in  and internationally."


@pytest.mark.parametrize(("country", "group"), [
    ("China", "greater_china"), ("HK", "greater_china"), ("United States", "us"),
    ("TW", "taiwan"), ("Japan", "japan"), ("Germany", "europe"), ("GB", "europe"),
    ("Brazil", "other"), ("", ""), (None, "")])
def test_country_group_reads_names_and_iso_codes(country, group):
    assert country_group(country) == group


def test_attribute_tokens_read_the_columns_a_frame_has():
    frame = pd.DataFrame({C.INDUSTRY_CODE: ["Lasers", " Medical  Care ", None],
                          C.COUNTRY: ["CN", "Germany", ""]})
    assert attribute_tokens(frame, ("industry_code", "sector", "country_group"), 3) == [
        ["industry_code=lasers", "country_group=greater_china"],
        ["industry_code=medical care", "country_group=europe"],
        []]
    assert attribute_tokens(None, ("industry_code",), 2) == [[], []]


def test_attribute_matrix_is_one_hot_over_known_terms():
    tokens = [["industry_code=lasers", "country_group=us"], ["industry_code=bakeries"]]
    x = attribute_matrix(tokens, ["country_group=us", "industry_code=lasers"])
    np.testing.assert_array_equal(x.toarray(), [[1.0, 1.0], [0.0, 0.0]])


def test_topic_rows_have_the_topic_weight_as_length():
    x_word = sp.csr_matrix([[1.0, 0.0, 0.0], [0.0, 3.0, 4.0], [0.0, 0.0, 0.0]])
    components = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=np.float16)
    # row 2 projects to (0, 3): length 3, scaled to 0.5; the empty row stays zero
    np.testing.assert_allclose(topic_matrix(x_word, components, 0.5).toarray(),
                               [[0.5, 0.0], [0.0, 0.5], [0.0, 0.0]])


def test_split_inputs_keeps_the_frame_and_blanks_missing_texts():
    frame = pd.DataFrame({C.BUSINESS_SCOPE: ["lasers", None]}, index=[7, 9])
    texts, kept = split_inputs(frame)
    assert texts.tolist() == ["lasers", ""] and texts.index.tolist() == [7, 9]
    assert kept is frame
    with pytest.raises(InvalidArgument, match="one text per firm"):
        split_inputs("lasers")
