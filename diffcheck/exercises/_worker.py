"""The symbolic grader's worker process: ``python -m diffcheck.exercises._worker MEMORY_MB``.

Protocol (one JSON object per line each way): it prints ``ready`` once imports are
done, then answers each request ``{"a": text, "b": text, "shapes": {...}, "cpu": s}``
with ``{"result": "equal" | "different" | "unknown" | "error"}``. Both texts are
rebuilt with the safe parser only. Limits are set here, in the child: the address
space once (after imports), the CPU time per request (SIGXCPU ends the process,
which the parent reports as a timeout).
"""

from __future__ import annotations

import json
import sys

try:
    import resource
except ImportError:  # pragma: no cover - not on POSIX: the parent's timeout still applies
    resource = None  # type: ignore[assignment]

MB = 1 << 20


def _limit_memory(memory_mb: int) -> None:
    if resource is None:
        return
    try:
        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        used = 0
    limit = used + memory_mb * MB
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _limit_cpu(seconds: int) -> None:
    if resource is None:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(usage.ru_utime + usage.ru_stime) + max(1, int(seconds))
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def decide(a_text: str, b_text: str, shapes: dict[str, tuple[int, ...]]) -> str:
    """Whether the two parsed texts are equal: "equal", "different" or "unknown"."""
    import sympy as sp

    from diffcheck.exercises.symtext import TEXT_LIMITS
    from diffcheck.parsing import parse

    a = parse(a_text, shapes, limits=TEXT_LIMITS)
    b = parse(b_text, shapes, limits=TEXT_LIMITS)
    difference = a - b
    if difference == 0:
        return "equal"
    simplified = sp.simplify(difference)
    if simplified == 0:
        return "equal"
    if simplified.is_number:
        verdict = simplified.equals(0)
        if verdict is not None:
            return "equal" if verdict else "different"
    return "unknown"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    memory_mb = int(args[0]) if args else 1024
    import sympy  # noqa: F401 - import before limiting memory

    import diffcheck.parsing  # noqa: F401

    # Warm up: simplify imports much of SymPy lazily on first use; do it before "ready",
    # so a request's time limit is spent on the request.
    decide("x[0]*(x[0] + 1) + sin(x[0])**2", "x[0]**2 + x[0] + 1 - cos(x[0])**2", {"x": (1,)})
    _limit_memory(memory_mb)
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    for line in sys.stdin:
        try:
            request = json.loads(line)
            shapes = {str(k): tuple(int(n) for n in v) for k, v in request["shapes"].items()}
            _limit_cpu(int(request.get("cpu", 5)))
            result = decide(str(request["a"]), str(request["b"]), shapes)
        except MemoryError:
            result = "error"
        except Exception:  # noqa: BLE001 - any failure is "could not decide"
            result = "error"
        out.write(json.dumps({"result": result}) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
