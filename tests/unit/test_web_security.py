"""The console's security against a real loopback server: logins, lockout, CSRF, roles,
allowed networks, the cookie, sessions stored as hashes; every refusal audited."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from konform.store.users import LOCK_AFTER
from tests.unit.web_seed import (
    PASSWORD,
    Console,
    accounts_db,
    audit_events,
    console,
    db,
    open_console,
    stored_bytes,
    web_config,
)

__all__ = ["accounts_db", "console", "db"]  # fixtures


async def test_login_ok_sets_a_strict_httponly_cookie_and_is_audited(
    console: Console, db: Path
) -> None:
    client = await console.client()
    response = await client.post("/api/login", json={"username": "sam", "password": PASSWORD})
    assert response.status == 200
    body = await response.json()
    assert body["user"] == "sam"
    assert body["role"] == "supervisor"
    assert len(body["csrf"]) >= 32
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("konform_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Secure" not in cookie
    me = await client.get("/api/me")
    assert (await me.json())["csrf"] == body["csrf"]
    (login,) = audit_events(db, "web_login")
    assert login["detail"]["result"] == "ok"
    assert login["detail"]["user"] == "sam"
    assert login["detail"]["address"] == "127.0.0.1"
    token = cookie.split(";")[0].split("=", 1)[1]
    raw = stored_bytes(db)
    assert token.encode() not in raw  # only the token's hash is stored
    assert PASSWORD.encode() not in raw


async def test_secure_cookies_when_configured(db: Path) -> None:
    console = await open_console(db, web_config(secure_cookies=True))
    try:
        client = await console.client()
        response = await client.post("/api/login", json={"username": "sam", "password": PASSWORD})
        assert "Secure" in response.headers["Set-Cookie"]
    finally:
        await console.close()


async def test_wrong_password_and_unknown_user_are_refused_and_audited(
    console: Console, db: Path
) -> None:
    client = await console.client()
    wrong = await client.post("/api/login", json={"username": "sam", "password": "nope" * 4})
    assert wrong.status == 401
    assert "error" in await wrong.json()
    unknown = await client.post("/api/login", json={"username": "zed", "password": PASSWORD})
    assert unknown.status == 401
    assert (await client.get("/api/me")).status == 401
    failed = [e["detail"] for e in audit_events(db, "web_login")]
    assert [(d["result"], d["user"], d["known_user"]) for d in failed] == [
        ("failed", "sam", True),
        ("failed", None, False),  # an unknown name may be a mistyped password: not kept
    ]


async def test_lockout_after_repeated_failures_refuses_the_right_password(
    console: Console, db: Path
) -> None:
    client = await console.client()
    statuses = []
    for _ in range(LOCK_AFTER):
        response = await client.post(
            "/api/login", json={"username": "sam", "password": "wrong password!"}
        )
        statuses.append(response.status)
    assert statuses == [401] * (LOCK_AFTER - 1) + [429]
    right = await client.post("/api/login", json={"username": "sam", "password": PASSWORD})
    assert right.status == 429
    results = [e["detail"]["result"] for e in audit_events(db, "web_login")]
    assert results == ["failed"] * (LOCK_AFTER - 1) + ["locked", "locked"]


async def test_lockout_per_address_across_accounts(console: Console, db: Path) -> None:
    client = await console.client()
    names = ["alice", "bert", "sam", "ada", "dora"] * 2
    for name in names:  # two failures each: no account locked, the address is
        response = await client.post("/api/login", json={"username": name, "password": "x" * 12})
        assert response.status == 401
    blocked = await client.post("/api/login", json={"username": "ada", "password": PASSWORD})
    assert blocked.status == 429
    last = audit_events(db, "web_login")[-1]["detail"]
    assert (last["result"], last["reason"]) == ("locked", "address")


async def test_csrf_missing_or_wrong_is_refused_and_audited(console: Console, db: Path) -> None:
    client, csrf = await console.login("sam")
    missing = await client.post("/api/campaigns/spring/pause")
    wrong = await client.post("/api/campaigns/spring/pause", headers={"X-CSRF-Token": "x" + csrf})
    assert (missing.status, wrong.status) == (403, 403)
    assert "CSRF" in (await missing.json())["error"]
    refused = [e["detail"] for e in audit_events(db, "web_refused")]
    assert [(r["reason"], r["user"], r["path"]) for r in refused] == [
        ("csrf", "sam", "/api/campaigns/spring/pause")
    ] * 2
    ok = await client.post("/api/campaigns/spring/pause", headers={"X-CSRF-Token": csrf})
    assert ok.status == 200
    (action,) = audit_events(db, "web_action")
    assert action["detail"]["status"] == 200
    assert action["detail"]["user"] == "sam"


async def test_a_role_on_another_roles_endpoint_is_refused_and_audited(
    console: Console, db: Path
) -> None:
    agent, csrf = await console.login("alice")
    assert (await agent.get("/api/export/processing-record")).status == 403
    assert (await agent.get("/api/export/audit")).status == 403
    assert (await agent.get("/api/wallboard")).status == 403
    pause = await agent.post("/api/campaigns/spring/pause", headers={"X-CSRF-Token": csrf})
    assert pause.status == 403
    supervisor, _ = await console.login("sam")
    assert (await supervisor.get("/api/export/processing-record")).status == 403
    assert (await supervisor.get("/api/desk")).status == 403
    dpo, _ = await console.login("dora")
    assert (await dpo.get("/api/export/processing-record")).status == 200
    refused = [(e["detail"]["user"], e["detail"]["path"]) for e in audit_events(db, "web_refused")]
    assert ("alice", "/api/export/processing-record") in refused
    assert ("alice", "/api/campaigns/spring/pause") in refused
    assert ("sam", "/api/export/processing-record") in refused


async def test_an_agent_sets_only_their_own_state(console: Console) -> None:
    agent, csrf = await console.login("alice")
    own = await agent.post(
        "/api/agents/agent1/state", json={"state": "paused"}, headers={"X-CSRF-Token": csrf}
    )
    other = await agent.post(
        "/api/agents/agent2/state", json={"state": "paused"}, headers={"X-CSRF-Token": csrf}
    )
    assert (own.status, other.status) == (200, 403)


async def test_a_login_from_outside_allowed_networks_is_refused_and_audited(db: Path) -> None:
    console = await open_console(db, web_config(allowed_networks="10.20.0.0/16"))
    try:
        client = await console.client()
        response = await client.post("/api/login", json={"username": "sam", "password": PASSWORD})
        assert response.status == 403
        assert "allowed_networks" in (await response.json())["error"]
        assert (await client.get("/api/me")).status == 403
    finally:
        await console.close()
    (refused,) = audit_events(db, "web_login")
    assert refused["detail"]["result"] == "refused_network"
    assert refused["detail"]["address"] == "127.0.0.1"


async def test_forwarded_for_counts_only_from_a_trusted_proxy(db: Path) -> None:
    spoofed = {"X-Forwarded-For": "10.20.0.5"}
    console = await open_console(db, web_config(allowed_networks="10.20.0.0/16"))
    try:
        client = await console.client()
        response = await client.post(
            "/api/login", json={"username": "sam", "password": PASSWORD}, headers=spoofed
        )
        assert response.status == 403  # the header is not believed from an untrusted peer
    finally:
        await console.close()
    behind_proxy = web_config(allowed_networks="10.20.0.0/16", trusted_proxies="127.0.0.1")
    console = await open_console(db, behind_proxy)
    try:
        client = await console.client()
        response = await client.post(
            "/api/login", json={"username": "sam", "password": PASSWORD}, headers=spoofed
        )
        assert response.status == 200
    finally:
        await console.close()


async def test_logout_ends_the_session(console: Console, db: Path) -> None:
    client, csrf = await console.login("sam")
    assert (await client.post("/api/logout", headers={"X-CSRF-Token": csrf})).status == 200
    assert (await client.get("/api/me")).status == 401
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM web_sessions").fetchone()[0] == 0
