"""Symbolic equivalence in a separate, resource-limited worker process.

Why a process: SymPy can run for minutes (or exhaust memory) on a small but nasty
expression, inside C code where no Python timeout fires. The worker
(:mod:`diffcheck.exercises._worker`) is a plain ``python`` child reading one JSON
request per line; the parent waits with a wall-clock timeout and kills it when the
timeout passes, so a pathological answer is "could not be graded", never a hang.

What crosses the pipe is text only: both sides of ``a == b`` printed in the safe
parser's syntax (:func:`diffcheck.exercises.symtext.to_text`) plus the declared
variable shapes. The worker rebuilds them with :func:`diffcheck.parsing.parse` (the
same allowlist as for typed answers), never with ``eval``/``sympify``/``srepr``.

Limits: in the worker ``RLIMIT_AS`` (address space, ``memory_mb`` above what the
imports use) and ``RLIMIT_CPU`` (raised per request to the CPU time used so far plus
the request's allowance, so SIGXCPU ends a runaway request); in the parent a
wall-clock ``timeout`` per comparison and a ``budget`` per :meth:`check` call. One
worker is started lazily and reused across calls until it is killed or closed.
"""

from __future__ import annotations

import json
import math
import os
import select
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

RESULTS = ("equal", "different", "unknown", "timeout", "error")
STARTUP_SECONDS = 60.0


class SymbolicChecker:
    """A reusable worker process deciding ``a == b`` with SymPy under time and memory limits.

    Use it as a context manager (or call :meth:`close`) and pass it to
    ``Exercise.grade(..., checker=...)`` so many gradings share one worker.

    Args:
        timeout: wall-clock seconds per comparison (the worker is killed after it).
        memory_mb: address space the worker may add to what its imports use.
        budget: wall-clock seconds for one :meth:`check` call; later pairs are "timeout".
    """

    def __init__(self, *, timeout: float = 3.0, memory_mb: int = 1024, budget: float = 8.0):
        self.timeout, self.memory_mb, self.budget = float(timeout), int(memory_mb), float(budget)
        self._process: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self.started = 0  # how many workers were started (a killed one is replaced)

    def __enter__(self) -> SymbolicChecker:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - best effort at interpreter exit
        try:
            self.close()
        except Exception:  # noqa: BLE001, S110
            pass

    def check(self, pairs: Sequence[tuple[str, str]], shapes: Mapping[str, tuple[int, ...]]
              ) -> list[str]:
        """For each ``(a, b)`` text pair: "equal", "different", "unknown", "timeout" or "error"."""
        deadline = time.monotonic() + self.budget
        shapes_json = {name: list(shape) for name, shape in shapes.items()}
        results = []
        for a, b in pairs:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                results.append("timeout")
                continue
            results.append(self._one(a, b, shapes_json, min(self.timeout, remaining)))
        return results

    def close(self) -> None:
        """Stop the worker (it is restarted by the next :meth:`check`)."""
        process, self._process, self._buffer = self._process, None, b""
        if process is None:
            return
        try:
            if process.stdin:
                process.stdin.close()
            process.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        finally:
            if process.stdout:
                process.stdout.close()

    # ----- one request -----
    def _one(self, a: str, b: str, shapes: dict, timeout: float) -> str:
        process = self._ensure()
        if process is None:
            return "error"
        request = {"a": a, "b": b, "shapes": shapes, "cpu": math.ceil(timeout) + 1}
        try:
            process.stdin.write(json.dumps(request).encode() + b"\n")
            process.stdin.flush()
        except OSError:
            self._kill()
            return "error"
        line = self._readline(timeout)
        if line is None:
            self._kill()
            return "timeout"
        try:
            result = json.loads(line).get("result")
        except (ValueError, AttributeError):
            result = None
        return result if result in RESULTS else "error"

    def _ensure(self) -> subprocess.Popen[bytes] | None:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self._kill()
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "diffcheck.exercises._worker", str(self.memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
        )
        self.started += 1
        if self._readline(STARTUP_SECONDS) != "ready":
            self._kill()
            return None
        return self._process

    def _readline(self, timeout: float) -> str | None:
        """One line from the worker, or None after ``timeout`` seconds or at EOF."""
        process = self._process
        if process is None or process.stdout is None:
            return None
        deadline = time.monotonic() + timeout
        fd = process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode(errors="replace").strip()

    def _kill(self) -> None:
        process, self._process, self._buffer = self._process, None, b""
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream:
                try:
                    stream.close()
                except OSError:
                    pass
