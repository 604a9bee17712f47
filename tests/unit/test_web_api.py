"""The console's API against a real loopback server: the report as ``konform report --json``,
the wallboard and its stream, campaigns and agents, the exports, and ``/metrics`` read by
prometheus-client's own parser."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from konform.store import campaigns, report
from konform.store.database import open_store
from tests.unit.privacy_seed import NUMBER
from tests.unit.web_seed import (
    Console,
    accounts_db,
    audit_events,
    console,
    db,
    open_console,
    web_config,
)

__all__ = ["accounts_db", "console", "db"]  # fixtures


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _report(db: Path, until: datetime) -> dict[str, Any]:
    store = open_store(db)
    try:
        return report.campaign_report(store, "spring", None, until).to_dict()
    finally:
        store.close()


async def test_report_is_campaign_report_unchanged(console: Console, db: Path) -> None:
    client, _ = await console.login("sam")
    until = datetime.now(UTC).replace(microsecond=0)
    response = await client.get(
        "/api/report", params={"campaign": "spring", "until": until.isoformat()}
    )
    assert response.status == 200
    assert await response.json() == json.loads(json.dumps(_report(db, until)))
    assert (await response.json())["csat"] == {"avg": None, "count": 0}
    missing = await client.get("/api/report", params={"campaign": "autumn"})
    assert missing.status == 404
    bad = await client.get("/api/report", params={"campaign": "spring", "since": "yesterday"})
    assert bad.status == 400


async def test_wallboard_figures_are_the_reports(console: Console, db: Path) -> None:
    client, _ = await console.login("dora")
    until = datetime.now(UTC).replace(microsecond=0)
    board = await (await client.get("/api/wallboard", params={"until": until.isoformat()})).json()
    figures = _report(db, until)
    (spring,) = board["campaigns"]
    for key, same in [
        ("attempts", "attempts"),
        ("answer_rate", "answer_rate"),
        ("avg_time_to_answer_s", "avg_time_to_answer_s"),
        ("machine_rate", "machine_rate"),
        ("abandon_rate_hour", "abandon_rate_last_hour"),
        ("abandon_rate_24h", "abandon_rate_24h"),
        ("abandon_target", "abandon_target"),
        ("csat", "csat"),
    ]:
        assert spring[key] == figures[same], key
    assert spring["lines_in_flight"] == 1
    assert spring["missed"] == {"no_answer": 0, "abandoned": 0, "hung_up_waiting": 0}
    assert len(spring["calls_per_15min"]) in (96, 97)
    assert sum(q["calls"] for q in spring["calls_per_15min"]) == 1  # the live call
    names = {a["name"]: a for a in board["agents"]}
    assert names["agent1"]["calls"] == 1
    assert names["agent1"]["answered"] == 1
    assert set(board["agents_by_state"]) == {"ready", "paused", "in_call", "wrap_up", "logged_out"}
    assert board["compliance"] == {"blocked_today": {}, "optouts_today": 0}


async def test_the_stream_sends_the_wallboard_within_two_seconds(console: Console) -> None:
    client, _ = await console.login("sam")
    response = await client.get("/api/wallboard/stream")
    assert response.headers["Content-Type"].startswith("text/event-stream")
    events: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with asyncio.timeout(5):
        while len(events) < 2:
            line = (await response.content.readline()).decode()
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    assert loop.time() - started < 2.5
    assert events[0]["campaigns"][0]["campaign"] == "spring"
    response.close()


async def test_campaigns_pause_resume_and_pacing(console: Console, db: Path) -> None:
    client, csrf = await console.login("sam")
    headers = {"X-CSRF-Token": csrf}
    (listed,) = await (await client.get("/api/campaigns")).json()
    assert listed["client"] == "Stadtwerke Nord"
    assert listed["paused"] is False
    paused = await client.post("/api/campaigns/spring/pause", headers=headers)
    assert await paused.json() == {"name": "spring", "paused": True}
    store = open_store(db)
    try:
        assert campaigns.is_paused(store, "spring")
    finally:
        store.close()
    resumed = await client.post("/api/campaigns/spring/resume", headers=headers)
    assert (await resumed.json())["paused"] is False
    changed = await client.post(
        "/api/campaigns/spring/pacing",
        json={"pacing": "predictive", "abandon_target": 0.02},
        headers=headers,
    )
    body = await changed.json()
    assert (body["pacing"], body["abandon_target"]) == ("predictive", 0.02)
    too_high = await client.post(
        "/api/campaigns/spring/pacing", json={"abandon_target": 0.05}, headers=headers
    )
    assert too_high.status == 400
    assert "Ofcom" in (await too_high.json())["error"]
    unknown = await client.post("/api/campaigns/autumn/pause", headers=headers)
    assert unknown.status == 404
    events = [e["event"] for e in audit_events(db, "campaign_paused")]
    assert events == ["campaign_paused"]


async def test_agents_and_live_calls(console: Console) -> None:
    supervisor, csrf = await console.login("sam")
    done = await supervisor.post(
        "/api/agents/agent2/state", json={"state": "ready"}, headers={"X-CSRF-Token": csrf}
    )
    assert (await done.json())["changed"] is True
    agents = {a["name"]: a for a in await (await supervisor.get("/api/agents")).json()}
    assert agents["agent2"]["state"] == "ready"
    assert agents["agent1"]["calls_today"] == 1
    calls = await (await supervisor.get("/api/calls/live")).json()
    assert [c["agent"] for c in calls] == ["agent1"]
    assert calls[0]["number"] != NUMBER
    assert calls[0]["number"].endswith(NUMBER[-2:])
    other_agent, _ = await console.login("bert")
    assert await (await other_agent.get("/api/calls/live")).json() == []
    own_agent, _ = await console.login("alice")
    assert len(await (await own_agent.get("/api/calls/live")).json()) == 1


async def test_exports_for_dpo_and_admin_are_audited(console: Console, db: Path) -> None:
    dpo, csrf = await console.login("dora")
    record = await (await dpo.get("/api/export/processing-record")).json()
    assert "purposes" in record
    exported = await (
        await dpo.post(
            "/api/export/number", json={"number": NUMBER}, headers={"X-CSRF-Token": csrf}
        )
    ).json()
    assert exported["number"] == NUMBER
    assert len(exported["call_attempts"]) == 2
    admin, admin_csrf = await console.login("ada")
    rows = await (await admin.get("/api/export/audit")).json()
    assert any(r["event"] == "web_login" for r in rows)
    own = await admin.post(
        "/api/export/audit", json={"number": NUMBER}, headers={"X-CSRF-Token": admin_csrf}
    )
    entries = await own.json()  # at least the data-subject export just audited
    assert entries
    assert {r["number_key"] for r in entries} == {entries[0]["number_key"]}
    assert "web_export" in {r["event"] for r in entries}
    erased = await admin.post(
        "/api/erasure", json={"number": NUMBER}, headers={"X-CSRF-Token": admin_csrf}
    )
    assert await erased.json() == {"done": True, "recordings": 0}
    whats = [e["detail"]["what"] for e in audit_events(db, "web_export")]
    assert whats == ["processing_record", "data_subject", "audit", "audit"]
    assert len(audit_events(db, "erasure")) == 1


async def test_metrics_parse_with_prometheus_clients_parser(console: Console, db: Path) -> None:
    store = open_store(db)
    try:
        cid = campaigns.campaign_id(store, "spring")
        at = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
        store.conn.execute(
            "INSERT INTO call_attempts (campaign_id, number_key, started_at, answered_at,"
            " ended_at, outcome, detail, abandoned) VALUES (?, x'01', ?, ?, ?, 'machine', ?, 0),"
            " (?, x'02', ?, NULL, ?, 'blocked', ?, 0)",
            (
                cid,
                at,
                at,
                at,
                json.dumps({"amd": {"label": "machine", "at_ms": 1800}}),
                cid,
                at,
                at,
                json.dumps({"reasons": ["no_consent"]}),
            ),
        )
    finally:
        store.close()
    client = await console.client()  # loopback: no token needed
    response = await client.get("/metrics")
    assert response.status == 200
    families = {f.name: f for f in text_string_to_metric_families(await response.text())}
    for name in (
        "konform_calls",
        "konform_abandoned",
        "konform_policy_blocks",
        "konform_optouts",
        "konform_agents",
        "konform_lines_in_flight",
        "konform_amd_decision_seconds",
        "konform_call_setup_seconds",
    ):
        assert name in families, name
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values()
               for s in f.samples}  # fmt: skip
    assert samples[("konform_calls_total", (("campaign", "spring"), ("outcome", "human")))] == 1
    blocks = ("konform_policy_blocks_total", (("campaign", "spring"), ("reason", "no_consent")))
    assert samples[blocks] == 1
    assert samples[("konform_lines_in_flight", (("campaign", "spring"),))] == 1
    amd = ("konform_amd_decision_seconds_bucket", (("le", "2.0"),))
    assert samples[amd] == 1
    assert samples[("konform_amd_decision_seconds_bucket", (("le", "1.5"),))] == 0
    assert samples[("konform_call_setup_seconds_count", ())] == 2


async def test_metrics_from_another_host_need_the_token(db: Path) -> None:
    token = "c0ffee" * 6
    config = web_config(trusted_proxies="127.0.0.1", metrics_token=token)
    console = await open_console(db, config)
    try:
        client = await console.client()
        remote = {"X-Forwarded-For": "192.0.2.7"}  # a scrape relayed from another host
        assert (await client.get("/metrics", headers=remote)).status == 401
        wrong = {**remote, "Authorization": "Bearer " + "x" * 36}
        assert (await client.get("/metrics", headers=wrong)).status == 401
        right = {**remote, "Authorization": f"Bearer {token}"}
        assert (await client.get("/metrics", headers=right)).status == 200
    finally:
        await console.close()


async def test_serve_runs_the_console_when_enabled(db: Path) -> None:
    from konform.cli.context import Context
    from konform.cli.serve import _start_console

    config = web_config(enabled=True, port=free_port())
    ctx = Context(config, db)
    server = await _start_console(ctx)
    assert server is not None
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{config.web.port}/api/me"
            async with session.get(url) as response:
                assert response.status == 401
    finally:
        await server.stop()
        ctx.close()
    assert await _start_console(Context(web_config(), db)) is None


async def test_the_openapi_description_names_every_route(console: Console) -> None:
    from konform_web.openapi import OPERATIONS

    client = await console.client()
    described = await (await client.get("/api/openapi.json")).json()
    assert described["openapi"].startswith("3.")
    shown = {(m.upper(), path) for path, ops in described["paths"].items() for m in ops}
    routes = {
        (r.method, r.resource.get_info().get("formatter") or r.resource.get_info().get("path"))
        for r in console.server.app.router.routes()
        if r.resource is not None and r.method != "HEAD"
    }
    api = {(m, p) for m, p in routes if p and (p.startswith("/api/") or p == "/metrics")}
    assert shown == api == set(OPERATIONS)
    desk = described["paths"]["/api/desk/optout"]["post"]
    assert desk["description"] == "Roles: agent"
