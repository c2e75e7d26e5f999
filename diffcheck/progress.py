"""Progress for long checks: a counter on stderr that appears only after a couple of seconds.

Work deep inside a backend says where it is with :func:`advance` (a cheap no-op unless
a caller opened :func:`reporting`, as ``dc.check(progress=...)`` and the CLI do). A
background thread draws the line, so a single long SymPy call still shows its elapsed
time; nothing is drawn before ``DELAY`` seconds, so quick checks stay silent. The
active reporter lives in a ContextVar: per thread, never shared between tests.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TextIO

DELAY = 2.0  # seconds of work before anything is drawn
REFRESH = 0.25  # seconds between redraws on a terminal
LINE_EVERY = 10.0  # seconds between lines when the stream is a file or a pipe

_current: ContextVar[Reporter | None] = ContextVar("diffcheck_progress", default=None)


class Reporter:
    """Holds the current stage and counter; a daemon thread draws them on ``stream``."""

    def __init__(self, stream: TextIO, delay: float = DELAY):
        self.stream = stream
        self.delay = delay
        self.terminal = _is_terminal(stream)
        self.start = time.monotonic()
        self.stage = ""
        self.step = ""
        self.width = 0
        self.lines = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._draw_until_stopped, daemon=True)

    def text(self) -> str:
        """The line as it would be drawn now."""
        parts = [p for p in (self.stage, self.step) if p]
        return f"diffcheck: {', '.join(parts) or 'working'} ({time.monotonic() - self.start:.0f} s)"

    def draw(self) -> None:
        text = self.text()
        if self.terminal:
            self.stream.write("\r" + text.ljust(self.width))
            self.width = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self.lines += 1

    def _draw_until_stopped(self) -> None:
        if self._stop.wait(self.delay):
            return
        every = REFRESH if self.terminal else LINE_EVERY
        while True:
            self.draw()
            if self._stop.wait(every):
                return

    def open(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:  # started
            self._thread.join()
        if self.terminal and self.width:  # clear the line for whatever prints next
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or not a real stream
        return False


@contextmanager
def reporting(enabled: bool | None = None, stream: TextIO | None = None,
              delay: float = DELAY) -> Iterator[Reporter | None]:
    """Draw progress for the work inside the block if it takes longer than ``delay``.

    ``enabled=None`` draws only when the stream (stderr by default) is a terminal. A
    block inside another one reports through the outer reporter.
    """
    stream = sys.stderr if stream is None else stream
    if enabled is None:
        enabled = _is_terminal(stream)
    if not enabled or _current.get() is not None:
        yield _current.get()
        return
    reporter = Reporter(stream, delay)
    token = _current.set(reporter)
    reporter.open()
    try:
        yield reporter
    finally:
        _current.reset(token)
        reporter.close()


def stage(text: str) -> None:
    """Name the stage of the work (``point 2/3, sympy ∂y/∂W``); clears the step counter."""
    reporter = _current.get()
    if reporter is not None:
        reporter.stage, reporter.step = text, ""


def advance(what: str, done: int | None = None, total: int | None = None) -> None:
    """Say what the current step does, and how far it is when it counts (``12/64``)."""
    reporter = _current.get()
    if reporter is not None:
        reporter.step = what if total is None else f"{what} {done}/{total}"
