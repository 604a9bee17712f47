"""``GET /api/openapi.json``: an OpenAPI 3.1 description of the console's API, made from the
table below (a unit test checks that it names every route the application has, and no other).

The table says what each route does, who may call it, its query parameters and body fields;
docs/web.md has the answers' shapes.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from konform_web.security import allowed_roles

__all__ = ["OPERATIONS", "add_routes", "document"]

# (method, path): (summary, query parameters, body fields)
OPERATIONS: dict[tuple[str, str], tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    ("POST", "/api/login"): (
        "Log in: the session cookie and the CSRF token",
        (),
        ("username", "password"),
    ),
    ("POST", "/api/logout"): ("End the session", (), ()),
    ("GET", "/api/me"): ("The logged-in account and its CSRF token", (), ()),
    ("GET", "/api/report"): (
        "A campaign's figures, as konform report --json",
        ("campaign", "since", "until"),
        (),
    ),
    ("GET", "/api/wallboard"): ("The wallboard's figures", ("since", "until"), ()),
    ("GET", "/api/wallboard/stream"): (
        "The wallboard as server-sent events, every second",
        ("since",),
        (),
    ),
    ("GET", "/api/calls/live"): ("Calls in progress (an agent: own calls)", (), ()),
    ("GET", "/api/campaigns"): ("Campaigns with pacing and pause", (), ()),
    ("POST", "/api/campaigns/{name}/pause"): ("Pause a campaign (no new calls)", (), ()),
    ("POST", "/api/campaigns/{name}/resume"): ("Resume a campaign", (), ()),
    ("POST", "/api/campaigns/{name}/pacing"): (
        "Change pacing, ratio, abandon target, weight",
        (),
        ("pacing", "ratio", "abandon_target", "weight"),
    ),
    ("GET", "/api/agents"): ("Agents: state, calls and talk today, ratings", (), ()),
    ("POST", "/api/agents/{name}/state"): (
        "Set an agent ready, paused or logged out",
        (),
        ("state",),
    ),
    ("GET", "/api/desk"): ("The agent's desk: the bridged call, contact, script, history", (), ()),
    ("POST", "/api/desk/optout"): (
        "Opt the callee out now (list, erasure, audit; committed first)",
        (),
        ("attempt",),
    ),
    ("POST", "/api/desk/optout-menu"): ("Move the callee into the opt-out menu", (), ("attempt",)),
    ("POST", "/api/desk/mailbox"): (
        "The agent hears a mailbox: end the call, nothing more played into it",
        (),
        ("attempt",),
    ),
    ("POST", "/api/desk/wrapup"): (
        "Disposition and note of a call",
        (),
        ("attempt", "disposition", "note"),
    ),
    ("GET", "/api/export/processing-record"): (
        "The record of processing activities (Art. 30 GDPR)",
        (),
        (),
    ),
    ("GET", "/api/export/audit"): ("The audit log", (), ()),
    ("POST", "/api/export/audit"): ("One number's audit entries", (), ("number",)),
    ("POST", "/api/export/number"): (
        "Everything stored about a number (Art. 15 GDPR)",
        (),
        ("number",),
    ),
    ("POST", "/api/erasure"): ("Erase a number's personal data (Art. 17 GDPR)", (), ("number",)),
    ("GET", "/api/openapi.json"): ("This description", (), ()),
    ("GET", "/metrics"): ("Prometheus metrics (loopback or bearer token)", (), ()),
}


def document(app: web.Application) -> dict[str, Any]:
    """The OpenAPI description of ``app``'s API routes."""
    paths: dict[str, dict[str, Any]] = {}
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = str(info.get("formatter") or info.get("path") or "")
        key = (route.method, path)
        if key not in OPERATIONS:
            continue
        summary, query, body = OPERATIONS[key]
        roles = allowed_roles(route.handler)
        operation: dict[str, Any] = {
            "summary": summary,
            "description": "Roles: " + (", ".join(sorted(roles)) if roles else "anyone"),
            "parameters": [
                {
                    "name": q,
                    "in": "query",
                    "required": q == "campaign",
                    "schema": {"type": "string"},
                }
                for q in query
            ]
            + [
                {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                for p in ("name",)
                if "{name}" in path
            ],
            "responses": {"200": {"description": "JSON (docs/web.md)"}},
        }
        if body:
            operation["requestBody"] = {
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "properties": {f: {} for f in body}}
                    }
                }
            }
        paths.setdefault(path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "konform web console", "version": "1"},
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "konform_session"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
            }
        },
        "paths": dict(sorted(paths.items())),
    }


async def openapi(request: web.Request) -> web.StreamResponse:
    return web.json_response(document(request.app))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/openapi.json", openapi)
