"""``konform amd eval``: run the answering machine detector over a labelled corpus, offline,
frame by frame as a live call would, and report accuracy and decision times: the final decision
(first stage and guard), the first stage's beside it, and the seconds of our audio machines
hear."""

from __future__ import annotations

import argparse
from pathlib import Path

from konform.cli.context import Context, UserError

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    amd = commands.add_parser("amd", help="answering machine detection tools")
    actions = amd.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser(
        "eval",
        help="evaluate the detector on a labelled corpus",
        description="DIR holds WAV files (any rate; PCM, mu-law or A-law) and labels.csv with"
        " header file,label[,kind], label human or machine. Exit code 1 if a file could not"
        " be read.",
    )
    p.add_argument("--corpus", type=Path, required=True, metavar="DIR")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--as-recorded",
        action="store_true",
        help="score every file as recorded: people do not react to our prompt (docs/amd.md)",
    )
    p.set_defaults(handler=amd_eval)


def amd_eval(args: argparse.Namespace, ctx: Context) -> int:
    from konform.amd.evaluate import CorpusError, evaluate_corpus  # numpy, webrtcvad

    try:
        evaluation = evaluate_corpus(args.corpus, react=not args.as_recorded)
    except CorpusError as exc:
        raise UserError(str(exc)) from None
    summary = evaluation.summary()
    if args.json:
        ctx.out_json(summary)
        return 1 if summary["errors"] else 0
    c = summary["confusion"]
    ctx.out(f"{summary['files']} files from {args.corpus}")
    ctx.out("")
    ctx.out(f"{'label / decision':<18}{'human':>8}{'machine':>9}")
    ctx.out(f"{'human':<18}{c['human->human']:>8}{c['human->machine']:>9}")
    ctx.out(f"{'machine':<18}{c['machine->human']:>8}{c['machine->machine']:>9}")
    ctx.out("")
    ctx.out(f"accuracy          {summary['accuracy']:.1%}")
    ctx.out(f"humans dropped    {summary['human_as_machine']:.1%}  (human called machine)")
    ctx.out(f"machines missed   {summary['machine_as_human']:.1%}  (machine called human)")
    times = summary["decision_ms"]
    ctx.out(
        f"decision time     median {times['median'] / 1000:.2f} s, p90 {times['p90'] / 1000:.2f} s"
    )
    first = summary["first_stage"]
    ctx.out(
        f"first stage       {first['accuracy']:.1%}, humans dropped"
        f" {first['human_as_machine']:.1%}, machines missed {first['machine_as_human']:.1%},"
        f" median {first['decision_ms']['median'] / 1000:.2f} s,"
        f" p90 {first['decision_ms']['p90'] / 1000:.2f} s"
    )
    recorded = summary["as_recorded"]
    ctx.out(
        f"as recorded       {recorded['accuracy']:.1%}, humans dropped"
        f" {recorded['human_as_machine']:.1%} (people scored reacting to our prompt:"
        f" {summary['people_reacting']})"
    )
    heard = summary["voicemail_left_s"]
    after = summary["voicemail_after_greeting_s"]
    ctx.out(
        f"our audio heard   by machines: median {heard['median']:.2f} s, p90"
        f" {heard['p90']:.2f} s, max {heard['max']:.2f} s; after the greeting max"
        f" {after['max']:.2f} s; > 2 s in the greeting"
        f" {summary['machines_over_2s_in_greeting']:.1%}"
    )
    ctx.out("")
    ctx.out(
        f"per kind:{'final':>27}{'first':>8}{'recorded':>10}{'dropped':>9}{'heard max':>11}"
        f"{'after':>7}"
    )
    for kind, row in summary["per_kind_stages"].items():
        heard_max = row["voicemail_left_s"]["max"] if row["voicemail_left_s"] else 0.0
        ctx.out(
            f"  {kind:<28}{row['final']:>6.1%}{row['first_stage']:>8.1%}{row['as_recorded']:>10.1%}"
            f"{row['people_dropped']:>9}{heard_max:>10.1f}s{row['after_greeting_s_max']:>6.1f}s"
        )
    for error in summary["errors"]:
        ctx.warn(f"skipped: {error}")
    return 1 if summary["errors"] else 0
