"""The console's API for supervisors and the data-protection roles: the report, the wallboard
(JSON and a server-sent event stream), live calls, campaigns (pause, resume, pacing), agents'
states, and the exports, erasures and processing record only ``admin`` and ``dpo`` may run.

Every figure comes from :mod:`konform.store.report` (the code of ``konform report``); every
change goes through the store's own audited functions (those the CLI uses).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import datetime
from typing import Any

from aiohttp import web

from konform.calling_time import BERLIN
from konform.numbers import InvalidNumber, normalize
from konform.store import agent_states, audit, campaigns, console, gdpr, report
from konform.store.agent_states import AgentState
from konform.store.database import Store
from konform_web.app import (
    CONSOLE,
    SECURITY_HEADERS,
    Console,
    address_of,
    error,
    json_body,
    session_of,
)
from konform_web.security import EVERYONE, OPERATIONAL, PRIVACY, SUPERVISORS, allow

__all__ = ["STREAM_INTERVAL_S", "WallboardFeed", "add_routes"]

STREAM_INTERVAL_S = 1.0
"""Seconds between the stream's events (the wallboard promises an update within 2 s)."""
SESSION_CHECK_S = 30.0
"""A stream re-checks its session this often (a logout or expiry ends it)."""


class WallboardFeed:
    """The wallboard's JSON per period start, computed at most once per interval however many
    screens watch (the screens of one period share each computation)."""

    KEPT = 8
    """Periods cached at once (a screen asks for one; a few differ at most)."""

    def __init__(self, app_console: Console, interval_s: float = STREAM_INTERVAL_S) -> None:
        self.console = app_console
        self.interval_s = interval_s
        self._cache: dict[datetime | None, tuple[float, bytes]] = {}
        self._lock = asyncio.Lock()
        self.closing = asyncio.Event()

    async def current(self, since: datetime | None = None) -> bytes:
        async with self._lock:
            at, data = self._cache.get(since, (-1e9, b""))
            if time.monotonic() - at < self.interval_s * 0.9:
                return data
            c = self.console
            agents = tuple(c.config.dialer.agent_list)
            figures = await c.worker.run(report.wallboard, c.store, since, None, agents)
            data = json.dumps(figures, ensure_ascii=False).encode()
            self._cache.pop(since, None)
            self._cache[since] = (time.monotonic(), data)
            while len(self._cache) > self.KEPT:
                del self._cache[next(iter(self._cache))]
            return data


FEED = web.AppKey("wallboard_feed", WallboardFeed)


