"""The pytest plugin in pytester sessions: fixture, failure text, options, ini keys, marker, loading."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import diffcheck as dc

pytest_plugins = ["pytester"]

# Loading the plugin explicitly is harmless when the entry point loads it too (tested below).
PLUGIN = ("-p", "diffcheck.pytest_plugin")
ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "pytest_gradcheck_example.py"

W_X = """
import numpy as np
import pytest
import diffcheck as dc

W, x = dc.matrix("W", 2, 3), dc.vector("x", 3)

def jacobian(W, x):  # ∂(Wx)[i]/∂W[k,j] = δ_ik x[j]
    J = np.zeros((2, 2, 3))
    J[0, 0], J[1, 1] = x, x
    return J
"""


@pytest.fixture(autouse=True, scope="module")
def _imported_up_front() -> None:
    """Import what the sessions below load lazily, before any of them runs.

    An in-process pytester run drops every module first imported during the run;
    numpy cannot be imported twice, and SymPy modules imported twice would mix
    classes. Running the kinds of check the sessions run imports all of them here.
    """
    import diffcheck.pytest_plugin  # noqa: F401
    import diffcheck.strategies  # noqa: F401
    from diffcheck import nn, testing

    a, W, x = dc.scalar("a"), dc.matrix("W", 2, 3), dc.vector("x", 3)
    testing.assert_gradient(dc.sigmoid(W @ x) + dc.relu(W @ x) * a, [W, x, a], n_points=1)
    testing.assert_gradient(a**3, a, "3*a**2", n_points=1)
    testing.assert_gradient(dc.sum(W * W), W, lambda W: 2 * W, n_points=1)
    net = nn.MLP([2, 2, 1], "tanh")
    loss = nn.binary_cross_entropy(net(np.ones((2, 2))), np.ones((2, 1)), from_logits=True)
    testing.assert_gradient(loss, net.parameters(), at=net.init(0), methods=("sympy", "tape"))


# Inner sessions: no cache files, and no pytest-benchmark (it warns inside xdist workers).
QUIET = ("-p", "no:cacheprovider", "-p", "no:benchmark")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*PLUGIN, "--strict-markers", *QUIET, *args)


def entry_point_installed() -> bool:
    return any(ep.name == "diffcheck" for ep in importlib.metadata.entry_points(group="pytest11"))


def declared_entry_point() -> str:
    """The module pyproject.toml registers as the ``pytest11`` entry point ``diffcheck``."""
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["project"]["entry-points"]["pytest11"]["diffcheck"]


@pytest.fixture
def fake_entry_point(pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A dist-info declaring pyproject.toml's ``pytest11`` entry point, on sys.path.

    It is what ``pip install`` of this checkout produces, so the tests below describe
    the installed behaviour even where an older install is on the machine.
    """
    site = tmp_path_factory.mktemp("site")
    info = site / "diffcheck_plugin_fake-0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: diffcheck-plugin-fake\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text(f"[pytest11]\ndiffcheck = {declared_entry_point()}\n")
    pytester.syspathinsert(site)


# ----- the fixture -----
def test_a_correct_gradient_passes_and_returns_the_report(pytester):
    pytester.makepyfile(
        W_X
        + """
def test_claim(gradcheck):
    report = gradcheck(W @ x, W, jacobian)
    assert report.ok and report.compared == 36

def test_no_claim_compares_the_three_methods(gradcheck):
    assert gradcheck(dc.tanh(W @ x), [W, x]).ok
"""
    )
    run(pytester).assert_outcomes(passed=2)


def test_a_wrong_gradient_fails_naming_the_wrong_element(pytester):
    pytester.makepyfile(
        W_X
        + """
def test_claim(gradcheck):
    def wrong(W, x):
        J = jacobian(W, x)
        J[1, 1, 2] += 1.0
        return J
    gradcheck(W @ x, W, wrong)
"""
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            ">*gradcheck(W @ x, W, wrong)",
            "E*GradientCheckError: diffcheck check_gradient: ∂y/∂W by sympy, tape, numeric*: FAILED",
            "E*Mismatched elements: 3 / 36 (8.33%)",
            "E*element*point*sympy*tape*numeric*claimed",
        ]
    )
    result.stdout.re_match_lines(
        [
            r"E\s+∂y\[1\]/∂W\[1,2\]\s+0\s+0\.2547923753\s+0\.2547923753\s+0\.2547923753\s+1\.254792375$",
            r"E\s+- few: only ∂y\[1\]/∂W\[1,2\] is wrong",
            r"E\s+Point 0: W=\[\[1\.36468",
            r"E\s+Reproduce: random points from seed 0",
            r"E\s+Expression: y = W @ x\s+\[variables: W \(2, 3\), x \(3,\)\]",
            r"E\s+Rerun in Python: dc\.check_gradient\(y, 'W', claimed, seed=0\)",
        ]
    )
    out = result.stdout.str()
    assert "∂y[0]" not in out  # only the wrong element is named
    assert "diffcheck/testing.py" not in out and "pytest_plugin.py" not in out  # __tracebackhide__


