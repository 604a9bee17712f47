"""``konform callerid …`` and ``konform campaign …``: owned numbers, campaigns, their pacing,
their team of agents and what the console shows of them (client, script, the callee's rating
question)."""

from __future__ import annotations

import argparse
import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

from konform.calling_time import LEGAL_WINDOW, CallingWindow, parse_window
from konform.cli.context import Context, UserError
from konform.jurisdictions import DEFAULT, PROFILES, Profile, profile
from konform.policy import DEFAULT_RETRY_AFTER, Campaign
from konform.store import callerids, campaign_console, campaigns
from konform.store.attempts import OUTCOMES

__all__ = ["register"]

ANONYMOUS = frozenset({"", "anonymous", "unknown", "restricted", "private", "withheld", "0"})


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cid = commands.add_parser("callerid", help="the caller IDs this installation owns")
    cid_cmd = cid.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = cid_cmd.add_parser("add", help="own a number (it may then be shown as caller ID)")
    p.add_argument("number")
    p.add_argument("--label", help="a note, such as the company name shown for it")
    p.set_defaults(handler=callerid_add, creates_db=True)
    p = cid_cmd.add_parser("remove", help="stop owning a number")
    p.add_argument("number")
    p.set_defaults(handler=callerid_remove)
    p = cid_cmd.add_parser("list", help="list owned numbers")
    p.set_defaults(handler=callerid_list)

    camp = commands.add_parser("campaign", help="calling campaigns")
    camp_cmd = camp.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = camp_cmd.add_parser("add", help="create a campaign")
    p.add_argument("name")
    p.add_argument("--caller-id", required=True, help="an owned number, shown to the callee")
    p.add_argument("--purpose", required=True, help="what consents must have been given for")
    p.add_argument(
        "--jurisdiction",
        default=DEFAULT,
        metavar="|".join(PROFILES),
        help=f"the law the campaign is judged by (default {DEFAULT}; see docs/law.md)",
    )
    p.add_argument(
        "--window",
        default=None,
        help="calling window in callee's local time, within the jurisdiction's hours"
        f" (default: all of them; for de '{LEGAL_WINDOW}')",
    )
    p.add_argument("--max-attempts", type=int, default=3, help="calls per number (default 3)")
    p.add_argument(
        "--retry",
        default="",
        help="spacing after each outcome, e.g. 'busy=15m,no_answer=2h,machine=1d' (defaults: "
        + ", ".join(f"{k}={_span(v)}" for k, v in DEFAULT_RETRY_AFTER.items() if v)
        + ")",
    )
    _pacing_arguments(p, defaults=True)
    _team_argument(p, default="all")
    _console_arguments(p)
    p.set_defaults(handler=campaign_add)

    p = camp_cmd.add_parser(
        "set",
        help="change a campaign's window, attempts, retry spacing or pacing (audited)",
        description="Only what is given changes; --retry changes the outcomes it names.",
    )
    p.add_argument("name")
    p.add_argument("--window", help="calling window in callee's local time")
    p.add_argument("--max-attempts", type=int, help="calls per number")
    p.add_argument("--retry", help="spacing after outcomes, e.g. 'busy=15m,no_answer=2h'")
    _pacing_arguments(p, defaults=False)
    _team_argument(p, default=None)
    _console_arguments(p)
    p.set_defaults(handler=campaign_set)
    p = camp_cmd.add_parser("pause", help="stop new calls of a campaign (calls in progress go on)")
    p.add_argument("name")
    p.set_defaults(handler=campaign_pause)
    p = camp_cmd.add_parser("resume", help="let a paused campaign call again")
    p.add_argument("name")
    p.set_defaults(handler=campaign_resume)
    p = camp_cmd.add_parser(
        "list",
        help="list campaigns",
        description="One line per campaign: name, caller ID, purpose, window, attempts, retry"
        " spacing, jurisdiction, pacing, ratio, abandon target, weight, paused or active.",
    )
    p.set_defaults(handler=campaign_list)
    p = camp_cmd.add_parser(
        "show",
        help="show one campaign with its client, script and rating question",
        description="One 'field: value' line per setting; the script's points numbered.",
    )
    p.add_argument("name")
    p.set_defaults(handler=campaign_show)


