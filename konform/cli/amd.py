"""``konform amd eval``: run the answering machine detector over a labelled corpus, offline,
frame by frame as a live call would, and report accuracy and decision times."""

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
    p.set_defaults(handler=amd_eval)


def amd_eval(args: argparse.Namespace, ctx: Context) -> int:
    from konform.amd.evaluate import CorpusError, evaluate_corpus  # numpy, webrtcvad

    try:
        evaluation = evaluate_corpus(args.corpus)
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
    ctx.out("")
    ctx.out("per kind:")
    for kind, share in summary["per_kind"].items():
        ctx.out(f"  {kind:<28}{share:.1%}")
    for error in summary["errors"]:
        ctx.warn(f"skipped: {error}")
    return 1 if summary["errors"] else 0
