"""The ``diffcheck`` command line: ``diffcheck demo`` and friends.

Exit codes: 0 ok, 1 a check failed, 2 bad usage or bad input (one line, no traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diffcheck",
        description="Verify derivatives three ways: SymPy, a reverse-mode tape, numeric differences.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    commands.add_parser("demo", help="check every worked example of the lecture three ways")
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
    parser.error(f"unknown command {args.command!r}")
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