def _pacing_arguments(p: argparse.ArgumentParser, *, defaults: bool) -> None:
    """--pacing, --ratio, --abandon-target, --weight; without ``defaults``: unchanged unless
    given (``campaign set``)."""
    d = campaigns.CampaignSettings()

    def default(value: str | float) -> dict[str, Any]:
        return {"default": value if defaults else None}

    def shown(value: str | float) -> str:
        return f" (default {value})" if defaults else ""

    p.add_argument(
        "--pacing",
        metavar="|".join(campaigns.PACINGS),
        help="progressive: lines <= free agents x ratio; predictive: lines follow the measured"
        " answer and talk times so that abandoned calls stay at or under the target"
        + shown(d.pacing),
        **default(d.pacing),
    )
    p.add_argument(
        "--ratio",
        type=float,
        help=f"lines per free agent (progressive), more than 0, at most {campaigns.MAX_RATIO:g}"
        + shown(d.ratio),
        **default(d.ratio),
    )
    p.add_argument(
        "--abandon-target",
        type=float,
        help="abandoned calls per person answered, over the last hour and 24 h (predictive);"
        " at most 0.03, Ofcom's persistent-misuse policy" + shown(d.abandon_target),
        **default(d.abandon_target),
    )
    p.add_argument(
        "--weight",
        type=float,
        help="share of calls against campaigns of the same priority level sharing agents,"
        " more than 0" + shown(d.weight),
        **default(d.weight),
    )


def _team_argument(p: argparse.ArgumentParser, *, default: str | None) -> None:
    p.add_argument(
        "--agents",
        metavar="E1,E2,...|all",
        default=default,
        help="the campaign's team: the agents' PJSIP endpoints (of [dialer] agents) who may take"
        " its answered people; 'all' or '': every agent, shared with the other campaigns"
        + (f" (default {default})" if default else ""),
    )


def _team(args: argparse.Namespace, ctx: Context) -> tuple[str, ...] | None:
    """The team given with --agents, checked against ``[dialer] agents`` (UserError); None
    when not given."""
    if args.agents is None:
        return None
    try:
        team = campaigns.parse_agents(args.agents)
    except ValueError as exc:
        raise UserError(f"--{exc}") from None
    known = ctx.config.dialer.agent_list
    unknown = [name for name in team if name not in known]
    if unknown:
        listed = ", ".join(known) if known else "none"
        raise UserError(
            f"--agents: {', '.join(unknown)} not among the agents of [dialer] agents ({listed})"
        )
    return team


def _console_arguments(p: argparse.ArgumentParser) -> None:
    """--csat, --client, --script (unchanged unless given; a new campaign: off, none, none)."""
    p.add_argument(
        "--csat",
        metavar="on|off",
        help="after the agent hangs up, ask the callee to rate the call from 1 to 5 with one key"
        " (skippable), before the opt-out menu (default off)",
    )
    p.add_argument(
        "--client",
        metavar="NAME",
        help="on whose behalf the campaign calls (shown on the agent's desk; '' removes it)",
    )
    p.add_argument(
        "--script",
        metavar="FILE",
        help="the agents' script: a UTF-8 text file, one point per line (the desk's checklist)",
    )


