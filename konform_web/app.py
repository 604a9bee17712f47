"""The console's aiohttp application: the pages, the session (login, logout, me) and the guard
every request passes.

The guard, in order: the client's address must be in ``[web] allowed_networks`` (if set); the
session cookie is looked up (only its hash is stored); a handler marked with roles refuses
other accounts (403); a request that changes data must carry the session's CSRF token in
``X-CSRF-Token`` (403). Every login and every data-changing request (done or refused) is
audited with the account and the address. Store work runs on the console's own worker thread
(its own connection: the call path's thread never waits for a wallboard).
"""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from konform.config import Config
from konform.config_checks import networks
from konform.store import audit, users
from konform.store.database import Store, open_store
from konform.store.worker import StoreWorker
from konform_web.security import (
    COOKIE,
    AddressFailures,
    Handler,
    Network,
    allow,
    allowed_roles,
    client_address,
    in_networks,
)

__all__ = ["CONSOLE", "Console", "create_app", "error", "session_of"]

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
PAGES = {
    "/": "login.html",
    "/wallboard": "wallboard.html",
    "/desk": "desk.html",
    "/supervisor": "supervisor.html",
}
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # The pages load scripts and styles from /static only (no inline script).
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
}


@dataclass
class Console:
    """What the handlers share: the configuration, the store and its worker."""

    config: Config
    store: Store
    worker: StoreWorker
    db_path: Path
    allowed: list[Network] = field(default_factory=list)
    proxies: list[Network] = field(default_factory=list)
    failures: AddressFailures = field(default_factory=AddressFailures)
    extra: dict[str, Any] = field(default_factory=dict)
    """Per-feature state (the wallboard's cache, the metrics registry)."""

    async def run_audit(self, event: str, **detail: Any) -> None:
        """Append an audit row (committed at once) on the store's thread."""
        await self.worker.run(audit.record, self.store, event, **detail)


CONSOLE = web.AppKey("console", Console)
SESSION: web.RequestKey[users.Session | None] = web.RequestKey("session")
ADDRESS = web.RequestKey("address", str)


def error(status: int, message: str) -> web.HTTPException:
    """A JSON error ``{"error": message}`` with ``status``, to raise."""
    cls: type[web.HTTPException] = {
        400: web.HTTPBadRequest,
        401: web.HTTPUnauthorized,
        403: web.HTTPForbidden,
        404: web.HTTPNotFound,
        409: web.HTTPConflict,
        429: web.HTTPTooManyRequests,
    }[status]
    return cls(text=json.dumps({"error": message}), content_type="application/json")


def session_of(request: web.Request) -> users.Session:
    """The logged-in session of a request to a handler marked with roles."""
    found = request[SESSION]
    assert found is not None  # the guard let only logged-in sessions through
    return found


def address_of(request: web.Request) -> str:
    return request.get(ADDRESS) or "unknown"


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    console = request.app[CONSOLE]
    address = client_address(request, console.proxies)
    request[ADDRESS] = address or ""
    target = request.match_info.handler
    roles = allowed_roles(target)
    if console.allowed and not in_networks(address, console.allowed):
        if request.method in UNSAFE:
            event = "web_login" if target is login else "web_refused"
            await console.run_audit(
                event, result="refused_network", reason="network", path=request.path,
                address=address,
            )  # fmt: skip
        logger.warning("web: request from %s outside [web] allowed_networks refused", address)
        raise error(403, "this address may not use the console ([web] allowed_networks)")
    token = request.cookies.get(COOKIE)
    found = await console.worker.run(users.session, console.store, token) if token else None
    request[SESSION] = found
    if roles is None:
        return await handler(request)
    if found is None:
        raise error(401, "not logged in")
    if found.user.role not in roles:
        await _refused(console, request, found, "role")
        raise error(403, f"role {found.user.role} may not do this")
    if request.method in UNSAFE:
        sent = request.headers.get("X-CSRF-Token", "")
        if not hmac.compare_digest(sent.encode(), found.csrf.encode()):
            await _refused(console, request, found, "csrf")
            raise error(403, "missing or wrong X-CSRF-Token")
        return await _audited(console, request, found, handler)
    return await handler(request)


async def _refused(
    console: Console, request: web.Request, found: users.Session, reason: str
) -> None:
    await console.run_audit(
        "web_refused",
        reason=reason,
        user=found.user.name,
        role=found.user.role,
        method=request.method,
        path=request.path,
        address=address_of(request),
    )


