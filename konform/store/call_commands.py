"""Console commands to live calls: the web console asks, the running engine takes.

A request about a live call (``optout_menu``: move the callee into the opt-out menu;
``hangup``: end the call politely; ``mailbox``: the agent hears a mailbox the detector missed,
end the call at once with nothing more played) is a row of ``call_commands``, audited when it
is asked for.
The engine that runs the call takes the open rows every tick (:func:`take_open`: ``taken_at``
set and audited in one transaction) and hands each to its call. A request for a call that is
over is taken as well, audited as not delivered, so that nothing stays open for ever; a request
for a call another engine runs is left to that engine.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

from konform.store import audit
from konform.store.database import Store, utc_text

__all__ = ["COMMANDS", "CallCommand", "CommandName", "request", "take_open"]

CommandName = Literal["optout_menu", "hangup", "mailbox"]
COMMANDS: tuple[CommandName, ...] = get_args(CommandName)


@dataclass(frozen=True, slots=True)
class CallCommand:
    """An open request, as the engine takes it."""

    id: int
    attempt_id: int
    command: CommandName
    requested_by: str
    requested_at: str


def request(
    store: Store, attempt_id: int, command: str, by: str, at: datetime | None = None
) -> int:
    """Ask the engine to carry out ``command`` on the live call of ``attempt_id`` (audited);
    the new row's id. ``by`` names who asked (a console user). KeyError for an unknown
    attempt; ValueError (nothing written) for an unknown command, an empty ``by`` or a call
    that is over."""
    if command not in COMMANDS:
        raise ValueError(f"command {command!r} must be {' or '.join(COMMANDS)}")
    if not by.strip():
        raise ValueError("a command needs who asked for it")
    now = at or datetime.now(UTC)
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT a.outcome, a.number_key, c.name FROM call_attempts a"
            " JOIN campaigns c ON c.id = a.campaign_id WHERE a.id = ?",
            (attempt_id,),
        ).fetchone()
        if row is None:
            raise KeyError(attempt_id)
        outcome, key, campaign = row
        if outcome is not None:
            raise ValueError(f"call {attempt_id} is over ({outcome})")
        cursor = conn.execute(
            "INSERT INTO call_commands (attempt_id, command, requested_by, requested_at)"
            " VALUES (?, ?, ?, ?)",
            (attempt_id, command, by, utc_text(now)),
        )
        ident = int(cursor.lastrowid or 0)
        audit.record(
            store,
            "call_command_requested",
            campaign=campaign,
            key=bytes(key),
            at=now,
            attempt=attempt_id,
            command=command,
            by=by,
            id=ident,
        )
    return ident


def take_open(store: Store, live: Collection[int], at: datetime | None = None) -> list[CallCommand]:
    """The open requests for the attempts in ``live`` (the calls this engine runs) that have no
    outcome yet, oldest first, marked taken and audited (``call_command_taken``, delivered);
    open requests of calls that are over are marked taken too (audited, not delivered) and not
    returned."""
    # Asked every second: a plain read first, so that an idle console costs no write lock.
    if not store.conn.execute(
        "SELECT EXISTS (SELECT 1 FROM call_commands WHERE taken_at IS NULL)"
    ).fetchone()[0]:
        return []
    now = at or datetime.now(UTC)
    live_ids = set(live)
    taken: list[CallCommand] = []
    with store.transaction() as conn:
        rows = conn.execute(
            "SELECT k.id, k.attempt_id, k.command, k.requested_by, k.requested_at,"
            " a.outcome, a.number_key, c.name FROM call_commands k"
            " JOIN call_attempts a ON a.id = k.attempt_id"
            " JOIN campaigns c ON c.id = a.campaign_id"
            " WHERE k.taken_at IS NULL ORDER BY k.id"
        ).fetchall()
        for ident, attempt_id, command, by, requested_at, outcome, key, campaign in rows:
            delivered = attempt_id in live_ids and outcome is None
            if not delivered and outcome is None:
                continue  # a live call of another engine (or not placed yet)
            conn.execute(
                "UPDATE call_commands SET taken_at = ? WHERE id = ?", (utc_text(now), ident)
            )
            audit.record(
                store,
                "call_command_taken",
                campaign=campaign,
                key=bytes(key),
                at=now,
                attempt=attempt_id,
                command=command,
                by=by,
                id=ident,
                delivered=delivered,
                **({} if delivered else {"call_over": outcome}),
            )
            if delivered:
                taken.append(CallCommand(ident, attempt_id, command, by, requested_at))
    return taken
