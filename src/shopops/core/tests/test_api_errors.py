import pytest


@pytest.mark.django_db
def test_health_reports_postgres_and_redis(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "postgresql", "cache": "ok"}


@pytest.mark.django_db
def test_unknown_api_path_is_404_in_error_shape(client):
    response = client.get("/api/v1/does-not-exist")
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"code", "message", "details"}


@pytest.mark.django_db
def test_missing_auth_is_401_in_error_shape(client):
    response = client.get("/api/v1/accounts/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
def test_bad_bearer_token_is_401(client):
    response = client.get("/api/v1/accounts/me", headers={"Authorization": "Bearer not-a-jwt"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_openapi_schema_is_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "ShopOps API"
    assert client.get("/api/docs").status_code == 302