def test_a_failure_on_a_30x30_jacobian_stays_short(pytester):
    pytester.makepyfile(
        """
import numpy as np
import diffcheck as dc

x = dc.vector("x", 30)

def test_big(gradcheck):
    # the classic slip: the elementwise derivative as a full matrix, not a diagonal
    gradcheck(dc.tanh(x), x, lambda x: np.outer(1 - np.tanh(x) ** 2, np.ones(30)))
"""
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)
    message = [line for line in result.stdout.lines if line.startswith("E ")]
    assert 20 < len(message) < 40, "\n".join(message)
    assert max(map(len, message)) < 200
    result.stdout.fnmatch_lines(
        [
            "E*Mismatched elements: 2610 / 2700 (96.7%)",
            "E*... and 2590 more (report.mismatches has all 2610)",
            "E*Point 0: x=<array of shape (30,)>",
            "E*Rerun in Python: dc.check_gradient(y, 'x', claimed, seed=0)*",
        ]
    )


# ----- tolerances: command line, ini, marker, keyword; and their precedence -----
OFF_BY_RELATIVE_1E5 = """
import pytest
import diffcheck as dc

a = dc.scalar("a")

{marker}
def test_claim(gradcheck):
    gradcheck(a * a, a, lambda a: 2 * a * (1 + 1e-5){kwargs})
"""

TOLERANCE_CASES = {
    # id: (command line, ini line, marker arguments, call keywords, outcome)
    "default-fails": ((), None, None, "", "failed"),
    "command-line": (("--diffcheck-rtol=1e-3",), None, None, "", "passed"),
    "ini": ((), "diffcheck_rtol = 1e-3", None, "", "passed"),
    "marker": ((), None, "rtol=1e-3", "", "passed"),
    "keyword": ((), None, None, ", rtol=1e-3", "passed"),
    "marker-beats-command-line": (("--diffcheck-rtol=1e-3",), None, "rtol=1e-9", "", "failed"),
    "command-line-beats-ini": (("--diffcheck-rtol=1e-9",), "diffcheck_rtol = 1e-3", None, "", "failed"),
    "keyword-beats-marker": ((), None, "rtol=1e-3", ", rtol=1e-9", "failed"),
    "keyword-None-is-the-table": ((), "diffcheck_rtol = 1e-3", None, ", rtol=None", "failed"),
}


@pytest.mark.parametrize("case", TOLERANCE_CASES, ids=str)
def test_rtol_by_each_mechanism(pytester, case):
    args, ini, marker, kwargs, outcome = TOLERANCE_CASES[case]
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    marker = f"@pytest.mark.diffcheck({marker})" if marker else ""
    pytester.makepyfile(OFF_BY_RELATIVE_1E5.format(marker=marker, kwargs=kwargs))
    run(pytester, *args).assert_outcomes(**{outcome: 1})


@pytest.mark.parametrize(
    "args, ini, marker",
    [(("--diffcheck-atol=1e-4",), None, ""), ((), "diffcheck_atol = 1e-4", ""),
     ((), None, "@pytest.mark.diffcheck(atol=1e-4)")],
    ids=["command-line", "ini", "marker"],
)
def test_atol_by_each_mechanism(pytester, args, ini, marker):
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(
        f"""
import pytest
import diffcheck as dc

a = dc.scalar("a")

def claim(a):
    return 2 * a + 1e-5

def test_default_fails(gradcheck):
    with pytest.raises(AssertionError):
        gradcheck(a * a, a, claim, atol=None)

{marker}
def test_loosened(gradcheck):
    gradcheck(a * a, a, claim)
"""
    )
    run(pytester, *args).assert_outcomes(passed=2)


def test_seed_by_each_mechanism(pytester):
    pytester.makeini("[pytest]\ndiffcheck_seed = 4\n")
    pytester.makepyfile(
        """
import pytest
import diffcheck as dc

a = dc.scalar("a")

def test_command_line_beats_ini(gradcheck):
    assert gradcheck(a * a, a).seed == 5

@pytest.mark.diffcheck(seed=7)
def test_marker(gradcheck):
    assert gradcheck(a * a, a).seed == 7

def test_keyword(gradcheck):
    assert gradcheck(a * a, a, seed=9).seed == 9
"""
    )
    run(pytester, "--diffcheck-seed=5").assert_outcomes(passed=3)


