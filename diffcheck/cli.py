"""The ``diffcheck`` command line: ``demo``, ``exercises`` and ``grade``.

Exit codes: 0 ok, 1 a check or grade failed, 2 bad usage or bad input (one line, no traceback).
Output never ends in a traceback: characters the terminal's encoding cannot show are
written as ``\\uXXXX`` escapes, and a reader that stops early (``| head``) ends the
command with one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    from diffcheck import __version__
    from diffcheck.exercises.commands import add_parsers

    parser = argparse.ArgumentParser(
        prog="diffcheck",
        description="Verify derivatives three ways: SymPy, a reverse-mode tape, numeric differences.",
    )
    parser.add_argument("--version", action="version", version=f"diffcheck {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    commands.add_parser("demo", help="check every worked example of the lecture three ways")
    add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    _escape_unencodable(sys.stdout)
    try:
        return _run(argv)
    except BrokenPipeError:
        _discard_unwritten_output()
        print("diffcheck: the output was closed before everything was written (broken pipe)",
              file=sys.stderr)
        return 2


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse already printed a one-line usage error (or --version)
        return int(exit_.code or 0)
    if args.command == "demo":
        from diffcheck.lecture import demo

        return demo.run(sys.stdout)
    from diffcheck.exercises import commands

    run = commands.run_exercises if args.command == "exercises" else commands.run_grade
    try:
        return run(args, sys.stdout)
    except commands.UsageError as error:
        message = " ".join(str(error).split())
        print(f"diffcheck {args.command}: {message}", file=sys.stderr)
        return 2


def _escape_unencodable(stream: object) -> None:
    """Write what the stream's encoding cannot hold (``PYTHONIOENCODING=ascii``, a lone
    surrogate) as backslash escapes instead of failing halfway through the output."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="backslashreplace")


def _discard_unwritten_output() -> None:
    """Point the process's stdout at /dev/null so the exit-time flush cannot fail again."""
    if sys.stdout is not sys.__stdout__:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
