"""The limits on their own: strict JSON, the token bucket, page size and k."""

import marshmallow as ma
import pytest

from service import create_app
from service.http.encoding import InvalidJSON, loads_strict
from service.http.limits import RateLimiter
from service.http.schemas import PageQuerySchema, TopKQuerySchema


@pytest.mark.parametrize(("text", "reason"), [
    ("NaN", "non_finite_number"),
    ('{"x": [1, -Infinity]}', "non_finite_number"),
    ("[" * 3 + "]" * 3, "too_deep"),
    ("[" * 2000 + "]" * 2000, "too_deep"),
    ("[" * 100_000 + "]" * 100_000, "too_deep"),
    ("{'a': 1}", "malformed"),
    (b"\xff\xfe{", "malformed"),
])
def test_strict_json_refuses(text, reason):
    with pytest.raises(InvalidJSON) as caught:
        loads_strict(text, max_depth=2)
    assert caught.value.reason == reason


@pytest.mark.parametrize(("text", "value"), [
    ("[[]]", [[]]),
    ('{"a": {"b": 1}, "c": [1]}', {"a": {"b": 1}, "c": [1]}),
    ("3", 3),
    ('"NaN"', "NaN"),
    ("1e308", 1e308),
])
def test_strict_json_accepts_plain_json_within_the_depth(text, value):
    assert loads_strict(text, max_depth=2) == value


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_the_token_bucket_refills_at_its_rate():
    clock = Clock()
    limiter = RateLimiter(60, burst=2, clock=clock)  # one token a second

    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, pytest.approx(1.0)]
    assert limiter.take("b") == 0.0  # each key has its own bucket
    clock.now = 0.5
    assert limiter.take("a") == pytest.approx(0.5)
    clock.now = 1.0
    assert limiter.take("a") == 0.0
    clock.now = 100.0
    assert [limiter.take("a") for _ in range(3)][2] > 0  # never more than the burst saved


def test_a_zero_rate_never_limits():
    limiter = RateLimiter(0, burst=1)
    assert all(limiter.take("a") == 0.0 for _ in range(100))


@pytest.fixture(scope="module")
def limited_app():
    return create_app({"TESTING": True, "PAGE_SIZE_DEFAULT": 10, "PAGE_SIZE_MAX": 20,
                       "K_DEFAULT": 5, "K_MAX": 30})


@pytest.mark.parametrize(("schema", "given", "expected"), [
    (PageQuerySchema, {}, {"page": 1, "page_size": 10}),
    (PageQuerySchema, {"page": "3", "page_size": "20"}, {"page": 3, "page_size": 20}),
    (TopKQuerySchema, {}, {"k": 5}),
    (TopKQuerySchema, {"k": "30"}, {"k": 30}),
])
def test_paging_and_k_defaults_come_from_the_settings(limited_app, schema, given, expected):
    with limited_app.app_context():
        assert schema().load(given) == expected


@pytest.mark.parametrize(("schema", "given", "field"), [
    (PageQuerySchema, {"page_size": "21"}, "page_size"),
    (PageQuerySchema, {"page_size": "0"}, "page_size"),
    (PageQuerySchema, {"page": "-1"}, "page"),
    (TopKQuerySchema, {"k": "31"}, "k"),
    (TopKQuerySchema, {"k": "0"}, "k"),
])
def test_paging_and_k_maxima_come_from_the_settings(limited_app, schema, given, field):
    with limited_app.app_context(), pytest.raises(ma.ValidationError) as caught:
        schema().load(given)
    assert set(caught.value.messages) == {field}


def test_the_default_k_limit_is_500():
    app = create_app({"TESTING": True})
    with app.app_context():
        assert TopKQuerySchema().load({"k": "500"}) == {"k": 500}
        with pytest.raises(ma.ValidationError, match="at most 500"):
            TopKQuerySchema().load({"k": "501"})
