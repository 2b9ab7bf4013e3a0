"""The OpenAPI document (generated from the schemas) and the offline docs page."""

import re

import pytest
from openapi_spec_validator import validate

from recommender.store.auth import roles_with

METHODS = {"get", "post", "put", "patch", "delete"}
PUBLIC = {"/api/v1/health", "/api/v1/ready"}
NOT_DOCUMENTED = {"/api/v1/openapi.json", "/api/v1/docs"}


@pytest.fixture(scope="module")
def spec(app):
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_the_document_is_valid_openapi_3(spec):
    assert spec["openapi"].startswith("3.")
    validate(spec)


def test_every_route_is_documented(app, spec):
    routes = {
        (re.sub(r"<(?:[^:<>]+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.endpoint.split(".")[0] != "docs_assets"
        and rule.rule not in NOT_DOCUMENTED
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, method, _ in operations(spec)}
    assert routes == documented
    assert len(routes) >= 10


def test_each_operation_has_one_success_response(spec):
    for path, method, operation in operations(spec):
        successes = [code for code in operation["responses"] if code.startswith("2")]
        assert len(successes) == 1, (path, method, successes)


def test_keys_are_documented_as_security_schemes(spec):
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer",
                                     "description": "Authorization: Bearer <key>"}
    assert schemes["apiKeyHeader"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert spec["security"] == [{"bearerAuth": []}, {"apiKeyHeader": []}]


def test_keyed_operations_name_their_roles_and_errors(spec):
    for path, method, operation in operations(spec):
        if path in PUBLIC:
            assert operation["security"] == []
            continue
        assert "security" not in operation  # the document's default: a key
        assert {"401", "403", "429"} <= set(operation["responses"]), (path, method)
        assert operation["x-roles"] == roles_with(operation["x-permission"])


def test_errors_are_documented_with_the_one_error_body(spec):
    error = spec["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["$ref"] == "#/components/schemas/ErrorDetail"
    detail = spec["components"]["schemas"]["ErrorDetail"]
    assert set(detail["properties"]) == {"status", "code", "message", "details", "request_id"}
    unauthorized = spec["components"]["responses"]["UNAUTHORIZED"]
    ref = unauthorized["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/Error"
    post = spec["paths"]["/api/v1/outcomes"]["post"]
    assert {"201", "400", "409", "413", "415", "422"} <= set(post["responses"])


def test_paged_lists_document_their_query_and_pagination(spec):
    firms = spec["paths"]["/api/v1/firms"]["get"]
    names = {p["name"] for p in firms["parameters"]}
    assert {"page", "page_size", "country", "node", "q"} <= names
    page = spec["components"]["schemas"]["FirmPage"]
    assert set(page["properties"]) == {"items", "pagination"}


def test_the_docs_page_loads_everything_from_the_app(client):
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)

    assert page.status_code == 200 and page.mimetype == "text/html"
    assert not re.search(r"https?://", html)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        response = client.get(f"/api/v1/{asset}")
        assert response.status_code == 200, asset
        assert len(response.data) > 1000
        response.close()
    assert '"validatorUrl":null' in html.replace(" ", "")  # no outside validator badge
    assert '"/api/v1/openapi.json"' in html


def test_the_docs_assets_do_not_serve_other_files(client, error_body):
    response = client.get("/api/v1/docs/assets/../../service/__init__.py")
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/weak-links/{node_id}/recommendations",
                                  "/api/v1/maps/recruitment.geojson",
                                  "/api/v1/maps/recruitment.png"])
def test_the_stage_filter_is_documented_with_its_values(spec, path):
    parameters = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
    stage = parameters["stage"]
    assert stage["schema"]["items"]["enum"] == ["none", "declined", "responded", "visited",
                                                "mou", "invested"]
    assert stage["explode"] is False  # comma-separated
    assert "best outcome recorded" in stage["description"]
    assert "stage=none" in parameters["exclude_contacted"]["description"]


def test_the_recommendations_echo_and_describe_the_stage(spec):
    filters = spec["components"]["schemas"]["Filters"]
    assert {"country", "size", "stage", "exclude_contacted"} <= set(filters["required"])
    firm = spec["components"]["schemas"]["RecommendedFirm"]
    assert firm["properties"]["outcome_stage"]["enum"][0] == "none"
    description = spec["paths"]["/api/v1/weak-links/{node_id}/recommendations"]["get"][
        "description"]
    assert "``stage``" in description and "``invested``" in description


def test_the_target_list_documents_when_coverage_saturated(spec):
    coverage = spec["components"]["schemas"]["Coverage"]
    assert {"saturated", "saturated_after", "min_gain"} <= set(coverage["required"])
    assert coverage["properties"]["saturated"]["type"] == "boolean"
    assert "saturated" in coverage["properties"]["saturated"]["description"]
