"""Hand-written fixtures of the firms wing: six places for the gazetteer, and a tiny corpus
for the node classifier and its evaluation."""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd
import pytest

from recommender import columns as C
from recommender.firms.gazetteer import Gazetteer, default_gazetteer


def place(name, cc, lat, lon, pop, admin1="", alternates=()):
    return {"name": name, "countrycode": cc, "latitude": lat, "longitude": lon,
            "population": pop, "admin1code": admin1, "alternatenames": list(alternates),
            "timezone": "UTC"}


@pytest.fixture(scope="session")
def tiny_places() -> list[dict]:
    """Three Cambridges, Berlin, and a small Alpha beside a large Beta also called Alpha."""
    return [
        place("Cambridge", "GB", 52.20, 0.12, 145_000, "ENG"),
        place("Cambridge", "US", 42.38, -71.11, 105_000, "MA"),
        place("Cambridge", "US", 40.03, -81.59, 10_000, "OH"),
        place("Berlin", "DE", 52.52, 13.40, 3_400_000, "16"),
        place("Alpha", "DE", 50.00, 10.00, 100),
        place("Beta", "DE", 51.00, 11.00, 1_000_000, alternates=["Alpha", "Betastadt"]),
    ]


@pytest.fixture
def tiny(tiny_places):
    return Gazetteer(tiny_places)


@pytest.fixture(scope="session")
def gaz():
    return default_gazetteer()


class NodeCorpus(NamedTuple):
    texts: list[str]  # business texts in English and Chinese
    labels: list[list[str]]  # their chain nodes; the last text is in two
    new: list[str]  # unseen texts: lasers (Chinese), healthcare, none, oscilloscopes
    industries: list[str]  # a listing industry per text

    def listing(self, texts=None, industries=None) -> pd.DataFrame:
        """The texts as a listing frame with industry, sector and country columns."""
        return pd.DataFrame({C.BUSINESS_SCOPE: self.texts if texts is None else texts,
                             C.INDUSTRY_CODE: self.industries if industries is None
                             else industries,
                             "sector": "Technology", C.COUNTRY: "China"})


@pytest.fixture(scope="session")
def corpus() -> NodeCorpus:
    return NodeCorpus(
        texts=[
            "Designs and manufactures fiber lasers and ultrafast laser sources for cutting.",
            "Maker of picosecond lasers and laser modules for micromachining.",
            "光纤激光器、超快激光器的研发、生产和销售。",
            "Develops digital oscilloscopes, waveform generators and spectrum analyzers.",
            "数字示波器、信号发生器的研发与销售。",
            "Test and measurement: oscilloscopes, logic analyzers and probes.",
            "Operates general hospitals and specialist clinics.",
            "综合医院、专科医院的运营与医疗服务。",
            "Runs a chain of hospitals and outpatient clinics.",
            "Restaurant chain serving noodles and coffee.",
            "Retail bank offering loans and deposits.",
            "服装鞋帽的批发与零售。",
            "Builds oscilloscopes probes with fiber laser sources.",
        ],
        labels=[["lasers"], ["lasers"], ["lasers"], ["oscilloscopes"], ["oscilloscopes"],
                ["oscilloscopes"], ["healthcare"], ["healthcare"], ["healthcare"], [], [], [],
                ["lasers", "oscilloscopes"]],
        new=["皮秒激光器的生产", "A hospital group with clinics", "Coffee shops and bakeries",
             "Handheld oscilloscopes for engineers"],
        # the coffee shop, bank and clothes retailer share one industry
        industries=["Lasers", "Lasers", "Lasers", "Test", "Test", "Test", "Care", "Care",
                    "Care", "Retail", "Retail", "Retail", "Test"],
    )
