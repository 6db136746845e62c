"""Auth (API keys, login, refresh, logout, expiry), users/me, organization models, errors."""

from __future__ import annotations

import httpx

from galatea_async.emulator import Emulator


def _client(emulator: Emulator, token: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url="http://testserver/api/v1/",
        headers=headers,
    )


async def _login(emulator: Emulator) -> dict[str, str]:
    async with _client(emulator) as client:
        response = await client.post(
            "users/auth", json={"email": emulator.email, "password": emulator.password}
        )
    assert response.status_code == 200
    return dict(response.json())


async def test_login_returns_access_refresh_and_websocket_tokens(emulator: Emulator) -> None:
    tokens = await _login(emulator)
    assert set(tokens) == {"access", "refresh", "websocket_access"}
    async with _client(emulator, tokens["access"]) as client:
        assert (await client.get("users/me")).status_code == 200


async def test_wrong_password_is_401_with_the_reference_detail(emulator: Emulator) -> None:
    async with _client(emulator) as client:
        response = await client.post(
            "users/auth", json={"email": emulator.email, "password": "wrong"}
        )
    assert response.status_code == 401
    assert response.json() == {"detail": "No active account found with the given credentials"}


async def test_missing_or_unknown_bearer_is_401(emulator: Emulator) -> None:
    async with _client(emulator) as anonymous, _client(emulator, "nope") as wrong:
        assert (await anonymous.get("users/me")).status_code == 401
        response = await wrong.get("users/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "Given token not valid for any token type"}


async def test_access_tokens_expire_on_the_emulator_clock(emulator: Emulator) -> None:
    tokens = await _login(emulator)
    emulator.clock.advance(299)
    async with _client(emulator, tokens["access"]) as client:
        assert (await client.get("users/me")).status_code == 200
        emulator.clock.advance(2)
        assert (await client.get("users/me")).status_code == 401


async def test_expire_tokens_fault_expires_access_but_not_api_keys(emulator: Emulator) -> None:
    tokens = await _login(emulator)
    emulator.faults.expire_tokens()
    async with _client(emulator, tokens["access"]) as by_token:
        assert (await by_token.get("users/me")).status_code == 401
    async with _client(emulator, emulator.api_key) as by_key:
        assert (await by_key.get("users/me")).status_code == 200


async def test_refresh_rotates_both_tokens_and_retires_the_old_refresh(emulator: Emulator) -> None:
    tokens = await _login(emulator)
    body = {"refresh": tokens["refresh"], "access": tokens["access"]}
    async with _client(emulator) as client:
        first = await client.post("users/refresh", json=body)
        again = await client.post("users/refresh", json=body)
    assert first.status_code == 200
    assert set(first.json()) == {"refresh", "access"}
    assert first.json()["access"] != tokens["access"]
    assert again.status_code == 401
    async with _client(emulator, first.json()["access"]) as client:
        assert (await client.get("users/me")).status_code == 200


async def test_logout_revokes_the_refresh_token(emulator: Emulator) -> None:
    tokens = await _login(emulator)
    async with _client(emulator, tokens["access"]) as client:
        logout = await client.post("users/logout", json={"refresh": tokens["refresh"]})
        refresh = await client.post("users/refresh", json={"refresh": tokens["refresh"]})
    assert logout.status_code == 200
    assert refresh.status_code == 401


async def test_users_me_has_the_reference_shape(
    emulator_api: httpx.AsyncClient, emulator: Emulator
) -> None:
    me = (await emulator_api.get("users/me")).json()
    assert me["email"] == emulator.email
    assert {"id", "first_name", "last_name", "role", "is_active", "created_at", "org"} <= set(me)
    org = me["org"]
    assert org["webhooks_secret"] == emulator.webhooks_secret
    assert org["available_models"] == [
        "ancestry data model one",
        "ancestry data model two",
        "ancestry pdf model",
        "prs ruo model",
        "prs clinical model",
    ]
    assert org["report_prs_clinical_cancer_enabled"] is True


async def test_models_hide_the_deprecated_one_unless_asked(
    emulator_api: httpx.AsyncClient, emulator: Emulator
) -> None:
    url = f"organizations/{emulator.org_id}/models"
    hidden = (await emulator_api.get(url, params={"hide_deprecated": "True"})).json()
    shown = (await emulator_api.get(url, params={"hide_deprecated": "false"})).json()
    assert len(shown) == len(hidden) + 1
    assert all(not model["deprecated"] for model in hidden)
    assert {"name", "description", "deprecated", "pdf_report_types"} <= set(hidden[0])
    assert (await emulator_api.get("organizations/nope/models")).status_code == 404


async def test_unknown_route_is_404_json_and_wrong_method_405(
    emulator_api: httpx.AsyncClient,
) -> None:
    missing = await emulator_api.get("no/such/thing")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not found."})
    wrong = await emulator_api.delete("users/me")
    assert wrong.status_code == 405
    assert "detail" in wrong.json()


async def test_every_request_is_recorded(
    emulator: Emulator, emulator_api: httpx.AsyncClient
) -> None:
    await emulator_api.get("users/me", params={"x": "1"})
    record = emulator.requests[-1]
    assert (record.method, record.path, record.query, record.status) == (
        "GET",
        "/api/v1/users/me",
        "x=1",
        200,
    )
    assert record.authorized is True
