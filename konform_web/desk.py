"""The agent's desk: the call bridged to the agent's phone now (contact, campaign, client,
script, recording, the contact's history), opt-out now, the opt-out menu, "mailbox" (the
detector took a mailbox for a person: end the call with nothing more played into it), wrap-up.

Only an agent account uses it, and only for attempts given to its own phone (``[agent]`` of
the account = the attempt's agent). "Opt-out now" is the one opt-out of the store
(:func:`konform.store.objection.opt_out`: list, erasure and audit in one transaction) and
answers only after that committed.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from konform.store import call_commands, console, report
from konform.store.database import Store
from konform.store.objection import opt_out
from konform_web.app import CONSOLE, error, json_body, session_of
from konform_web.security import allow

__all__ = ["add_routes"]


def _desk(store: Store, agent: str, dispositions: list[str]) -> dict[str, Any]:
    state = report.agents_now(store, (agent,)).get(agent, ("logged_out", None))[0]
    call = console.bridged_call(store, agent)
    shown: dict[str, Any] | None = None
    if call is not None:
        consent, recorded = console.recording(store, call)
        shown = {
            "attempt": call.id,
            "campaign": call.campaign,
            "client": call.client,
            "contact": console.contact(store, call.number),
            "recording": recorded,
            "recording_consent": consent,
            "script": [line.strip() for line in (call.script or "").splitlines() if line.strip()],
            "history": console.history(store, call),
            "bridged_at": call.bridged_at,
        }
    return {"agent": agent, "state": state, "call": shown, "dispositions": dispositions}


def _agent(request: web.Request) -> str:
    agent = session_of(request).user.agent
    if not agent:
        raise error(403, "this account has no agent phone")
    return agent


@allow("agent")
async def get_desk(request: web.Request) -> web.StreamResponse:
    c = request.app[CONSOLE]
    codes = c.config.web.disposition_list
    return web.json_response(await c.worker.run(_desk, c.store, _agent(request), codes))


async def _own_attempt(request: web.Request, body: dict[str, Any]) -> console.Attempt:
    """The attempt the body names, if it was given to this agent; else 404/403."""
    c = request.app[CONSOLE]
    ident = body.get("attempt")
    if isinstance(ident, bool) or not isinstance(ident, int):
        raise error(400, "give attempt: the attempt's id (a whole number)")
    call = await c.worker.run(console.attempt, c.store, ident)
    if call is None:
        raise error(404, f"no attempt {ident}")
    if call.agent is None or call.agent != _agent(request):
        raise error(403, "this attempt is not one of your calls")
    return call


def _opt_out(store: Store, call: console.Attempt) -> bool:
    number = store.conn.execute(
        "SELECT number FROM call_attempts WHERE id = ?", (call.id,)
    ).fetchone()[0]
    if number is None:  # erased already (an earlier opt-out or erasure of this number)
        return False
    opt_out(store, number, source="agent desk", campaign=call.campaign)
    return True


@allow("agent")
async def desk_optout(request: web.Request) -> web.StreamResponse:
    """The callee objects and the agent enters it (Art. 21 (3) GDPR, § 7 UWG): on the list,
    data erased, audited, committed before the answer."""
    c = request.app[CONSOLE]
    call = await _own_attempt(request, await json_body(request))
    try:
        done = await c.worker.run(_opt_out, c.store, call)
    except Exception:
        raise web.HTTPServiceUnavailable(
            text='{"error": "the opt-out could not be stored: try again now"}',
            content_type="application/json",
        ) from None
    if not done:
        raise error(409, "this call's number is erased already (opted out before)")
    return web.json_response({"done": True})


async def _ask_engine(request: web.Request, command: call_commands.CommandName) -> web.Response:
    """A request about the agent's own live call that the running engine takes (audited)."""
    c = request.app[CONSOLE]
    call = await _own_attempt(request, await json_body(request))
    if call.outcome is not None:
        raise error(409, "the call is over")
    by = session_of(request).user.name
    try:
        await c.worker.run(call_commands.request, c.store, call.id, command, by)
    except ValueError:  # the call ended meanwhile
        raise error(409, "the call is over") from None
    return web.json_response({"queued": True}, status=202)


@allow("agent")
async def desk_optout_menu(request: web.Request) -> web.StreamResponse:
    """Move the callee into the opt-out menu."""
    return await _ask_engine(request, "optout_menu")


@allow("agent")
async def desk_mailbox(request: web.Request) -> web.StreamResponse:
    """The agent hears a mailbox (the detector's miss): the engine hangs up at once, nothing
    more is played into it (no opt-out menu, rating or goodbye), the outcome is ``machine`` by
    the AMD stage ``agent`` (no message on a mailbox: docs/law.md, "Mailboxes")."""
    return await _ask_engine(request, "mailbox")


@allow("agent")
async def desk_wrapup(request: web.Request) -> web.StreamResponse:
    c = request.app[CONSOLE]
    body = await json_body(request)
    call = await _own_attempt(request, body)
    disposition, note = body.get("disposition"), body.get("note") or ""
    codes = c.config.web.disposition_list
    if disposition not in codes:
        raise error(400, f"disposition must be one of {', '.join(codes)}")
    if not isinstance(note, str) or len(note) > console.MAX_NOTE:
        raise error(400, f"note must be text of at most {console.MAX_NOTE} characters")
    by = session_of(request).user.name
    result = await c.worker.run(console.wrap_up, c.store, call, str(disposition), note, by)
    return web.json_response({"done": True, **result})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/desk", get_desk)
    app.router.add_post("/api/desk/optout", desk_optout)
    app.router.add_post("/api/desk/optout-menu", desk_optout_menu)
    app.router.add_post("/api/desk/mailbox", desk_mailbox)
    app.router.add_post("/api/desk/wrapup", desk_wrapup)
