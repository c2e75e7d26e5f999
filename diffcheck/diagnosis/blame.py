"""Diagnosis of a failed check: hints about a claim, blame among methods, the wrong node.

Runs after the comparison, on the Report's own tensors; it adds lines to
``report.hints`` and never changes the verdict.
"""

from __future__ import annotations

import numpy as np

from diffcheck.backends.program import compile_program
from diffcheck.checking.report import Report
from diffcheck.diagnosis.hints import close
from diffcheck.diagnosis.localize import first_wrong_node
from diffcheck.ir import Expr, Var

METHOD_NAMES = ("tape", "numeric")


def broadcast_batch_sizes(y: Expr, var: Var) -> set[int]:
    """Sizes of the leading axes that ``var``'s values are broadcast over (batch rows)."""
    program = compile_program(y)
    live = program.live((var.name,))
    sizes: set[int] = set()
    for slot, (node, record) in enumerate(zip(program.nodes, program.records, strict=True)):
        broadcasts = record is not None and record.broadcasts
        for a in program.args[slot]:
            child = program.nodes[a]
            if live[a] and child.ndim < node.ndim and broadcasts:
                sizes.update(node.shape[: node.ndim - child.ndim])
    return sizes


def add_method_blame(report: Report, y: Expr, wrt: tuple[Var, ...]) -> None:
    """Say which method disagrees with the (high-precision when needed) SymPy reference."""
    blamed = {m: report.disagreeing.get(m, set()) for m in METHOD_NAMES}
    agreeing = [m for m in METHOD_NAMES if m in report.methods and not blamed[m]]
    for method, elements in blamed.items():
        if not elements:
            continue
        others = f"; {' and '.join(['sympy', *agreeing])} agree" if agreeing else ""
        report.hints.append(
            f"blame: {method} disagrees with SymPy's closed form at {len(elements)} "
            f"element(s){others}"
        )
    if blamed["tape"]:
        p, name, _ = sorted(blamed["tape"])[0]
        var = next(v for v in wrt if v.name == name)
        try:
            node = first_wrong_node(y, var, report.points[p])
        except (ArithmeticError, ValueError, TypeError) as error:  # a diagnosis never fails a check
            report.notes.append(f"node localisation was skipped: {error}")
            node = None
        if node is not None:
            report.hints.append(f"node: {node}")


def add_claim_hints(report: Report, y: Expr, wrt: tuple[Var, ...]) -> None:
    """Hints that exactly explain how each variable's claim differs from the reference
    (from the report's tensors alone; ``check_gradient`` refines them with the claim)."""
    from diffcheck.diagnosis.claim_diagnosis import hints_for_variable

    for var in wrt:
        report.hints.extend(hints_for_variable(report, y, var, graph=False))


def layout_reading_hint(claim: np.ndarray, reference: np.ndarray, other: str) -> str:
    """Whether a claim of the other layout's shape (given here in numerator layout) is right."""
    if close(claim, reference):
        return f"layout: read in {other} layout the claim is correct"
    return f"layout: even read in {other} layout the claim is wrong"


def diagnose(report: Report, y: Expr, wrt: tuple[Var, ...]) -> None:
    """Add every diagnosis line that applies to a failed report."""
    if report.ok and not report.errors:
        return
    add_claim_hints(report, y, wrt)
    add_method_blame(report, y, wrt)
