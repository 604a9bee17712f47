"""``konform user add|list|remove|passwd|role``: accounts of the web console (audited).

There is no default account: the first one is made here. Passwords come from stdin
(``--password-stdin``, one line) or, at a terminal, from a prompt; never from an argument (it
would stay in the shell's history and the process list).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from konform.cli.context import Context, UserError
from konform.store import users

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    u = commands.add_parser("user", help="accounts of the web console (roles, passwords)")
    actions = u.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser(
        "add",
        help="create an account",
        description="Roles: agent (the desk, own calls only), supervisor (wallboard, campaigns,"
        " agents), admin (all of it and exports), dpo (data-protection officer: wallboard,"
        " exports, erasures, the processing record).",
    )
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=users.ROLES)
    p.add_argument("--agent", help="the PJSIP endpoint of the agent's phone (role agent)")
    _password_argument(p)
    p.set_defaults(handler=user_add, creates_db=True)
    p = actions.add_parser("list", help="accounts: name, role, agent, created, locked until")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(handler=user_list)
    p = actions.add_parser("remove", help="delete an account and end its sessions")
    p.add_argument("name")
    p.set_defaults(handler=user_remove)
    p = actions.add_parser("passwd", help="set a new password (ends sessions, lifts a lockout)")
    p.add_argument("name")
    _password_argument(p)
    p.set_defaults(handler=user_passwd)
    p = actions.add_parser("role", help="give an account another role (ends its sessions; audited)")
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=users.ROLES)
    p.add_argument("--agent", help="the PJSIP endpoint of the agent's phone (role agent)")
    p.set_defaults(handler=user_role)


def _password_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (else: prompt at a terminal)",
    )


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    if not sys.stdin.isatty():
        raise UserError("give the password with --password-stdin (or run at a terminal)")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise UserError("the passwords differ")
    return first


def _operator() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def user_add(args: argparse.Namespace, ctx: Context) -> int:
    try:
        users.check_name(args.name)
        if args.role == "agent" and not args.agent:
            raise ValueError("an agent account needs --agent ENDPOINT (its phone's endpoint)")
        password = _password(args)
        users.add(ctx.store, args.name, args.role, password, args.agent, by=_operator())
    except ValueError as exc:
        raise UserError(str(exc)) from None
    except KeyError:
        raise UserError(f"an account named {args.name!r} exists already") from None
    agent = f", agent {args.agent}" if args.agent else ""
    ctx.out(f"user {args.name} added: role {args.role}{agent}")
    return 0


def user_list(args: argparse.Namespace, ctx: Context) -> int:
    rows = users.list_all(ctx.store)
    if args.json:
        ctx.out_json(
            [
                {
                    "name": u.name,
                    "role": u.role,
                    "agent": u.agent,
                    "created_at": u.created_at,
                    "locked_until": u.locked_until,
                }
                for u in rows
            ]
        )
        return 0
    for u in rows:
        ctx.out(f"{u.name}\t{u.role}\t{u.agent or '-'}\t{u.created_at}\t{u.locked_until or '-'}")
    return 0


def user_remove(args: argparse.Namespace, ctx: Context) -> int:
    if not users.remove(ctx.store, args.name, by=_operator()):
        raise UserError(f"no user named {args.name!r}")
    ctx.out(f"user {args.name} removed")
    return 0


def user_passwd(args: argparse.Namespace, ctx: Context) -> int:
    if users.get(ctx.store, args.name) is None:
        raise UserError(f"no user named {args.name!r}")
    try:
        users.set_password(ctx.store, args.name, _password(args), by=_operator())
    except ValueError as exc:
        raise UserError(str(exc)) from None
    ctx.out(f"user {args.name}: password set, sessions ended")
    return 0


def user_role(args: argparse.Namespace, ctx: Context) -> int:
    try:
        user = users.set_role(ctx.store, args.name, args.role, args.agent, by=_operator())
    except KeyError:
        raise UserError(f"no user named {args.name!r}") from None
    except ValueError as exc:
        raise UserError(str(exc)) from None
    agent = f", agent {user.agent}" if user.agent else ""
    ctx.out(f"user {args.name}: role {user.role}{agent}, sessions ended")
    return 0
