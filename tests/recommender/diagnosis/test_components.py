"""The inputs of the weak-link components: size weights, scalings, the region tables' nodes."""

import math

import numpy as np
import pandas as pd
import pytest

from recommender import columns as C
from recommender.diagnosis.components import (
    DEFAULT_EMPLOYEES,
    TYPICAL_EMPLOYEES_BY_SIZE,
    in_median_units,
    leader_need,
    require_known_nodes,
    scaled_to_max,
    size_weight,
)
from recommender.exceptions import DataError


def test_a_size_class_stands_for_its_typical_head_count():
    # ln(1 + 99) own; "Small " is normalised to small, 110 people; "giant" is no class, so the
    # firm takes the median of the two known weights
    local = pd.DataFrame({C.EMPLOYEES: [99.0, None, None, -5.0],
                          C.SIZE_CLASS: [None, "Small ", "giant", None]})
    got = size_weight(local, employees=C.EMPLOYEES, size_class=C.SIZE_CLASS)
    known = [math.log(100), math.log(1 + TYPICAL_EMPLOYEES_BY_SIZE["small"])]
    assert got.tolist() == pytest.approx(known + [float(np.median(known))] * 2)


def test_without_any_size_every_firm_takes_the_default_head_count():
    local = pd.DataFrame({C.FIRM_ID: ["a", "b"]})
    got = size_weight(local, employees=C.EMPLOYEES, size_class=C.SIZE_CLASS)
    assert got.tolist() == pytest.approx([math.log1p(DEFAULT_EMPLOYEES)] * 2)


def test_the_typical_head_counts_grow_with_the_class():
    counts = [TYPICAL_EMPLOYEES_BY_SIZE[c] for c in C.SIZE_CLASSES]
    assert counts == sorted(counts) and len(set(counts)) == len(C.SIZE_CLASSES)


@pytest.mark.parametrize(("values", "units", "scaled"), [
    ([0.0, 1.0, 2.0, 4.0], [0.0, 0.5, 1.0, 2.0], [0.0, 0.25, 0.5, 1.0]),
    ([0.0, 0.0], [0.0, 0.0], [0.0, 0.0]),
    ([], [], []),
])
def test_the_scalings(values, units, scaled):
    values = np.array(values)
    assert in_median_units(values).tolist() == units
    assert scaled_to_max(values).tolist() == scaled


def test_leader_needs_sum_per_node_and_must_name_chain_nodes():
    needs = pd.DataFrame({C.NODE_ID: ["a", "a", "c"], C.NEED: [1.0, 2.0, 4.0]})
    assert leader_need(["a", "b", "c"], needs).tolist() == [3.0, 0.0, 4.0]
    assert leader_need(["a"], needs.iloc[0:0]).tolist() == [0.0]
    with pytest.raises(DataError, match="leader_needs: node.*c"):
        leader_need(["a", "b"], needs)
    require_known_nodes(needs, ["a", "c"], "leader_needs")  # every node known: no error
