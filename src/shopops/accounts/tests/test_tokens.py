from datetime import timedelta

import jwt
import pytest

from shopops.accounts import tokens
from shopops.accounts.models import RefreshToken
from shopops.accounts.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def refresh(api, refresh_token):
    return api.post("/token/refresh", {"refresh": refresh_token})


def test_access_token_expires(api, user, settings):
    settings.JWT_ACCESS_TTL = timedelta(seconds=-5)
    pair = api.login(user.username)
    response = api.get("/me", token=pair["access"])
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"


def test_refresh_token_cannot_be_used_as_access_token(api, user):
    pair = api.login(user.username)
    response = api.get("/me", token=pair["refresh"])
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_token_signed_with_another_key_is_refused(api, user):
    forged = jwt.encode(
        {"sub": str(user.pk), "typ": "access", "iss": "shopops", "iat": 0, "exp": 4102444800, "ver": 0},
        "not-the-signing-key-but-long-enough-for-hs256",
        algorithm="HS256",
    )
    assert api.get("/me", token=forged).status_code == 401


def test_refresh_rotates_and_the_new_pair_works(api, user):
    pair = api.login(user.username)
    response = refresh(api, pair["refresh"])
    assert response.status_code == 200
    new = response.json()
    assert new["refresh"] != pair["refresh"]
    assert api.get("/me", token=new["access"]).status_code == 200
    assert RefreshToken.objects.filter(user=user, used_at__isnull=False).count() == 1


def test_reusing_a_spent_refresh_token_revokes_the_whole_family(api, user):
    pair = api.login(user.username)
    second = refresh(api, pair["refresh"]).json()
    # An attacker replays the first (already spent) refresh token:
    replay = refresh(api, pair["refresh"])
    assert replay.status_code == 401
    assert replay.json()["code"] == "refresh_token_reused"
    # The legitimate client's newest tokens are dead too.
    assert refresh(api, second["refresh"]).status_code == 401
    assert api.get("/me", token=second["access"]).status_code == 401
    assert not RefreshToken.objects.filter(user=user, revoked_at__isnull=True).exists()


def test_other_devices_survive_a_reuse_on_one_device(api, user):
    phone_app = api.login(user.username)
    laptop = api.login(user.username)
    refresh(api, phone_app["refresh"])
    refresh(api, phone_app["refresh"])  # replay on the phone's family
    assert refresh(api, laptop["refresh"]).status_code == 200


def test_expired_refresh_token_is_refused(api, user, settings):
    settings.JWT_REFRESH_TTL = timedelta(seconds=-5)
    pair = api.login(user.username)
    response = refresh(api, pair["refresh"])
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"


def test_logout_revokes_this_device_including_its_access_token(api, user):
    pair = api.login(user.username)
    other = api.login(user.username)
    assert api.post("/logout", {"refresh": pair["refresh"]}).status_code == 204
    assert refresh(api, pair["refresh"]).status_code == 401
    assert api.get("/me", token=pair["access"]).status_code == 401
    assert api.get("/me", token=other["access"]).status_code == 200


def test_logout_with_garbage_is_401(api):
    response = api.post("/logout", {"refresh": "garbage"})
    assert response.status_code == 401


def test_logout_all_kills_every_token(api, user):
    first = api.login(user.username)
    second = api.login(user.username)
    assert api.post("/logout-all", token=first["access"]).status_code == 204
    for pair in (first, second):
        assert api.get("/me", token=pair["access"]).status_code == 401
        assert refresh(api, pair["refresh"]).status_code == 401


def test_logout_all_also_ends_web_sessions(client, api, user):
    client.force_login(user)
    assert client.get("/api/v1/accounts/me").status_code == 200
    pair = api.login(user.username)
    api.post("/logout-all", token=pair["access"])
    assert client.get("/api/v1/accounts/me").status_code == 401


def test_password_change_revokes_tokens_and_returns_fresh_ones(api, user):
    old = api.login(user.username)
    other_device = api.login(user.username)
    response = api.post(
        "/password/change",
        {"old_password": DEFAULT_PASSWORD, "new_password": "N3w-secret!"},
        token=old["access"],
    )
    assert response.status_code == 200, response.content
    fresh = response.json()["tokens"]
    for pair in (old, other_device):
        assert api.get("/me", token=pair["access"]).status_code == 401
        assert refresh(api, pair["refresh"]).status_code == 401
    assert api.get("/me", token=fresh["access"]).status_code == 200


def test_devices_list_and_revoke_one(api, user):
    first = api.login(user.username)
    api.login(user.username)
    devices = api.get("/me/devices", token=first["access"]).json()
    assert len(devices) == 2
    family = jwt.decode(first["refresh"], options={"verify_signature": False})["fam"]
    assert api.delete(f"/me/devices/{family}", token=first["access"]).status_code == 204
    assert refresh(api, first["refresh"]).status_code == 401
    assert api.delete("/me/devices/unknown", token=api.login(user.username)["access"]).status_code == 404


def test_service_level_revoke_all_bumps_version(user):
    pair = tokens.issue_tokens(user)
    tokens.revoke_all_tokens(user)
    with pytest.raises(tokens.InvalidToken):
        tokens.user_from_access_token(pair.access)
