"""Progress for long checks: silent by default off a terminal, wired through dc.check."""

import io
import time

import numpy as np

import diffcheck as dc
from diffcheck import progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_nothing_is_drawn_off_a_terminal_unless_asked():
    stream = io.StringIO()
    with progress.reporting(None, stream, delay=0.0) as reporter:
        progress.advance("work", 1, 2)
    assert reporter is None and stream.getvalue() == ""


def test_a_line_names_the_stage_and_the_count():
    stream = Terminal()
    reporter = progress.Reporter(stream, delay=0.0)
    reporter.stage, reporter.step = "point 1/3, sympy ∂y/∂W", "SymPy derivatives, output 4/32"
    reporter.draw()
    expected = "\rdiffcheck: point 1/3, sympy ∂y/∂W, SymPy derivatives, output 4/32 ("
    assert stream.getvalue().startswith(expected)
    reporter.close()
    assert stream.getvalue().endswith("\r")  # the line is cleared for whatever prints next


def test_the_drawing_thread_draws_after_the_delay_and_stops():
    stream = Terminal()
    with progress.reporting(True, stream, delay=0.0) as reporter:
        progress.stage("stage one")
        for _ in range(500):  # the thread draws at once; give a loaded machine time
            if reporter.lines:
                break
            time.sleep(0.01)
    assert reporter.lines >= 1 and "diffcheck:" in stream.getvalue()
    assert not reporter._thread.is_alive()


def test_a_long_delay_draws_nothing():
    stream = Terminal()
    with progress.reporting(True, stream, delay=60.0):
        progress.advance("quick work")
    assert stream.getvalue() == ""


def test_check_reports_its_stages_through_an_open_reporter():
    x = dc.vector("x", 3)
    stream = Terminal()
    with progress.reporting(True, stream, delay=60.0) as reporter:
        report = dc.check(dc.sum(dc.sin(x) * x), x, progress=True)
        assert report.ok
        assert reporter.stage == "point 3/3, numeric ∂y/∂x"
        dc.check_gradient(dc.sum(x * x), x, "2*x", n_points=1, progress=True)
        assert reporter.stage == "point 1/1, numeric ∂y/∂x"


def test_the_inner_loops_count_their_steps():
    x = dc.vector("x", 4)
    seen = []

    class Recorder(progress.Reporter):
        def __setattr__(self, name, value):
            if name == "step" and value:
                seen.append(value)
            super().__setattr__(name, value)

    stream = Terminal()
    reporter = Recorder(stream, delay=60.0)
    token = progress._current.set(reporter)
    try:
        dc.jacobian(dc.tanh(x) * 2.0, x, {"x": np.ones(4)}, method="numeric")
        dc.jacobian(dc.tanh(x) * 2.0, x, {"x": np.ones(4)}, method="sympy")
    finally:
        progress._current.reset(token)
    assert "complex steps 3/4" in seen
    assert any(s.startswith("SymPy derivatives, output") for s in seen)
