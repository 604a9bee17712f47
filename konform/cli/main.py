"""Entry point of the ``konform`` command: parsing, dispatch, and errors as one clear line."""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from konform import __version__, logs
from konform.cli import (
    agent,
    agi_serve,
    amd,
    consent,
    contact,
    demo,
    directory,
    imports,
    key,
    policy,
    privacy,
    report,
    retention,
    sandbox,
    serve,
    user,
    walkthrough,
    web,
)
from konform.cli.context import Context, UserError
from konform.config import ConfigError, load_config
from konform.store.database import StoreError

__all__ = ["build_parser", "main"]

logger = logging.getLogger("konform")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="konform",
        description="Compliance-first outbound calling for Asterisk: consent, calling hours,"
        " do-not-call lists, visible caller ID, audit trail.",
    )
    parser.add_argument("--version", action="version", version=f"konform {__version__}")
    parser.add_argument(
        "--db", type=Path, help="SQLite database (default ./konform.db, or $KONFORM_DB)"
    )
    parser.add_argument("--config", type=Path, help="TOML config (default ./konform.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    parser.add_argument(
        "--log-format", choices=logs.FORMATS, default="text", help="text or JSON lines (stderr)"
    )
    parser.add_argument(
        "--log-level", choices=logs.LEVELS, help="default warning, info with --verbose"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (
        directory,
        imports,
        contact,
        agent,
        report,
        policy,
        privacy,
        consent,
        retention,
        key,
        amd,
        sandbox,
        serve,
        web,
        user,
        agi_serve,
        walkthrough,
        demo,
    ):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.configure(args.log_level or ("info" if args.verbose else "warning"), args.log_format)
    ctx: Context | None = None
    try:
        config = load_config(args.config)
        logs.protect([(config.ari.password, config.ari.username)])
        ctx = Context(config, args.db or Path(config.store.db), getattr(args, "creates_db", False))
        code: int = args.handler(args, ctx)
        return code
    except UserError as exc:
        return _fail(str(exc), exc.code)
    except (ConfigError, StoreError) as exc:
        return _fail(str(exc), 2)
    except sqlite3.OperationalError as exc:
        return _fail(f"database error: {exc}", 2)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        return 1
    except Exception as exc:  # a user never sees a traceback
        if os.environ.get("KONFORM_DEBUG"):
            raise
        logger.debug("internal error", exc_info=True)
        return _fail(
            f"internal error: {type(exc).__name__}: {exc} (set KONFORM_DEBUG=1 for details)", 3
        )
    finally:
        if ctx is not None:
            ctx.close()


def _fail(message: str, code: int) -> int:
    sys.stderr.write(f"konform: error: {message}\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
