"""The OpenAPI document and its Swagger UI, served without any other host."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from scf.parties.models import StaffGroup


@pytest.fixture
def client(corporate):
    _organization, user = corporate("schema-reader")
    client = Client()
    client.force_login(user)
    return client


def test_schema_is_an_openapi_3_document_with_the_v1_paths(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in ("/api/v1/me/", "/api/v1/organizations/", "/api/v1/organizations/{organization_pk}/",
                 "/api/v1/facilities/", "/api/v1/facilities/{facility_pk}/",
                 "/api/v1/facilities/{facility_pk}/activate/"):
        assert path in schema["paths"], path
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": schema["components"]["securitySchemes"]["tokenAuth"]["description"],
    }
    assert "Token <key>" in schema["components"]["securitySchemes"]["tokenAuth"]["description"]
    filters = {p["name"] for p in schema["paths"]["/api/v1/organizations/"]["get"]["parameters"]}
    assert {"role", "search"} <= filters
    me = schema["paths"]["/api/v1/me/"]["get"]
    assert {"tokenAuth": []} in me["security"]


def test_schema_documents_the_error_shape(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    detail = schema["paths"]["/api/v1/facilities/{facility_pk}/"]["get"]["responses"]
    assert "404" in detail
    error = schema["components"]["schemas"]["ErrorResponse"]
    assert error["required"] == ["error"]


def test_schema_is_served_as_yaml_by_default(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3.")


def test_schema_is_served_to_lender_staff_too(staff_user):
    client = Client()
    client.force_login(staff_user(StaffGroup.OPERATIONS))
    assert client.get("/api/schema/").status_code == 200


def test_docs_load_only_local_static_assets(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert references, "the page references no scripts or styles at all"
    external = [ref for ref in references if re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", ref, re.IGNORECASE)]
    assert not external, f"Swagger UI loads from another host: {external}"
    assert not re.search(r"""(?:url\(|@import)\s*["']?(?:https?:)?//""", html), "a stylesheet loads from another host"
    # The start-up script comes from the view itself, not inline, for the Content Security Policy.
    assert "/api/docs/?script=" in references
    for ref in references:
        if ref == "/api/docs/?script=":
            continue
        assert ref.startswith("/static/"), ref
        assert finders.find(ref.removeprefix("/static/")), f"{ref} is not among the static files"
    assert any(ref.endswith(".js") for ref in references) and any(ref.endswith(".css") for ref in references)
