import pandas as pd
import pytest

from recommender import columns as C
from recommender.exceptions import NotFoundError


@pytest.fixture
def parks():
    return pd.DataFrame(
        {
            C.PARK_ID: ["sz-guangming", "dg-songshan"],
            C.PARK_NAME_ZH: ["光明科学城", "松山湖高新区"],
            C.PARK_NAME_EN: ["Guangming Science City", "Songshan Lake Hi-tech Zone"],
            C.CITY_ID: ["shenzhen", "dongguan"],
            C.LAT: [22.78, 22.92],
            C.LON: [113.93, 113.89],
            C.FOCUS_NODES: [["optical_elements", "lasers"], []],
            C.LAND_HA: [12.5, None],
            C.MAX_NEW_FIRMS: [5, 3],
            C.TENANTS: [["ref-zeiss"], ["ref-keyence", "f-0001"]],
            C.IS_ILLUSTRATIVE: [True, True],
        }
    )


def test_parks_round_trip_their_lists(store, parks):
    assert store.upsert_parks(parks) == {"inserted": 2, "updated": 0, "unchanged": 0}

    read = store.parks().set_index(C.PARK_ID)
    assert read.at["sz-guangming", C.FOCUS_NODES] == ["optical_elements", "lasers"]
    assert read.at["dg-songshan", C.FOCUS_NODES] == []
    assert read.at["dg-songshan", C.TENANTS] == ["ref-keyence", "f-0001"]
    assert read.at["sz-guangming", C.PARK_NAME_ZH] == "光明科学城"
    park = store.park("sz-guangming")
    assert park[C.TENANTS] == ["ref-zeiss"] and park[C.LAND_HA] == 12.5
    assert park["updated_at"] is not None


def test_parks_update_only_what_changed(store, parks):
    store.upsert_parks(parks)
    version = store.data_version()
    assert store.upsert_parks(parks)["unchanged"] == 2
    assert store.data_version() == version
    more = parks.copy()
    more[C.TENANTS] = [["ref-zeiss", "f-0002"], ["ref-keyence", "f-0001"]]

    assert store.upsert_parks(more) == {"inserted": 0, "updated": 1, "unchanged": 1}
    assert store.park("sz-guangming")[C.TENANTS] == ["ref-zeiss", "f-0002"]
    assert store.data_version() == version + 1


def test_park_lists_may_arrive_as_json_text(store, parks):
    store.upsert_parks(parks.assign(**{C.FOCUS_NODES: ['["lasers"]', None]}))

    assert store.park("sz-guangming")[C.FOCUS_NODES] == ["lasers"]
    assert store.park("dg-songshan")[C.FOCUS_NODES] == []


def test_delete_park(store, parks):
    store.upsert_parks(parks)

    store.delete_park("dg-songshan")

    assert store.parks()[C.PARK_ID].tolist() == ["sz-guangming"]
    with pytest.raises(NotFoundError, match="no park 'dg-songshan'"):
        store.park("dg-songshan")
    with pytest.raises(NotFoundError, match="no park 'dg-songshan'"):
        store.delete_park("dg-songshan")
