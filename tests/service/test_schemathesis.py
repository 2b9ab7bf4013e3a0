"""Property-based tests of the whole API from its OpenAPI document (schemathesis): for every
operation, generated requests sent with the key of every role get no 5xx, and every answer
matches the document (its status, content type, headers and body schema).

Bounded: ``EXAMPLES`` examples per operation, each sent with every role's key (so four
requests an example), no shrinking, through the app in-process (WSGI). Training is the test
app's stub, so a generated ``POST /models/train`` is cheap. The operations run one after the
other in one test, which lists every failing operation at the end; schemathesis's own pytest
plugin (one test per operation) is not used: its lazy loader does not work with this pytest.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = 10
ROLES = ("admin", "officer", "park_manager", "viewer")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.mark.slow
def test_no_5xx_and_no_mismatch_for_any_role(app, active_version, as_role):
    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in api.get_all_operations()]
    failures: dict[str, str] = {}
    for operation in operations:

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            for role in ROLES:
                case.call_and_validate(headers=as_role(role), checks=CHECKS)

        try:
            check()
        except Exception as exc:  # noqa: BLE001 - each operation's failure is reported below
            failures[operation.label] = str(exc)[:2000]
    assert failures == {}
    assert len(operations) >= 25
