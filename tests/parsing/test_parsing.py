"""Tests of the safe math-text parser: what it builds, what it rejects, and how fast."""

from __future__ import annotations

import ast
import builtins
import contextlib
import inspect
import os
import subprocess
import time
from collections.abc import Iterator
from unittest import mock

import pytest
import sympy as sp
import sympy.parsing.sympy_parser as sympy_parser

import diffcheck.parsing as parsing
from diffcheck.errors import ParseError
from diffcheck.parsing import Limits, builder, gate, grammar, parse
from diffcheck.symbols import element_symbol
from diffcheck.sympy_functions import relu, sigmoid, step

VARS = {"a": (), "b": (), "z": (), "x": (3,), "W": (2, 3)}
a, b, z = (element_symbol(n) for n in "abz")
x0, x1, x2 = (element_symbol("x", (i,)) for i in range(3))
W = sp.Array([[element_symbol("W", (i, j)) for j in range(3)] for i in range(2)])
X = sp.Array([x0, x1, x2])
# CPU seconds (not wall time, which a loaded machine inflates): every rejection, and these
# small parses, must stay far below this; the measured worst is a few milliseconds.
FAST = 1.0


# ----- guards: parsing must never run code -----

@contextlib.contextmanager
def no_code_execution() -> Iterator[list[str]]:
    """Trip on eval/exec, on compiling anything but an AST, on os/subprocess, on sympify(str)."""
    calls: list[str] = []
    real_compile, real_import = builtins.compile, builtins.__import__

    def tripwire(name):
        def trip(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was called while parsing")
        return trip

    def ast_only_compile(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST:
            calls.append("compile")
            raise AssertionError("compile() to code was called while parsing")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    def guarded_import(name, *args, **kwargs):
        if name.split(".")[0] in {"os", "subprocess", "pty", "socket", "shutil", "ctypes"}:
            calls.append(f"import {name}")
            raise AssertionError(f"import of {name} while parsing")
        return real_import(name, *args, **kwargs)

    with contextlib.ExitStack() as stack:
        for target, name in [(builtins, "eval"), (builtins, "exec"), (os, "system"),
                             (os, "popen"), (subprocess, "Popen"), (builtins, "open"),
                             (sympy_parser, "parse_expr")]:
            stack.enter_context(mock.patch.object(target, name, tripwire(name)))
        stack.enter_context(mock.patch.object(builtins, "compile", ast_only_compile))
        stack.enter_context(mock.patch.object(builtins, "__import__", guarded_import))
        yield calls


def guarded_parse(text, variables=VARS, **kwargs):
    """``parse`` under the tripwires, also returning the elapsed time."""
    with no_code_execution() as calls:
        start = time.process_time()
        try:
            return parse(text, variables, **kwargs), time.process_time() - start
        finally:
            assert calls == []


def test_tripwires_fire():
    """The guard is real: eval and sympify of a string trip it."""
    with pytest.raises(AssertionError, match="eval"), no_code_execution():
        eval("1 + 1")  # noqa: S307
    with pytest.raises(AssertionError, match="parse_expr"), no_code_execution():
        sp.sympify("a + 1")


def test_module_source_calls_no_evaluator():
    """Statically: neither parser module calls eval/exec/compile/sympify/parse_expr/..."""
    banned = {"eval", "exec", "compile", "sympify", "parse_expr", "lambdify", "S",
              "Matrix", "parse_latex", "__import__", "simplify", "expand"}
    for module in (parsing, gate, grammar, builder):
        tree = ast.parse(inspect.getsource(module))
        called = {
            n.func.id if isinstance(n.func, ast.Name) else n.func.attr
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name | ast.Attribute)
            and ast.unparse(n.func) != "re.compile"  # compiling a regex is fine
        }
        assert called & banned == set(), module.__name__
        assert "evaluate(" not in inspect.getsource(module)  # sp.evaluate clears caches


# ----- what parses, and to what -----

POINTS = [-1.7, -0.4, 0.3, 0.9, 2.2]


def same(parsed, expected) -> bool:
    """Equal as mathematics (the parser builds unevaluated trees): SymPy proves the
    difference is zero, or it vanishes at several points where every symbol differs."""
    if isinstance(expected, sp.NDimArray):
        return (isinstance(parsed, sp.NDimArray) and parsed.shape == expected.shape
                and all(same(p, e) for p, e in zip(sp.flatten(parsed), sp.flatten(expected))))
    if isinstance(parsed, sp.NDimArray):
        return False
    difference = parsed - expected
    with contextlib.suppress(ValueError, TypeError):  # simplify may give up on Min/Piecewise
        if sp.simplify(difference) == 0:
            return True
    symbols = sorted(difference.free_symbols, key=str)
    for shift in range(len(POINTS)):
        values = {s: POINTS[(shift + k) % len(POINTS)] + 0.1 * k for k, s in enumerate(symbols)}
        if abs(complex(difference.subs(values).evalf())) > 1e-9:
            return False
    return True


def test_same_can_tell_apart():
    assert not same(relu(a), sp.Max(a, 1))
    assert not same(sp.Array([a, b]), sp.Array([a, a]))
    assert same(sp.Max(relu(a), 0), relu(relu(a)))


@pytest.mark.parametrize("t", [-2.0, -0.5, 0.0, 0.5, 3.0])
def test_nested_step_form_matches_step(t):
    """step of a Piecewise argument is built as Min(1 + sign(u), 1): 0 below 0, else 1."""
    parsed = parse("step(relu(a) - 1)", VARS)
    assert not parsed.has(sp.Heaviside)
    assert parsed.subs(a, t) == step(relu(sp.Float(t)) - 1)


SCALARS = [
    ("2*a + b", 2 * a + b),
    ("a - b/2 - 3", a - b / 2 - 3),
    ("a/b/2", a / (2 * b)),
    ("-a + +b", -a + b),
    ("--a", a),
    ("-a**2", -(a**2)),
    ("x[2]", x2),
    ("W[1,2] + W[1][2]", 2 * W[1, 2]),
    ("2*W[1,2] + x[0]", 2 * W[1, 2] + x0),
    ("exp(a) + log(b) + ln(z)", sp.exp(a) + 2 * sp.log(b) - sp.log(b) + sp.log(z)),
    ("sqrt(a) * sin(b) * cos(z) * tan(a)", sp.sqrt(a) * sp.sin(b) * sp.cos(z) * sp.tan(a)),
    ("sinh(a) + cosh(a) + tanh(a)", sp.sinh(a) + sp.cosh(a) + sp.tanh(a)),
    ("sigmoid(z)*(1-sigmoid(z))", sigmoid(z) * (1 - sigmoid(z))),
    ("relu(a) + step(b) + heaviside(z)", relu(a) + step(b) + step(z)),
    ("max(a, b) - min(a, b)", sp.Max(a, b) - sp.Min(a, b)),
    ("abs(a) * sign(b)", sp.Abs(a) * sp.sign(b)),
    ("a^2 + b^3", a**2 + b**3),
    ("a**-1", 1 / a),
    ("a**(1/2)", sp.sqrt(a)),
    ("(a + b)**20", (a + b) ** 20),
    ("e**a * pi", sp.exp(a) * sp.pi),
    ("σ(a)·b − 1", sigmoid(a) * b - 1),
    ("a × b ⋅ z", a * b * z),
    ("a² + b³ + z⁻¹ + a¹⁰", a**2 + b**3 + 1 / z + a**10),
    ("π*a", sp.pi * a),
    ("２*ａ", 2 * a),  # fullwidth forms are NFKC-normalised
    ("𝑥[0]", x0),  # mathematical italic x
    ("a\u00a0+\u00a0b", a + b),  # no-break spaces
    ("  a + b  ", a + b),
    ("relu(relu(a))", relu(relu(a))),
    ("step(relu(a) - 1)", step(relu(a) - 1)),
    ("(" * 30 + "a" + ")" * 30, a),
]


@pytest.mark.parametrize(("text", "expected"), SCALARS, ids=[t for t, _ in SCALARS])
def test_scalar_parses(text, expected):
    parsed, seconds = guarded_parse(text)
    assert isinstance(parsed, sp.Expr)
    assert same(parsed, expected), parsed
    assert parsed.free_symbols <= expected.free_symbols | {a, b, z, x0, x1, x2, *W}
    assert seconds < FAST


ARRAYS = [
    ("[[x[0], 0], [0, x[1]]]", sp.Array([[x0, 0], [0, x1]])),
    ("[a, b]", sp.Array([a, b])),
    ("x", X),
    ("W", W),
    ("W[1]", sp.Array([W[1, 0], W[1, 1], W[1, 2]])),
    ("2*x + 1", sp.Array([2 * x0 + 1, 2 * x1 + 1, 2 * x2 + 1])),
    ("a*x", sp.Array([a * x0, a * x1, a * x2])),
    ("x*x", sp.Array([x0**2, x1**2, x2**2])),
    ("x - [1, 2, 3]", sp.Array([x0 - 1, x1 - 2, x2 - 3])),
    ("exp(x)", sp.Array([sp.exp(x0), sp.exp(x1), sp.exp(x2)])),
    ("max(x, 0)", sp.Array([sp.Max(x0, 0), sp.Max(x1, 0), sp.Max(x2, 0)])),
    ("[x, 2*x]", sp.Array([[x0, x1, x2], [2 * x0, 2 * x1, 2 * x2]])),
    ("W**2", W.applyfunc(lambda w: w**2)),
    ("[[[a]], [[b]]]", sp.Array([[[a]], [[b]]])),
]


@pytest.mark.parametrize(("text", "expected"), ARRAYS, ids=[t for t, _ in ARRAYS])
def test_array_parses(text, expected):
    parsed, seconds = guarded_parse(text)
    assert isinstance(parsed, sp.ImmutableDenseNDimArray)
    assert parsed.shape == expected.shape
    assert same(parsed, expected)
    assert seconds < FAST


EXACT = [
    ("0.5*x[0]", x0 / 2),
    ("x[0]/2", x0 / 2),
    ("0.25", sp.Rational(1, 4)),
    ("1e-3", sp.Rational(1, 1000)),
    ("1.5e2", sp.Integer(150)),
    ("0.1 + 0.2", sp.Rational(3, 10)),
    ("2/4", sp.Rational(1, 2)),
    ("2**-1", sp.Rational(1, 2)),
    ("exp(0)", sp.Integer(1)),
    ("sqrt(4)", sp.Integer(2)),
    ("sigmoid(0)", sp.Rational(1, 2)),
    ("relu(-3) + step(2)", sp.Integer(1)),
    ("max(2, 3)", sp.Integer(3)),
    ("2*3*a", 6 * a),
    ("a**2", a**2),
    ("1/a", 1 / a),
    ("-a", -a),
    ("sigmoid(z)", sigmoid(z)),
    ("relu(a)", relu(a)),
    ("step(a)", step(a)),
    ("exp(a)", sp.exp(a)),
    ("123456789012345", sp.Integer(123456789012345)),
]


@pytest.mark.parametrize(("text", "expected"), EXACT, ids=[t for t, _ in EXACT])
def test_exact_structure(text, expected):
    """Numbers are exact rationals and simple forms match SymPy's own structurally."""
    parsed, _ = guarded_parse(text)
    assert parsed == expected
    assert not parsed.has(sp.Float)


def test_unevaluated_but_equal():
    parsed, _ = guarded_parse("a + a")
    assert parsed != 2 * a and sp.simplify(parsed - 2 * a) == 0


def test_declared_variable_shadows_constant_and_function():
    e = element_symbol("e")
    assert parse("e", {"e": ()}) == e
    assert parse("exp(e)", {"e": (), "exp": ()}) == sp.exp(e)


def test_limits_are_adjustable():
    with pytest.raises(ParseError, match="longer than 10"):
        parse("a + b + a + b", VARS, limits=Limits(max_length=10))
    assert parse("a**30", VARS, limits=Limits(max_exponent=30)) == a**30


# ----- hostile input: rejected, fast, without side effects -----

def nested(depth: int) -> str:
    return "(" * depth + "a" + ")" * depth


HOSTILE = [
    ("__import__('os').system('id')", "strings are not allowed"),
    ("__import__(os).system(id)", "attribute access"),
    ("__import__(os)", "names starting with '_'"),
    ("().__class__.__bases__[0].__subclasses__()", "attribute access"),
    ("(1).__class__", "attribute access"),
    ("a.__class__", "attribute access"),
    ("x.real", "attribute access"),
    ("W.T.__class__", "attribute access"),
    ("__builtins__", "names starting with '_'"),
    ("lambda: 0", "lambda"),
    ("[c for c in ()]", "comprehensions"),
    ("(c for c in x)", "comprehensions"),
    ("eval('1')", "strings are not allowed"),
    ("eval(1)", "unknown name 'eval'"),
    ("exec(a)", "unknown name 'exec'"),
    ("open(a)", "unknown name 'open'"),
    ("getattr(a, b)", "unknown name 'getattr'"),
    ("globals()", "unknown name 'globals'"),
    ("breakpoint()", "unknown name 'breakpoint'"),
    ("_＿import＿＿(a)", "names starting with '_'"),
    ("＿＿import＿＿(a)", "names starting with '_'"),
    ("ｅｖａｌ(1)", "unknown name 'eval'"),
    ("'abc'", "strings are not allowed"),
    ('"abc"', "strings are not allowed"),
    ("f'{x}'", "strings are not allowed"),
    ("b'x'", "strings are not allowed"),
    ("True", "booleans are not allowed"),
    ("None", "None is not allowed"),
    ("...", "Ellipsis is not allowed"),
    ("{1}", "sets are not allowed"),
    ("{a: 1}", "dicts are not allowed"),
    ("(1, 2)", "tuples are not allowed"),
    ("*x", "invalid syntax"),
    ("f(*x)", "starred expressions"),
    ("(y:=1)", "assignment expressions"),
    ("a if b else z", "conditional expressions"),
    ("f(x, evaluate=False)", "keyword arguments"),
    ("exp(a, base=2)", "keyword arguments"),
    ("a < b", "comparisons"),
    ("a and b", "'and'/'or'"),
    ("not a", "operator 'not'"),
    ("~a", "operator '~'"),
    ("x @ W", "shapes \\(3,\\) and \\(2, 3\\) do not match for '@'"),
    ("a % b", "operator '%'"),
    ("a // b", "operator '//'"),
    ("a << b", "operator '<<'"),
    ("await a", "'await'"),
    ("(yield a)", "'yield'"),
    ("9**9**9**9", "power towers"),
    ("2**30**5", "power towers"),
    ("a^b^z", "power towers"),
    ("2**exp(a**2)", "power towers"),
    ("factorial(10**6)", "unknown name 'factorial'"),
    ("(a+1)**100000", "exponent 100000 is larger than 20"),
    ("a**(10*10)", "exponent 100 is larger than 20"),
    ("2**(999999999999999*999999999999999)", "is larger than 20"),
    ("(999999999999999**20)**20", "larger than 2048 bits"),
    (nested(300), "nested deeper than 30"),
    (nested(31), "nested deeper than 30"),
    ("exp(" * 40 + "a" + ")" * 40, "nested deeper than 30"),
    ("+".join(["a"] * 5000), "longer than 2000"),
    ("a" * 10**6, "longer than 2000"),
    ("1" * 5000, "longer than 2000"),
    ("123456789012345678", "more than 17 significant digits"),
    ("0.00000000000000001234567890123456789", "more than 17 significant digits"),
    ("diff(a**2*b, a)", "calculus operators are not allowed: write the derivative yourself"),
    ("integrate(a, a)", "calculus operators"),
    ("Integral(a, a)", "calculus operators"),
    ("Derivative(a, a)", "calculus operators"),
    ("Subs(a, a, 1)", "calculus operators"),
    ("solve(a, a)", "calculus operators"),
    ("limit(a, a, 0)", "calculus operators"),
    ("simplify(a)", "calculus operators"),
    ("1e309", "out of the floating-point range"),
    ("1e-400", "out of the floating-point range"),
    ("oo", "unknown name 'oo'"),
    ("zoo", "unknown name 'zoo'"),
    ("nan", "unknown name 'nan'"),
    ("1/0", "division by zero"),
    ("a/(2-2)", "division by zero"),
    ("0**-1", "division by zero"),
    ("log(0)", "undefined"),
    ("sqrt(-1)", "not real"),
    ("(-8)**(1/3)", "not real"),
    ("x#c", "comments"),
    ("x\\", "backslashes"),
    ("a;b", "';' is not allowed"),
    ("a\nb", "line breaks"),
    ("a\rb", "line breaks"),
    ("a\tb", "U\\+0009"),
    ("a\x00", "U\\+0000"),
    ("a\u202e+b", "U\\+202E"),
    ("a\u200b+b", "U\\+200B"),
    ("a\ud800", "U\\+D800"),  # lone surrogate
    ("\u0430 + b", "U\\+0430 \\(CYRILLIC SMALL LETTER A\\)"),
    ("x[0]\u2460", "U\\+2460"),  # circled one: NFKC would silently make it "1"
    ("a₁", "U\\+2081"),  # subscript one: NFKC would make "a1"
    ("ﬁ", "U\\+FB01"),  # ligature
    ("\\mathit{__import__('os')}", "backslashes"),
    ("\\unicode{<img src=x onerror=alert(1)>}", "backslashes"),
    ("`a`", "backticks"),
    ("N", "unknown name 'N'"),
    ("S", "unknown name 'S'"),
    ("Q", "unknown name 'Q'"),
    ("O", "unknown name 'O'"),
    ("I", "size of the identity 'I' is not known"),
    ("S(a)", "unknown name 'S'"),
    ("x[5]", "x\\[5\\] is out of range: 'x' has shape \\(3,\\)"),
    ("W[2,0]", "W\\[2,0\\] is out of range: 'W' has shape \\(2, 3\\)"),
    ("x[0][0]", "out of range"),
    ("x[-1]", "negative indices"),
    ("a[0]", "'a' is a scalar"),
    ("x[0:2]", "slicing"),
    ("x[a]", "integer literals"),
    ("x[1.0]", "integer literals"),
    ("x[True]", "booleans"),
    ("y[0]", "unknown name 'y'"),
    ("(2*x)[0]", "only declared variables can be indexed"),
    ("0x1F", "only decimal numbers"),
    ("0b101", "only decimal numbers"),
    ("3j", "complex numbers"),
    ("exp(a, b)", "takes 1 argument, got 2"),
    ("max(a)", "takes 2 arguments, got 1"),
    ("exp", "must be called"),
    ("a(b)", "variable 'a' cannot be called"),
    ("2(a)", "only named functions"),
    ("x*W", "shapes \\(2, 3\\) and \\(3,\\) do not match"),
    ("[[a, b], [a]]", "ragged"),
    ("[x, a]", "ragged"),
    ("[]", "empty lists"),
    ("", "empty expression"),
    ("   ", "empty expression"),
    ("2a", "a number is glued to a name: write '2\\*a...'"),
    ("1.5e3x[0]", "glued to a name"),
    ("1if a else b", "glued to a name"),
    ("a + 0.5_b", "glued to a name"),
    ("a +", "invalid syntax"),
    ("(a", "invalid syntax"),
]


@pytest.mark.parametrize(("text", "reason"), HOSTILE, ids=[repr(t)[:40] for t, _ in HOSTILE])
def test_hostile_input_is_rejected_fast(text, reason):
    start = time.process_time()
    with no_code_execution() as calls, pytest.raises(ParseError, match=reason) as info:
        parse(text, VARS)
    assert time.process_time() - start < FAST
    assert calls == []
    assert isinstance(info.value, ValueError)
    assert info.value.position is None or 0 <= info.value.position <= len(text)


def test_hostile_corpus_is_large():
    assert len(HOSTILE) >= 30


def test_large_arrays_are_capped():
    big = {"M": (100, 100)}
    start = time.process_time()
    with pytest.raises(ParseError, match="array expression is too large"):
        parse("exp(M)*M + M", big)
    assert time.process_time() - start < FAST


@pytest.mark.parametrize("text", [
    "+".join(["a"] * 5000),
    "-" * 5000 + "a",
    "[" + ",".join(["a"] * 5000) + "]",
    "(" * 1000 + "a" + ")" * 1000,
], ids=["sum", "unary", "list", "parens"])
def test_long_input_with_a_raised_length_cap_is_still_a_parse_error(text):
    """With the length cap lifted, node count / depth still stop it: never RecursionError."""
    start = time.process_time()
    with pytest.raises(ParseError, match="nodes|nested"):
        parse(text, VARS, limits=Limits(max_length=10**6))
    assert time.process_time() - start < FAST


def test_5000_digit_literal_with_a_raised_length_cap():
    with pytest.raises(ParseError, match="digits"):
        parse("1" * 5000, VARS, limits=Limits(max_length=10**6))


def test_node_count_limit():
    text = "+".join(["x[0]"] * 30)
    assert parse(text, VARS) is not None
    with pytest.raises(ParseError, match="more than 50 nodes"):
        parse(text, VARS, limits=Limits(max_nodes=50))


@pytest.mark.parametrize("template", [
    "__import__('pathlib').Path('{path}').touch()",
    "open('{path}', 'w')",
    "__import__('os').system('touch {path}')",
])
def test_payloads_leave_no_file(tmp_path, template):
    """The payload really works under eval (so the test can fail); parse does not run it."""
    control = tmp_path / "control"
    eval(template.format(path=control))  # noqa: S307 - our own payload, to prove it is live
    assert control.exists()
    sentinel = tmp_path / "sentinel"
    with pytest.raises(ParseError):
        parse(template.format(path=sentinel), VARS)
    assert not sentinel.exists()


@pytest.mark.parametrize("text", [
    "relu(relu(sigmoid(sigmoid(sigmoid(sigmoid(sigmoid(log(log(log(log(log(log(a-1)))))))))))))",
    "+".join("relu(" * 25 + f"a+{i}" + ")" * 25 for i in range(10)),
    "max(" + "+".join(f"a*{i}" for i in range(150)) + "," + "+".join(
        f"b*{i}" for i in range(150)) + ")",
    "abs(" + "+".join(f"a**{i % 20}*b" for i in range(180)) + ")**0.5",
    "(" + "*".join(["sigmoid(a)"] * 60) + ")**2",
    "*".join(f"(a+{i})**20" for i in range(80)),
    "+".join(["a"] * 700),
], ids=["relu-sigmoid-log", "relu-nests", "max-sums", "abs-pow", "sigmoid-product",
        "power-product", "long-sum"])
def test_pathological_but_legal_input_is_fast(text):
    """Inputs that make SymPy's evaluation crawl (or hang) are built quickly, unevaluated."""
    assert len(text) <= 2000
    _, seconds = guarded_parse(text)
    assert seconds < FAST


# ----- messages -----

def test_unknown_name_suggests_the_close_function():
    with pytest.raises(ParseError) as info:
        parse("sigmiod(a)", VARS)
    assert str(info.value) == "unknown name 'sigmiod' at position 0; did you mean 'sigmoid'?"
    assert info.value.position == 0


def test_unknown_name_suggests_a_declared_variable():
    with pytest.raises(ParseError, match="did you mean 'alpha'"):
        parse("2*alpah", {"alpha": ()})


def test_unknown_name_without_close_match_has_no_suggestion():
    with pytest.raises(ParseError) as info:
        parse("a + qqqqqq", VARS)
    assert str(info.value) == "unknown name 'qqqqqq' at position 4"


def test_long_unknown_name_is_shortened_in_the_message():
    with pytest.raises(ParseError) as info:
        parse("q" * 1000, VARS)
    assert len(str(info.value)) < 100 and "qqq..." in str(info.value)


def test_position_points_into_the_original_text():
    """Glyph expansion (σ -> sigmoid) and stripping must not shift reported positions."""
    text = " σ(a) + bb"
    with pytest.raises(ParseError) as info:
        parse(text, VARS)
    assert info.value.position == 8 and text[8:10] == "bb"
    assert info.value.text == text


def test_offending_character_is_named_by_codepoint_not_echoed():
    text = "a + \u202e b"
    with pytest.raises(ParseError) as info:
        parse(text, VARS)
    assert "U+202E (RIGHT-TO-LEFT OVERRIDE)" in str(info.value)
    assert "\u202e" not in str(info.value)
    assert info.value.position == 4


def test_syntax_error_has_a_position():
    with pytest.raises(ParseError, match="invalid syntax") as info:
        parse("a + * b", VARS)
    assert info.value.position == 4


def test_construct_error_position():
    with pytest.raises(ParseError, match="keyword arguments") as info:
        parse("max(a, b=1)", VARS)
    assert info.value.position == 7


def test_non_string_and_bad_declarations():
    with pytest.raises(TypeError):
        parse(3, VARS)
    with pytest.raises(ValueError, match="variable name"):
        parse("a", {"__a": ()})
    with pytest.raises(ValueError, match="non-negative"):
        parse("a", {"a": (-1,)})
    with pytest.raises(ValueError, match="tuple of ints"):
        parse("a", {"a": (1.5,)})


def test_numpy_integer_shapes_are_accepted():
    import numpy as np

    assert parse("x[1]", {"x": (np.int64(3),)}) == x1
