"""``konform key status|backup|restore|recovery-init|recover``: custody of the installation key
(see docs/key-custody.md). Losing the key loses every objection on the internal list."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from konform.cli.context import Context, UserError
from konform.store import keys
from konform.store.database import key_path_for

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    k = commands.add_parser("key", help="back up, restore or recover the installation key")
    actions = k.add_subparsers(dest="action", required=True, metavar="ACTION")

    p = actions.add_parser("status", help="where the key is, whether it fits, whether sealed")
    p.set_defaults(handler=key_status)

    p = actions.add_parser("backup", help="copy the key to a new file (0600)")
    p.add_argument("--out", type=Path, required=True, help="the backup file (must not exist)")
    p.set_defaults(handler=key_backup)

    p = actions.add_parser(
        "restore", help="put a backed-up key back (checked against the database)"
    )
    p.add_argument("file", type=Path, help="the backup file")
    p.set_defaults(handler=key_restore)

    p = actions.add_parser(
        "recovery-init", help="seal a copy of the key in the database under a passphrase"
    )
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help=f"read the passphrase (at least {keys.MIN_PASSPHRASE} characters) from stdin",
    )
    how.add_argument(
        "--generate", action="store_true", help="make a random recovery code and print it once"
    )
    p.add_argument(
        "--replace", action="store_true", help="replace an existing sealed copy (new passphrase)"
    )
    p.set_defaults(handler=key_recovery_init)

    p = actions.add_parser("recover", help="rewrite a lost key file from the sealed copy")
    p.add_argument(
        "--passphrase-stdin",
        action="store_true",
        required=True,
        help="read the passphrase or recovery code from stdin",
    )
    p.set_defaults(handler=key_recover)


def _key_file(ctx: Context) -> Path:
    return key_path_for(ctx.db_path, ctx.config.store.secret_file or None)


def _existing_database(ctx: Context) -> Path:
    if not ctx.db_path.exists():
        raise UserError(f"no database at {ctx.db_path}")
    return ctx.db_path


def _passphrase() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("recovery passphrase: ")
    line = sys.stdin.readline()
    passphrase = line.rstrip("\r\n")
    if not passphrase:
        raise UserError("no passphrase on stdin")
    return passphrase


def key_status(args: argparse.Namespace, ctx: Context) -> int:
    state = keys.status(_existing_database(ctx), _key_file(ctx))
    fits = {True: "fits the database", False: "DOES NOT fit the database", None: "unchecked"}
    ctx.out(f"database:      {ctx.db_path}")
    ctx.out(f"fingerprint:   {state.fingerprint or '(none)'}")
    ctx.out(
        f"key file:      {state.key_file} "
        + (f"({fits[state.key_matches]})" if state.key_file_present else "(MISSING)")
    )
    ctx.out(
        f"sealed copy:   {'yes' if state.recovery_sealed else 'no (konform key recovery-init)'}"
    )
    return 0 if state.key_file_present and state.key_matches is not False else 1


def key_backup(args: argparse.Namespace, ctx: Context) -> int:
    fp = keys.backup(_existing_database(ctx), _key_file(ctx), args.out)
    ctx.out(f"key {fp} copied to {args.out} (0600); keep it apart from the database")
    return 0


def key_restore(args: argparse.Namespace, ctx: Context) -> int:
    key_file = _key_file(ctx)
    written = keys.restore(_existing_database(ctx), key_file, args.file)
    ctx.out(f"key restored to {key_file}" if written else f"{key_file} already holds this key")
    return 0


def key_recovery_init(args: argparse.Namespace, ctx: Context) -> int:
    _existing_database(ctx)
    if args.generate:
        code = keys.generate_recovery_code()
        keys.recovery_init(ctx.store, code, replace=args.replace)
        ctx.out(f"recovery code: {code}")
        ctx.out("write it down and keep it apart from the server; it is shown only this once")
    else:
        keys.recovery_init(ctx.store, _passphrase(), replace=args.replace)
        ctx.out("a copy of the key is sealed in the database under your passphrase")
    return 0


def key_recover(args: argparse.Namespace, ctx: Context) -> int:
    key_file = _key_file(ctx)
    written = keys.recover(_existing_database(ctx), key_file, _passphrase)
    ctx.out(f"key recovered to {key_file}" if written else f"{key_file} already holds this key")
    return 0