async def _audited(
    console: Console, request: web.Request, found: users.Session, handler: Handler
) -> web.StreamResponse:
    """Run a data-changing handler and audit what came of it (its status)."""
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        await console.run_audit(
            "web_action",
            user=found.user.name,
            role=found.user.role,
            method=request.method,
            path=request.path,
            status=status,
            address=address_of(request),
        )


@web.middleware
async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.content_type != "application/json" and request.path.startswith("/api/"):
            exc.text = json.dumps({"error": exc.reason})
            exc.content_type = "application/json"
        exc.headers.update(SECURITY_HEADERS)
        raise
    if not response.prepared:
        response.headers.update(SECURITY_HEADERS)
        if request.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
    return response


def me_json(found: users.Session) -> dict[str, Any]:
    return {
        "user": found.user.name,
        "role": found.user.role,
        "agent": found.user.agent,
        "csrf": found.csrf,
    }


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object, or 400."""
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise error(400, "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise error(400, "the body must be a JSON object")
    return body


async def login(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    address = address_of(request)
    body = await json_body(request)
    name, password = body.get("username"), body.get("password")
    if not isinstance(name, str) or not isinstance(password, str) or not name or not password:
        raise error(400, "give username and password")
    if console.failures.locked(address):
        await console.run_audit(
            "web_login", result="locked", reason="address", user=name, address=address
        )
        raise error(429, "too many failed logins from this address: try again later")
    result = await console.worker.run(users.login, console.store, name, password)
    known = result.user is not None
    if result.result != "ok" or result.user is None:
        if result.result == "failed":
            console.failures.failed(address)
        await console.run_audit(
            "web_login",
            result=result.result,
            # an unknown name may be a password typed into the wrong field: not kept
            user=name if known else None,
            known_user=known,
            locked_until=result.locked_until,
            address=address,
        )
        if result.result == "locked":
            raise error(429, "too many failed logins: the account is locked for a while")
        raise error(401, "wrong user name or password")
    hours = console.config.web.session_hours
    token, found = await console.worker.run(users.create_session, console.store, result.user, hours)
    await console.run_audit(
        "web_login", result="ok", user=name, role=result.user.role, address=address
    )
    response = web.json_response(me_json(found))
    response.set_cookie(
        COOKIE,
        token,
        max_age=hours * 3600,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=console.config.web.secure_cookies,
    )
    return response


@allow("agent", "supervisor", "admin", "dpo")
async def logout(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    token = request.cookies.get(COOKIE, "")
    await console.worker.run(users.end_session, console.store, token)
    response = web.json_response({"done": True})
    response.del_cookie(COOKIE, path="/")
    return response


@allow("agent", "supervisor", "admin", "dpo")
async def me(request: web.Request) -> web.StreamResponse:
    return web.json_response(me_json(session_of(request)))


def _page(file: str) -> Handler:
    async def page(request: web.Request) -> web.StreamResponse:
        path = STATIC / file
        if path.is_file():
            return web.FileResponse(path)
        return web.Response(
            text=f"<!doctype html><title>konform</title><p>konform web console: {file} is not"
            " installed.</p>",
            content_type="text/html",
        )

    return page


def create_app(config: Config, db_path: Path, key_file: str | None = None) -> web.Application:
    """The console over the database at ``db_path`` (it must exist: checked by the caller)."""
    from konform_web import api, desk, metrics, openapi  # their modules import this one

    store = open_store(db_path, key_file or config.store.secret_file or None)
    console = Console(
        config,
        store,
        StoreWorker(store),
        db_path,
        allowed=networks(config.web.network_list, "allowed_networks", ValueError),
        proxies=networks(config.web.proxy_list, "trusted_proxies", ValueError),
    )
    app = web.Application(middlewares=[headers, guard], client_max_size=64 * 1024)
    app[CONSOLE] = console
    for path, file in PAGES.items():
        app.router.add_get(path, _page(file))
    if STATIC.is_dir():
        app.router.add_static("/static", STATIC, append_version=False)
    app.router.add_post("/api/login", login)
    app.router.add_post("/api/logout", logout)
    app.router.add_get("/api/me", me)
    api.add_routes(app)
    desk.add_routes(app)
    metrics.add_routes(app)
    openapi.add_routes(app)

    async def close(_: web.Application) -> None:
        console.worker.close()
        console.store.close()

    app.on_cleanup.append(close)
    return app


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
