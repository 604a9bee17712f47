"""``konform agent ready|pause|logout NAME`` and ``konform agent list``: agents' states as
operators set them (the engine knows the live state: in call, wrap-up)."""

from __future__ import annotations

import argparse
import getpass

from konform.cli.context import Context, UserError
from konform.store import agent_states
from konform.store.agent_states import AgentState

__all__ = ["register"]

_ACTIONS: dict[str, tuple[AgentState, str]] = {
    "ready": ("ready", "the agent takes calls"),
    "pause": ("paused", "the agent takes no new calls (a call in progress goes on)"),
    "logout": ("logged_out", "the agent is logged out"),
}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    agent = commands.add_parser("agent", help="agents' states (ready, paused, logged out)")
    actions = agent.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, (_, what) in _ACTIONS.items():
        p = actions.add_parser(action, help=f"{what} (audited)")
        p.add_argument("name", help="the PJSIP endpoint of the agent's phone")
        p.set_defaults(handler=agent_set)
    p = actions.add_parser(
        "list",
        help="agents and their states",
        description="One line per agent: name, state as operators set it and since when, the"
        " state the engine logged last (if it runs), configured in [dialer] agents or not.",
    )
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(handler=agent_list)


def agent_set(args: argparse.Namespace, ctx: Context) -> int:
    state, _ = _ACTIONS[args.action]
    try:
        agent_states.check_name(args.name)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if args.name not in ctx.config.dialer.agent_list:
        ctx.warn(f"warning: agent {args.name} is not in the [dialer] agents of the configuration")
    changed = agent_states.set(ctx.store, args.name, state, by=_operator())
    ctx.out(f"agent {args.name} {state.replace('_', ' ')}" + ("" if changed else " already"))
    return 0


def _operator() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name known (a container without a passwd entry)
        return None


def agent_list(args: argparse.Namespace, ctx: Context) -> int:
    configured = ctx.config.dialer.agent_list
    rows = agent_states.rows(ctx.store, tuple(configured))
    if args.json:
        ctx.out_json(
            [
                {
                    "name": r.name,
                    "state": r.state,
                    "since": r.since,
                    "logged_state": r.logged,
                    "logged_since": r.logged_since,
                    "configured": r.name in configured,
                }
                for r in rows
            ]
        )
        return 0
    for r in rows:
        ctx.out(
            f"{r.name}\t{r.state or '-'}\t{r.since or '-'}"
            f"\t{r.logged or '-'}\t{r.logged_since or '-'}"
            f"\t{'configured' if r.name in configured else 'not configured'}"
        )
    return 0
