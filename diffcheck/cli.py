"""The ``diffcheck`` command line: ``demo``, ``exercises`` and ``grade``.

Exit codes: 0 ok, 1 a check or grade failed, 2 bad usage or bad input (one line, no traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    from diffcheck.exercises.commands import add_parsers

    parser = argparse.ArgumentParser(
        prog="diffcheck",
        description="Verify derivatives three ways: SymPy, a reverse-mode tape, numeric differences.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    commands.add_parser("demo", help="check every worked example of the lecture three ways")
    add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse already printed a one-line usage error
        return int(exit_.code or 0)
    if args.command == "demo":
        from diffcheck import demo

        return demo.run(sys.stdout)
    if args.command in ("exercises", "grade"):
        from diffcheck.exercises import commands

        run = commands.run_exercises if args.command == "exercises" else commands.run_grade
        try:
            return run(args, sys.stdout)
        except commands.UsageError as error:
            message = " ".join(str(error).split())
            print(f"diffcheck {args.command}: {message}", file=sys.stderr)
            return 2
    parser.error(f"unknown command {args.command!r}")
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