def _instant(request: web.Request, name: str) -> datetime | None:
    text = request.query.get(name)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise error(400, f"{name}: not an ISO 8601 instant: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=BERLIN)


@allow(OPERATIONAL)
async def get_report(request: web.Request) -> web.StreamResponse:
    c = request.app[CONSOLE]
    name = request.query.get("campaign", "")
    since, until = _instant(request, "since"), _instant(request, "until")
    try:
        figures = await c.worker.run(report.campaign_report, c.store, name, since, until)
    except KeyError:
        raise error(404, f"no campaign named {name!r}") from None
    except ValueError as exc:
        raise error(400, str(exc)) from None
    return web.json_response(figures.to_dict())


@allow(OPERATIONAL)
async def get_wallboard(request: web.Request) -> web.StreamResponse:
    c = request.app[CONSOLE]
    since, until = _instant(request, "since"), _instant(request, "until")
    if until is None:
        body = await request.app[FEED].current(since)
        return web.Response(body=body, content_type="application/json")
    agents = tuple(c.config.dialer.agent_list)
    try:
        figures = await c.worker.run(report.wallboard, c.store, since, until, agents)
    except ValueError as exc:
        raise error(400, str(exc)) from None
    return web.json_response(figures)


@allow(OPERATIONAL)
async def wallboard_stream(request: web.Request) -> web.StreamResponse:
    """``event: wallboard`` with the wallboard's JSON every second (``?since=ISO``: the period's
    start, as for ``/api/wallboard``), until the client goes, the session ends or the console
    stops."""
    c = request.app[CONSOLE]
    feed = request.app[FEED]
    token = request.cookies.get("konform_session", "")
    response = web.StreamResponse(
        headers={
            **SECURITY_HEADERS,
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",  # a reverse proxy must not hold events back
        }
    )
    since = _instant(request, "since")
    await response.prepare(request)
    checked = due = time.monotonic()
    with contextlib.suppress(ConnectionError):
        while not feed.closing.is_set():
            data = await feed.current(since)
            await response.write(b"event: wallboard\ndata: " + data + b"\n\n")
            # A fixed cadence: the time computing and sending took is not added to the wait.
            due = max(due + feed.interval_s, time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(feed.closing.wait(), due - time.monotonic())
            if time.monotonic() - checked >= SESSION_CHECK_S:
                checked = time.monotonic()
                if await c.worker.run(_session_alive, c.store, token) is False:
                    break
    return response


def _session_alive(store: Store, token: str) -> bool:
    from konform.store import users

    return users.session(store, token) is not None


@allow(EVERYONE)
async def calls_live(request: web.Request) -> web.StreamResponse:
    c = request.app[CONSOLE]
    found = session_of(request)
    if found.user.role == "agent":  # agents see their own calls only
        calls = await c.worker.run(console.live_calls, c.store, found.user.agent or "")
    else:
        calls = await c.worker.run(console.live_calls, c.store, None)
    return web.json_response(calls)


def _campaigns(store: Store) -> list[dict[str, Any]]:
    clients = dict(store.conn.execute("SELECT name, client FROM campaigns"))
    return [
        {
            "name": name,
            "pacing": s.pacing,
            "ratio": s.ratio,
            "abandon_target": s.abandon_target,
            "weight": s.weight,
            "paused": s.paused,
            "client": clients.get(name),
        }
        for name, s in campaigns.all_settings(store).items()
    ]


def _campaign(store: Store, name: str) -> dict[str, Any]:
    for item in _campaigns(store):
        if item["name"] == name:
            return item
    raise KeyError(name)


@allow(OPERATIONAL)
async def list_campaigns(request: web.Request) -> web.StreamResponse:
    c = request.app[CONSOLE]
    return web.json_response(await c.worker.run(_campaigns, c.store))


def _pause(store: Store, name: str, paused: bool) -> dict[str, Any]:
    if campaigns.campaign_id(store, name) is None:
        raise KeyError(name)
    (campaigns.pause if paused else campaigns.resume)(store, name)
    return {"name": name, "paused": campaigns.is_paused(store, name)}


def _pauser(paused: bool) -> Any:
    @allow(SUPERVISORS)
    async def handler(request: web.Request) -> web.StreamResponse:
        c = request.app[CONSOLE]
        name = request.match_info["name"]
        try:
            return web.json_response(await c.worker.run(_pause, c.store, name, paused))
        except KeyError:
            raise error(404, f"no campaign named {name!r}") from None

    return handler


_PACING_KEYS = {"pacing": str, "ratio": float, "abandon_target": float, "weight": float}


def _change_pacing(store: Store, name: str, values: dict[str, Any]) -> dict[str, Any]:
    campaigns.change(store, name, **values)
    return _campaign(store, name)


@allow(SUPERVISORS)
async def set_pacing(request: web.Request) -> web.StreamResponse:
    c = request.app[CONSOLE]
    name = request.match_info["name"]
    body = await json_body(request)
    values: dict[str, Any] = {}
    for key, value in body.items():
        kind = _PACING_KEYS.get(key)
        if kind is None:
            raise error(400, f"unknown setting {key!r} (give {', '.join(_PACING_KEYS)})")
        if kind is float and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise error(400, f"{key} must be a number")
        if kind is str and not isinstance(value, str):
            raise error(400, f"{key} must be text")
        values[key] = float(value) if kind is float else value
    if not values:
        raise error(400, f"nothing to change: give {', '.join(_PACING_KEYS)}")
    try:
        return web.json_response(await c.worker.run(_change_pacing, c.store, name, values))
    except KeyError:
        raise error(404, f"no campaign named {name!r}") from None
    except ValueError as exc:
        raise error(400, str(exc)) from None


def _agents(store: Store, configured: tuple[str, ...]) -> list[dict[str, Any]]:
    now = datetime.now(BERLIN)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    states = report.agents_now(store, configured)
    figures = report.agent_figures(store, midnight, now)
    return [
        {
            "name": name,
            "state": states.get(name, ("logged_out", None))[0],
            "since": states.get(name, ("logged_out", None))[1],
            "calls_today": f.calls if f else 0,
            "talk_s_today": f.talk_s if f else 0.0,
            "csat": f.csat if f else report.csat_figures(None, 0),
        }
        for name in sorted({*states, *figures})
        for f in (figures.get(name),)
    ]


@allow(OPERATIONAL)
async def list_agents(request: web.Request) -> web.StreamResponse:
    c = request.app[CONSOLE]
    configured = tuple(c.config.dialer.agent_list)
    return web.json_response(await c.worker.run(_agents, c.store, configured))


@allow(EVERYONE - {"dpo"})
async def set_agent_state(request: web.Request) -> web.StreamResponse:
    """An operator's state for an agent (what ``konform agent ready|pause|logout`` sets); an
    agent account sets its own only."""
    c = request.app[CONSOLE]
    found = session_of(request)
    name = request.match_info["name"]
    if found.user.role == "agent" and name != found.user.agent:
        raise error(403, "an agent sets only their own state")
    state = (await json_body(request)).get("state")
    if state not in agent_states.STATES:
        raise error(400, f"state must be one of {', '.join(agent_states.STATES)}")
    wanted: AgentState = state
    try:
        changed = await c.worker.run(
            agent_states.set, c.store, name, wanted, f"web:{found.user.name}"
        )
    except ValueError as exc:
        raise error(400, str(exc)) from None
    return web.json_response({"name": name, "state": wanted, "changed": changed})


# --- data protection: admin and dpo only -----------------------------------------------------


async def _export_audited(request: web.Request, what: str, **detail: Any) -> None:
    found = session_of(request)
    await request.app[CONSOLE].run_audit(
        "web_export",
        what=what,
        user=found.user.name,
        role=found.user.role,
        address=address_of(request),
        **detail,
    )


def _number(c: Console, raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise error(400, "give the number")
    try:
        return normalize(raw, c.config.policy.default_region)
    except InvalidNumber as exc:
        raise error(400, f"number: {exc}") from None


@allow(PRIVACY)
async def processing_record(request: web.Request) -> web.StreamResponse:
    c = request.app[CONSOLE]
    record = await c.worker.run(gdpr.processing_record, c.config, c.db_path, c.store)
    await _export_audited(request, "processing_record")
    return web.json_response(record)


@allow(PRIVACY)
async def export_audit(request: web.Request) -> web.StreamResponse:
    """The audit log (GET), or one number's entries (POST ``{"number"}``: a phone number never
    goes into a URL, where proxies and browser histories keep it)."""
    c = request.app[CONSOLE]
    number = (
        _number(c, (await json_body(request)).get("number")) if request.method == "POST" else None
    )
    rows = await c.worker.run(audit.entries, c.store, number)
    await _export_audited(request, "audit", number=number)
    return web.json_response(rows)


@allow(PRIVACY)
async def export_number(request: web.Request) -> web.StreamResponse:
    """Everything stored about a number (Art. 15 GDPR), as ``konform gdpr export``; the number in
    the body (POST), never in a URL."""
    c = request.app[CONSOLE]
    number = _number(c, (await json_body(request)).get("number"))
    data = await c.worker.run(gdpr.export, c.store, number)
    await _export_audited(request, "data_subject", number=number)
    return web.json_response(data)


def _erase(store: Store, number: str, by: str) -> int:
    with store.transaction():
        files = gdpr.erase(store, number, why=f"data subject request (web console, {by})")
    gdpr.delete_files(files)
    return len(files)


@allow(PRIVACY)
async def erasure(request: web.Request) -> web.StreamResponse:
    """Erase a number's personal data (Art. 17 GDPR), as ``konform gdpr erase``; answered
    after the erasure committed."""
    c = request.app[CONSOLE]
    number = _number(c, (await json_body(request)).get("number"))
    files = await c.worker.run(_erase, c.store, number, session_of(request).user.name)
    return web.json_response({"done": True, "recordings": files})


def add_routes(app: web.Application) -> None:
    feed = WallboardFeed(app[CONSOLE])
    app[FEED] = feed

    async def closing(_: web.Application) -> None:
        feed.closing.set()

    app.on_shutdown.append(closing)
    r = app.router
    r.add_get("/api/report", get_report)
    r.add_get("/api/wallboard", get_wallboard)
    r.add_get("/api/wallboard/stream", wallboard_stream)
    r.add_get("/api/calls/live", calls_live)
    r.add_get("/api/campaigns", list_campaigns)
    r.add_post("/api/campaigns/{name}/pause", _pauser(True))
    r.add_post("/api/campaigns/{name}/resume", _pauser(False))
    r.add_post("/api/campaigns/{name}/pacing", set_pacing)
    r.add_get("/api/agents", list_agents)
    r.add_post("/api/agents/{name}/state", set_agent_state)
    r.add_get("/api/export/processing-record", processing_record)
    r.add_get("/api/export/audit", export_audit)
    r.add_post("/api/export/audit", export_audit)
    r.add_post("/api/export/number", export_number)
    r.add_post("/api/erasure", erasure)