@pytest.mark.parametrize("ini, seed", [(None, 0), ("diffcheck_seed = 4", 4)], ids=["default", "ini"])
def test_the_default_seed_and_the_ini_seed(pytester, ini, seed):
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(
        f"""
import diffcheck as dc

def test_seed(gradcheck):
    assert gradcheck(dc.scalar("a") ** 2, "a").seed == {seed}
"""
    )
    run(pytester).assert_outcomes(passed=1)


def test_markers_of_module_and_test_combine_the_closest_winning(pytester):
    pytester.makepyfile(
        """
import pytest
import diffcheck as dc

pytestmark = pytest.mark.diffcheck(rtol=1e-3, seed=1)
a = dc.scalar("a")

@pytest.mark.diffcheck(seed=2)
def test_both(gradcheck):
    report = gradcheck(a * a, a, lambda a: 2 * a * (1 + 1e-5))
    assert report.seed == 2 and report.tolerances["claimed"] == (1e-3, 1e-9)
"""
    )
    run(pytester).assert_outcomes(passed=1)


def test_the_report_header_shows_the_settings(pytester):
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = run(pytester, "--diffcheck-atol=1e-8")
    result.stdout.fnmatch_lines(["diffcheck: rtol=per-method table, atol=1e-08, seed=0"])


def test_a_bad_marker_is_an_error_naming_the_problem(pytester):
    pytester.makepyfile(
        """
import pytest
import diffcheck as dc

@pytest.mark.diffcheck(rtl=1e-3)
def test_typo(gradcheck):
    pass

@pytest.mark.diffcheck(1e-3)
def test_positional(gradcheck):
    pass

@pytest.mark.diffcheck(rtol=-1)
def test_negative(gradcheck):
    pass

@pytest.mark.diffcheck(seed=1.5)
def test_float_seed(gradcheck):
    pass
"""
    )
    result = run(pytester)
    result.assert_outcomes(errors=4)
    result.stdout.fnmatch_lines_random(
        [
            "*@pytest.mark.diffcheck: unknown argument(s) rtl; use rtol=, atol=, seed=",
            "*@pytest.mark.diffcheck: takes keyword arguments only (rtol=, atol=, seed=), got (0.001,)",
            "*@pytest.mark.diffcheck: rtol must be a finite number >= 0*got -1",
            "*@pytest.mark.diffcheck: seed must be an int >= 0, got 1.5",
        ]
    )


@pytest.mark.parametrize(
    "args, ini, message",
    [
        (("--diffcheck-seed=x",), None, "--diffcheck-seed: seed must be an int, got 'x'"),
        (("--diffcheck-atol=-1e-3",), None, "--diffcheck-atol: atol must be a finite number >= 0*"),
        ((), "diffcheck_rtol = lots", "ini option diffcheck_rtol: rtol must be a number, got 'lots'"),
    ],
    ids=["seed-not-int", "negative-atol", "ini-not-a-number"],
)
def test_bad_option_values_are_usage_errors(pytester, args, ini, message):
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = run(pytester, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


def test_the_options_and_ini_keys_are_documented_in_help(pytester):
    result = run(pytester, "--help")
    result.stdout.fnmatch_lines_random(
        [
            "diffcheck: derivative checks (gradcheck fixture):",
            "*--diffcheck-rtol=RTOL*",
            "*--diffcheck-atol=ATOL*",
            "*--diffcheck-seed=SEED*",
            "*diffcheck_rtol (string):*",
            "*diffcheck_seed (string):*",
        ]
    )


# ----- loading: entry point, -p, -p no:, light import -----
def test_the_entry_point_loads_the_plugin(pytester, fake_entry_point):
    pytester.makepyfile("def test_fixture(gradcheck):\n    assert callable(gradcheck)\n")
    pytester.runpytest("--strict-markers", *QUIET).assert_outcomes(passed=1)


@pytest.mark.parametrize("how", ["-p", "pytest_plugins"])
def test_loading_twice_with_the_entry_point_is_harmless(pytester, fake_entry_point, how):
    if how == "pytest_plugins":
        pytester.makeconftest('pytest_plugins = ["diffcheck.pytest_plugin"]\n')
    pytester.makepyfile(
        """
import pytest

@pytest.mark.diffcheck(rtol=1e-3)
def test_fixture(gradcheck):
    assert gradcheck.settings["rtol"] == 1e-3
"""
    )
    args = PLUGIN if how == "-p" else ()
    result = pytester.runpytest(*args, "--strict-markers", *QUIET, "--diffcheck-seed=3")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["diffcheck: rtol=per-method table, atol=per-method table, seed=3"])