def _console_changes(args: argparse.Namespace) -> dict[str, Any]:
    """The console settings given on the command line, checked (UserError), none written."""
    changes: dict[str, Any] = {}
    if args.csat is not None:
        if args.csat not in ("on", "off"):
            raise UserError(f"--csat {args.csat!r} must be on or off")
        changes["csat"] = args.csat == "on"
    if args.client is not None:
        try:
            campaign_console.check_client(args.client)
        except ValueError as exc:
            raise UserError(f"--client: {exc}") from None
        changes["client"] = args.client
    if args.script is not None:
        path = Path(args.script)
        try:
            text = path.read_text(encoding="utf-8")
            changes["script"] = campaign_console.parse_script(text)
        except OSError as exc:
            raise UserError(f"--script {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise UserError(f"--script {path}: not UTF-8 text") from None
        except ValueError as exc:
            raise UserError(f"--script {path}: {exc}") from None
    return changes


def _console_text(changes: dict[str, Any]) -> list[str]:
    shown = []
    if "client" in changes:
        shown.append(f"client {changes['client'].strip() or '(none)'}")
    if "script" in changes:
        shown.append(f"script of {len(changes['script'])} points")
    if "csat" in changes:
        shown.append(f"rating question {'on' if changes['csat'] else 'off'}")
    return shown


def callerid_add(args: argparse.Namespace, ctx: Context) -> int:
    number = ctx.number(args.number, "caller ID")
    added = callerids.add(ctx.store, number, args.label)
    ctx.out(f"{number} {'added' if added else 'was already owned'}")
    return 0


def callerid_remove(args: argparse.Namespace, ctx: Context) -> int:
    number = ctx.number(args.number, "caller ID")
    if not callerids.remove(ctx.store, number):
        raise UserError(f"{number} is not an owned caller ID")
    ctx.out(f"{number} removed")
    return 0


def callerid_list(args: argparse.Namespace, ctx: Context) -> int:
    for number, label, added in callerids.list_all(ctx.store):
        ctx.out(f"{number}\t{label or ''}\t{added}")
    return 0


def campaign_add(args: argparse.Namespace, ctx: Context) -> int:
    if args.caller_id.strip().lower() in ANONYMOUS:
        raise UserError(f"caller ID {args.caller_id!r} is anonymous: calls must show a number")
    number = ctx.number(args.caller_id, "caller ID")
    if not callerids.is_owned(ctx.store, number):
        raise UserError(
            f"caller ID {number} is not owned: add it first with 'konform callerid add {number}'"
        )
    try:
        law = profile(args.jurisdiction)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    window = law.envelope if args.window is None else _window(args.window, law)
    if args.max_attempts < 1:
        raise UserError("--max-attempts must be at least 1")
    if not args.purpose.strip():
        raise UserError("--purpose must not be empty")
    retry_after = dict(DEFAULT_RETRY_AFTER)
    retry_after.update(parse_retry(args.retry))
    campaign = Campaign(
        args.name,
        number,
        args.purpose.strip(),
        window,
        max_attempts=args.max_attempts,
        retry_after=retry_after,
        jurisdiction=law.code,
    )
    team = _team(args, ctx) or ()
    pacing = campaigns.CampaignSettings(
        args.pacing, args.ratio, args.abandon_target, args.weight, agents=team
    )
    console = _console_changes(args)  # checked before anything is written
    try:
        campaigns.check_settings(pacing)
        with ctx.store.transaction():  # the campaign and its console settings, or nothing
            campaigns.add(ctx.store, campaign, pacing)
            if console:
                campaign_console.change(ctx.store, args.name, **console)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    except sqlite3.IntegrityError:
        raise UserError(f"a campaign named {args.name!r} exists already") from None
    ctx.out(
        f"campaign {args.name} added: caller ID {number}, purpose {campaign.purpose},"
        f" window {window}, {args.max_attempts} attempts, jurisdiction {law.code},"
        f" {_pacing_text(pacing)}, agents {campaigns.agents_text(team) or 'all'}"
        + "".join(f", {t}" for t in _console_text(console))
    )
    return 0


def _window(text: str, law: Profile) -> CallingWindow:
    try:
        window = parse_window(text)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if not window.within(law.envelope):
        raise UserError(
            f"calling window {window} is wider than the legal {law.envelope} of jurisdiction"
            f" {law.code}"
        )
    return window


def _pacing_text(s: campaigns.CampaignSettings) -> str:
    ratio = f" ratio {s.ratio:g}" if s.pacing == "progressive" else ""
    return f"{s.pacing}{ratio}, abandon target {s.abandon_target:g}, weight {s.weight:g}" + (
        ", paused" if s.paused else ""
    )


def _campaign_named(ctx: Context, name: str) -> Campaign:
    campaign = campaigns.get(ctx.store, name)
    if campaign is None:
        raise UserError(f"no campaign named {name!r}")
    return campaign


def campaign_set(args: argparse.Namespace, ctx: Context) -> int:
    campaign = _campaign_named(ctx, args.name)
    given = (
        "window",
        "max_attempts",
        "retry",
        "pacing",
        "ratio",
        "abandon_target",
        "weight",
        "agents",
    )
    console = _console_changes(args)
    if all(getattr(args, k) is None for k in given) and not console:
        raise UserError(
            "nothing to change: give --window, --max-attempts, --retry, --pacing,"
            " --ratio, --abandon-target, --weight, --agents, --csat, --client or --script"
        )
    team = _team(args, ctx)
    window = None if args.window is None else _window(args.window, profile(campaign.jurisdiction))
    retry = None if args.retry is None else parse_retry(args.retry)
    try:
        with ctx.store.transaction():  # every change given, or none
            changed = campaigns.change(
                ctx.store,
                args.name,
                window=window,
                max_attempts=args.max_attempts,
                retry_after=retry,
                pacing=args.pacing,
                ratio=args.ratio,
                abandon_target=args.abandon_target,
                weight=args.weight,
                agents=team,
            )
            if console:
                changed.update(campaign_console.change(ctx.store, args.name, **console))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if not changed:
        ctx.out(f"campaign {args.name} unchanged")
        return 0
    ctx.out(f"campaign {args.name} changed: " + ", ".join(_changes(changed)))
    return 0


def _changes(changed: dict[str, tuple[object, object]]) -> list[str]:
    shown = []
    for key, (before, after) in changed.items():
        if key == "retry_after":  # stored as minutes per outcome: show the outcomes changed
            old, new = json.loads(str(before)), json.loads(str(after))
            shown += [
                f"retry {o} {_span(timedelta(minutes=old.get(o, 0)))}"
                f" -> {_span(timedelta(minutes=m))}"
                for o, m in sorted(new.items())
                if old.get(o) != m
            ]
        elif key == "script":  # many lines: the number of points
            points = [len(str(v).split("\n")) if v else 0 for v in (before, after)]
            shown.append(f"script {points[0]} -> {points[1]} points")
        elif key == "csat":
            shown.append(f"rating question {_on(before)} -> {_on(after)}")
        elif key == "agents":  # None: every agent
            shown.append(f"agents {before or 'all'} -> {after or 'all'}")
        else:
            shown.append(f"{key} {before} -> {after}")
    return shown


def _on(value: object) -> str:
    return "on" if value else "off"


def campaign_pause(args: argparse.Namespace, ctx: Context) -> int:
    _campaign_named(ctx, args.name)
    if campaigns.pause(ctx.store, args.name):
        ctx.out(f"campaign {args.name} paused: no new calls (calls in progress go on)")
    else:
        since = campaigns.paused_since(ctx.store, args.name)
        ctx.out(f"campaign {args.name} was paused already (since {since})")
    return 0


def campaign_resume(args: argparse.Namespace, ctx: Context) -> int:
    _campaign_named(ctx, args.name)
    if campaigns.resume(ctx.store, args.name):
        ctx.out(f"campaign {args.name} resumed")
    else:
        ctx.out(f"campaign {args.name} was not paused")
    return 0


_UNITS = {"m": 1, "h": 60, "d": 1440}


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    for unit, size in (("d", 1440), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


def parse_retry(text: str) -> dict[str, timedelta]:
    """``busy=15m,no_answer=2h`` → spacing per outcome; UserError on anything else."""
    spacing: dict[str, timedelta] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        outcome, _, value = part.partition("=")
        outcome = outcome.strip()
        value = value.strip().lower()
        if outcome not in OUTCOMES or outcome == "blocked":
            raise UserError(f"--retry: unknown outcome {outcome!r} (use {', '.join(OUTCOMES[:5])})")
        if len(value) < 2 or value[-1] not in _UNITS or not value[:-1].isdigit():
            raise UserError(f"--retry: {part!r} needs a duration like 15m, 2h or 1d")
        spacing[outcome] = timedelta(minutes=int(value[:-1]) * _UNITS[value[-1]])
        if not spacing[outcome]:
            # A spacing of 0 would let a dialer ring the same person again at once.
            raise UserError(f"--retry: the spacing after {outcome} must be more than 0")
    return spacing


def campaign_list(args: argparse.Namespace, ctx: Context) -> int:
    pacing = campaigns.all_settings(ctx.store)
    for c in campaigns.list_all(ctx.store):
        retry = ",".join(f"{k}={_span(v)}" for k, v in sorted(c.retry_after.items()) if v)
        p = pacing[c.name]
        ctx.out(
            f"{c.name}\t{c.caller_id}\t{c.purpose}\t{c.window}\t{c.max_attempts}\t{retry}"
            f"\t{c.jurisdiction}\t{p.pacing}\t{p.ratio:g}\t{p.abandon_target:g}\t{p.weight:g}"
            f"\t{'paused' if p.paused else 'active'}"
        )
    return 0


def campaign_show(args: argparse.Namespace, ctx: Context) -> int:
    c = _campaign_named(ctx, args.name)
    p = campaigns.settings(ctx.store, args.name)
    console = campaign_console.get(ctx.store, args.name)
    retry = ",".join(f"{k}={_span(v)}" for k, v in sorted(c.retry_after.items()) if v)
    for field, value in (
        ("name", c.name),
        ("caller ID", c.caller_id),
        ("purpose", c.purpose),
        ("window", c.window),
        ("max attempts", c.max_attempts),
        ("retry", retry),
        ("jurisdiction", c.jurisdiction),
        ("pacing", _pacing_text(p)),
        ("agents", campaigns.agents_text(p.agents) or "all"),
        ("state", "paused" if p.paused else "active"),
        ("client", console.client or "-"),
        ("rating question", _on(console.csat)),
        ("script", f"{len(console.script)} points" if console.script else "-"),
    ):
        ctx.out(f"{field}: {value}")
    for number, point in enumerate(console.script, start=1):
        ctx.out(f"  {number}. {point}")
    return 0
