"""The web console's tests: a store with accounts, a campaign, a bridged call, and the console
on aiohttp's real test server (a real HTTP server on loopback) with a logged-in client."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from konform.config import Config, WebConfig, load_config
from konform.store import attempts, engine_store, users
from konform.store.database import Store, open_store
from konform_web.app import create_app
from tests.unit.privacy_seed import NUMBER, seed

PASSWORD = "Kr0kus-am-Fenster"
"""Every test account's password (strong enough for the checks)."""
ACCOUNTS = {
    "alice": ("agent", "agent1"),
    "bert": ("agent", "agent2"),
    "sam": ("supervisor", None),
    "ada": ("admin", None),
    "dora": ("dpo", None),
}
SCRIPT = (
    "Ask whether the moment suits\nName the company and the client\nPoint to the right to object"
)

Login = Callable[[str], Awaitable[TestClient[Any, Any]]]


def add_accounts(store: Store) -> None:
    for name, (role, agent) in ACCOUNTS.items():
        users.add(store, name, role, PASSWORD, agent)


def seed_console(store: Store) -> int:
    """Campaign 'spring' (client, script), an earlier call and a call bridged to agent1 now;
    the bridged attempt's id."""
    cid = seed(store)
    store.conn.execute(
        "UPDATE campaigns SET client = 'Stadtwerke Nord', script = ? WHERE id = ?", (SCRIPT, cid)
    )
    now = datetime.now(UTC)
    with store.transaction():
        earlier = attempts.start(store, cid, NUMBER, now - timedelta(days=3))
        attempts.finish(store, earlier, "human", now - timedelta(days=3))
        store.conn.execute(
            "UPDATE call_attempts SET agent = 'agent2', disposition = 'callback',"
            " note = 'call back after 18:00' WHERE id = ?",
            (earlier,),
        )
        live = attempts.start(store, cid, NUMBER, now - timedelta(seconds=30), state="bridged")
        engine_store.set_moment(
            store,
            live,
            answered_at=now - timedelta(seconds=20),
            bridged_at=now - timedelta(seconds=10),
            agent="agent1",
        )
    return live


def web_config(**web: Any) -> Config:
    config = load_config(env={})
    return replace(config, web=replace(WebConfig(), **web))


@pytest.fixture(scope="session")
def accounts_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the accounts only, made once (each argon2id hash takes a while)."""
    path = tmp_path_factory.mktemp("accounts") / "konform.db"
    store = open_store(path)
    try:
        add_accounts(store)
    finally:
        store.close()
    return path


@pytest.fixture
def db(tmp_path: Path, accounts_db: Path) -> Path:
    """A copy of the accounts' database, seeded by :func:`seed_console`."""
    path = tmp_path / "konform.db"
    for suffix in ("", ".key"):
        shutil.copy(f"{accounts_db}{suffix}", f"{path}{suffix}")
    store = open_store(path)
    try:
        seed_console(store)
    finally:
        store.close()
    return path


class Console:
    """A console on a real loopback server; :meth:`login` gives a logged-in client."""

    def __init__(self, db: Path, config: Config) -> None:
        self.db = db
        self.config = config
        self.server = TestServer(create_app(config, db), host="127.0.0.1")
        self.clients: list[TestClient[Any, Any]] = []

    async def client(self) -> TestClient[Any, Any]:
        client: TestClient[Any, Any] = TestClient(self.server)
        await client.start_server()
        self.clients.append(client)
        return client

    async def login(self, name: str) -> tuple[TestClient[Any, Any], str]:
        """A client logged in as ``name`` and its CSRF token."""
        client = await self.client()
        response = await client.post("/api/login", json={"username": name, "password": PASSWORD})
        assert response.status == 200, await response.text()
        return client, (await response.json())["csrf"]

    async def close(self) -> None:
        for client in self.clients:
            await client.close()
        await self.server.close()


async def open_console(db: Path, config: Config | None = None) -> Console:
    return Console(db, config or web_config())


@pytest.fixture
async def console(db: Path) -> AsyncIterator[Console]:
    opened = await open_console(db)
    yield opened
    await opened.close()


def audit_events(db: Path, event: str) -> list[dict[str, Any]]:
    from konform.store import audit

    store = open_store(db)
    try:
        return [e for e in audit.entries(store) if e["event"] == event]
    finally:
        store.close()


def stored_bytes(db: Path) -> bytes:
    """The database file and its write-ahead log, as bytes (to search for secrets)."""
    wal = Path(f"{db}-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