def test_p_no_diffcheck_disables_the_entry_point(pytester, fake_entry_point):
    pytester.makepyfile("def test_fixture(gradcheck):\n    pass\n")
    result = pytester.runpytest("-p", "no:diffcheck", *QUIET)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'gradcheck' not found*"])


@pytest.mark.skipif(
    not entry_point_installed(),
    reason="the pytest11 entry point 'diffcheck' is not installed yet (pyproject.toml, then pip install)",
)
def test_p_no_diffcheck_disables_the_installed_plugin(pytester):
    pytester.makepyfile("def test_fixture(gradcheck):\n    pass\n")
    result = pytester.runpytest("-p", "no:diffcheck", *QUIET)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'gradcheck' not found*"])


def test_the_plugin_is_light_sympy_is_imported_only_when_a_check_runs(pytester):
    """In a fresh process: importing the plugin, configuring pytest, the fixture: no SymPy."""
    pytester.makepyfile(
        """
import sys

def sympy_modules():
    return sorted(m for m in sys.modules if m.split(".")[0] == "sympy")

def test_importing_the_plugin_and_diffcheck_testing():
    import diffcheck.pytest_plugin, diffcheck.testing
    assert "diffcheck.pytest_plugin" in sys.modules and not sympy_modules()

def test_the_fixture_alone(gradcheck):
    assert not sympy_modules()

def test_a_check_then_imports_sympy(gradcheck):
    import diffcheck as dc
    gradcheck(dc.scalar("a") ** 2, "a", n_points=1)
    assert sympy_modules()
"""
    )
    result = pytester.runpytest_subprocess(*PLUGIN, *QUIET)
    result.assert_outcomes(passed=3)


HEAVY = ("diffcheck", "numpy", "sympy")


def _checkout_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HYPOTHESIS_"))}
    return {**env, "PYTHONPATH": str(ROOT)}


def test_loading_the_entry_point_imports_neither_diffcheck_nor_numpy_nor_sympy(tmp_path):
    """pytest imports the entry point's module in every session: it must stay stdlib + pytest."""
    code = (
        "import importlib, json, sys\n"
        f"importlib.import_module({declared_entry_point()!r})\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=tmp_path, env=_checkout_env(), timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_a_session_imports_diffcheck_only_when_a_test_uses_the_fixture(tmp_path):
    (tmp_path / "test_light.py").write_text(
        f"""
import sys

def loaded():
    return sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})

def test_no_fixture_no_import():
    assert loaded() == []

def test_the_fixture_imports_diffcheck_on_first_use(gradcheck):
    assert "diffcheck" in loaded()
"""
    )
    command = [sys.executable, "-m", "pytest", "-p", declared_entry_point(), "-p", "no:cacheprovider",
               "-q", "test_light.py"]
    env = {**_checkout_env(), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}  # only this plugin
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_the_documented_module_name_is_the_same_plugin():
    import diffcheck.pytest_plugin
    import diffcheck_pytest

    assert diffcheck.pytest_plugin is diffcheck_pytest
    assert declared_entry_point() == diffcheck_pytest.__name__


def test_docs_and_examples_never_load_the_plugin_with_pytest_plugins():
    """A module's ``pytest_plugins`` registers the plugin under a name ``-p no:diffcheck``
    does not block, so no page or example may show that pattern; the docs say how instead."""
    declaration = re.compile(r"^\s*(>>> )?pytest_plugins\s*=.*diffcheck", re.M)
    pages = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), *(ROOT / "examples").glob("*.py")]
    for page in pages:
        assert not declaration.search(page.read_text(encoding="utf-8")), page
    reference = (ROOT / "docs" / "reference" / "testing.md").read_text(encoding="utf-8")
    assert "entry point" in reference and "-p no:diffcheck" in reference
    assert "pytest_plugins" in reference  # ... and why not to use it


# ----- the user-facing example -----
def test_the_example_module_passes(pytester):
    pytester.makepyfile(pytest_gradcheck_example=EXAMPLE.read_text(encoding="utf-8"))
    result = run(pytester, "pytest_gradcheck_example.py")
    result.assert_outcomes(passed=6)


def test_the_entry_point_module_is_named_for_the_package():
    """Tools that list an environment's pytest plugins find diffcheck's by its module name."""
    module = declared_entry_point()
    assert module.startswith("diffcheck") and module.isidentifier()
