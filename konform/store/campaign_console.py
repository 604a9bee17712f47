"""What a campaign's calls and the console need beyond dialling: the client on whose behalf it
calls, the script its agents follow, and whether the callee is asked to rate the call.

The script is plain text, one point per line (the agent's desk shows it as a checklist); the
Telemarketing code (DDV) expects an agent to name the company and on whose behalf the call is
made, ask whether the moment suits and point to the right to object. Changes are audited as
``campaign_changed``, like the campaign's other settings (:func:`konform.store.campaigns.change`).
"""

from __future__ import annotations

from dataclasses import dataclass

from konform.store import campaigns
from konform.store.database import Store

__all__ = [
    "MAX_CLIENT",
    "MAX_POINT",
    "MAX_POINTS",
    "ConsoleSettings",
    "asks_rating",
    "change",
    "check_client",
    "get",
    "parse_script",
]

MAX_CLIENT = 200
MAX_POINTS = 50
MAX_POINT = 300
"""Characters of one point of a script: a line an agent reads at a glance."""


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    client: str | None = None
    script: tuple[str, ...] = ()
    csat: bool = False
    """The callee is asked to rate the call (1-5, one key, skippable) after the agent hangs up."""


def check_client(name: str) -> str | None:
    """The client's name as stored (None: no client); ValueError for one that cannot be."""
    name = name.strip()
    if not name:
        return None
    if len(name) > MAX_CLIENT or not name.isprintable():
        raise ValueError(f"client must be one line of at most {MAX_CLIENT} printable characters")
    return name


def parse_script(text: str) -> tuple[str, ...]:
    """The points of a script (one per line; blank lines and surrounding spaces dropped);
    ValueError for an empty script, too many points, or a point too long or not printable."""
    points = tuple(p for p in (line.strip() for line in text.splitlines()) if p)
    if not points:
        raise ValueError("the script has no points (one point per line)")
    if len(points) > MAX_POINTS:
        raise ValueError(f"the script has {len(points)} points; at most {MAX_POINTS}")
    for number, point in enumerate(points, start=1):
        if len(point) > MAX_POINT:
            raise ValueError(f"point {number} of the script is longer than {MAX_POINT} characters")
        if not point.isprintable():
            raise ValueError(f"point {number} of the script has a control character")
    return points


def _settings(client: str | None, script: str | None, csat: int) -> ConsoleSettings:
    return ConsoleSettings(client, tuple(script.split("\n")) if script else (), bool(csat))


def get(store: Store, name: str) -> ConsoleSettings:
    """The campaign's client, script and rating question; KeyError for an unknown name."""
    row = store.conn.execute(
        "SELECT client, script, csat FROM campaigns WHERE name = ?", (name,)
    ).fetchone()
    if row is None:
        raise KeyError(name)
    return _settings(*row)


def asks_rating(store: Store, campaign_id: int) -> bool:
    """Whether the campaign's callees are asked to rate the call (read at each admission)."""
    row = store.conn.execute("SELECT csat FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
    return bool(row and row[0])


def change(
    store: Store,
    name: str,
    *,
    client: str | None = None,
    script: tuple[str, ...] | None = None,
    csat: bool | None = None,
) -> dict[str, tuple[object, object]]:
    """Change what is given (None: unchanged; ``client=""`` removes the client). Audited as one
    ``campaign_changed`` event; returns ``{field: (before, after)}`` of what changed. KeyError
    for an unknown campaign, ValueError (nothing written) for bad values."""
    new_client = None if client is None else check_client(client)
    if script is not None:
        script = parse_script("\n".join(script))
    with store.transaction():
        old = get(store, name)
        columns: dict[str, tuple[object, object]] = {
            "client": (old.client, old.client if client is None else new_client),
            "script": (
                "\n".join(old.script) or None,
                "\n".join(old.script if script is None else script) or None,
            ),
            "csat": (int(old.csat), int(old.csat if csat is None else csat)),
        }
        return campaigns.write_changes(store, name, columns)
