"""``konform report --campaign NAME``: a campaign's figures as a table or JSON."""

from __future__ import annotations

import argparse
from datetime import datetime

from konform.cli.context import Context, UserError
from konform.cli.policy import parse_instant
from konform.store.report import CampaignReport, campaign_report

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "report",
        help="a campaign's figures: outcomes, abandon rate, answer rate, occupancy",
        description="Figures over the attempts started in the period (default: all of them, up"
        " to now). The abandon rate is abandoned calls per person answered (Ofcom: at most 3 %"
        " of live calls per campaign); the last hour and 24 h end at --until. Occupancy is the"
        " campaign's talk time over the time agents were logged in.",
    )
    p.add_argument("--campaign", required=True)
    p.add_argument("--since", help="ISO 8601 instant (no offset = Europe/Berlin)")
    p.add_argument("--until", help="ISO 8601 instant (default: now)")
    p.add_argument("--json", action="store_true", help="print the figures as a JSON object")
    p.set_defaults(handler=report)


def _instant(text: str | None, option: str) -> datetime | None:
    return None if text is None else parse_instant(text, option)


def report(args: argparse.Namespace, ctx: Context) -> int:
    since = _instant(args.since, "--since")
    until = _instant(args.until, "--until")
    try:
        figures = campaign_report(ctx.store, args.campaign, since, until)
    except KeyError:
        raise UserError(f"no campaign named {args.campaign!r}") from None
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if args.json:
        ctx.out_json(figures.to_dict())
    else:
        for line in table(figures):
            ctx.out(line)
    return 0


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.2f} %"


def _duration(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def table(r: CampaignReport) -> list[str]:
    """The report as lines of text."""
    lines = [
        f"campaign {r.campaign}: attempts started {r.since or 'ever'} to {r.until}",
        f"attempts\t{r.attempts}\t({r.in_progress} in progress)",
        *(f"  {outcome}\t{count}" for outcome, count in r.outcomes.items()),
        f"abandoned\t{r.abandoned}\t{_percent(r.abandon_rate)} of people answered"
        f" (target {_percent(r.abandon_target)})",
        f"abandon rate last hour\t{_percent(r.abandon_rate_last_hour)}",
        f"abandon rate 24 h\t{_percent(r.abandon_rate_24h)}",
        f"answer rate\t{_percent(r.answer_rate)}",
        f"machine rate\t{_percent(r.machine_rate)}",
        "mailboxes caught by\t"
        + ", ".join(f"{stage} {n}" for stage, n in r.machines_by_stage.items())
        + "\t(agent: the detector's misses)",
        "avg time to answer\t"
        + ("-" if r.avg_time_to_answer_s is None else f"{r.avg_time_to_answer_s:.1f} s"),
    ]
    if r.logged_in_s is None:
        lines.append("occupancy\t- (no agent log in the period)")
    else:
        lines.append(
            f"occupancy\t{_percent(r.occupancy)}\t(talk {_duration(r.talk_s)} of"
            f" {_duration(r.logged_in_s)} logged in)"
        )
    average, count = r.csat["avg"], r.csat["count"]
    shown = "-" if average is None else f"{average:.2f} of 5"
    lines.append(f"satisfaction\t{shown}\t({count} ratings)")
    return lines
