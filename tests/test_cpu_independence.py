"""The lead stream and the plans compute the same bits on every x86-64 processor.

numpy picks its transcendental ufuncs' loops from the processor at run time (AVX-512 variants
where it finds AVX-512), so nothing that draws a stream or makes a plan may call them: the
logarithms, exponentials and powers are compiled loops over the C library's functions
(alignsim.compiled.laws). These tests catch a numpy ufunc creeping back in, fastmath or SVML
in the compiled code, and the ziggurat tables drifting from numpy's. tests/test_golden.py pins
the bits themselves, with numpy's AVX-512 loops on and off.
"""

from __future__ import annotations

import ast
import inspect
import math
from pathlib import Path

import numpy as np
import pytest
from numba.core.registry import CPUDispatcher
from pydantic import TypeAdapter
from scipy import special

import alignsim
from alignsim import compiled
from alignsim.compiled import calendar, hints, laws, rows, ziggurat, ziggurat_tables
from alignsim.distributions import AmountDist, DurationDist
from alignsim.engines import make_plan

SRC = Path(alignsim.__file__).resolve().parent

TRANSCENDENTAL = (
    "log", "log1p", "log2", "log10", "logaddexp", "logaddexp2", "exp", "exp2", "expm1",
    "power", "float_power", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2",
    "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "cbrt", "hypot",
)  # fmt: skip
"""numpy's ufuncs of transcendental functions (a square root is exact: np.sqrt is allowed)."""

NUMPY_PATH_MODULES = ("stream.py", "distributions.py", "engines/plan.py", "calendar.py")
"""The modules whose numpy code draws a stream or makes a plan."""

LAWS = [
    TypeAdapter(AmountDist).validate_python(spec)
    for spec in (
        {"dist": "exponential", "mean": 3.0},
        {"dist": "lognormal", "median": 24000, "p90": 60000},
        {"dist": "weibull", "shape": 1.5, "scale": 4.0},
        {"dist": "weibull", "shape": 0.5, "scale": 4.0},
        {"dist": "weibull", "shape": 2, "scale": 4.0},
        {"dist": "gamma", "mean": 10.0, "cv": 0.5},
        {"dist": "beta", "a": 2.5, "b": 4},
        {"dist": "uniform", "low": 2, "high": 5},
        {
            "dist": "mixture",
            "components": [
                {"weight": 0.3, "dist": "lognormal", "median": 2, "p90": 5},
                {"weight": 0.5, "dist": "weibull", "shape": 0.7, "scale": 5},
                {"weight": 0.2, "dist": "fixed", "value": 100},
            ],
        },
    )
] + [
    TypeAdapter(DurationDist).validate_python(spec)
    for spec in (
        {"dist": "never"},
        {
            "dist": "mixture",
            "components": [
                {"weight": 0.4, "dist": "exponential", "mean": "20m"},
                {"weight": 0.6, "dist": "never"},
            ],
        },
    )
]


def _forbid_numpy_transcendentals(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(name: str):  # type: ignore[no-untyped-def]
        def call(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise AssertionError(f"np.{name} called: its loop depends on the processor")

        return call

    for name in TRANSCENDENTAL:
        monkeypatch.setattr(np, name, refuse(name))


def test_sampling_and_planning_call_no_numpy_transcendental(monkeypatch, shipped_scenarios):
    """Every law, a stream of each shipped scenario and each policy's plan, with numpy's
    transcendental ufuncs replaced by functions that fail."""
    scenarios = [alignsim.load(p) for p in shipped_scenarios]
    assert scenarios
    u = np.random.default_rng(5).random(1000)
    for sc in scenarios:  # compiled code and quantile tables built outside the check
        stream = alignsim.sample(sc, 1, horizon=168.0)
        for name, policy in sc.policies.items():
            make_plan(stream, sc.team_for(name), policy, market=sc.market)
    expected = [law.from_uniform(u) for law in LAWS]
    _forbid_numpy_transcendentals(monkeypatch)
    for law, want in zip(LAWS, expected, strict=True):
        assert np.array_equal(law.from_uniform(u), want)
    for sc in scenarios:
        stream = alignsim.sample(sc, 2, horizon=4 * 168.0)
        for name, policy in sc.policies.items():
            make_plan(stream, sc.team_for(name), policy, market=sc.market)


def test_the_refusal_above_does_catch_a_numpy_transcendental(monkeypatch):
    _forbid_numpy_transcendentals(monkeypatch)
    with pytest.raises(AssertionError, match=r"np\.log1p called"):
        np.log1p(np.zeros(3))


def _exponents(tree: ast.AST) -> list[ast.expr]:
    """The right-hand side of every `**` and `**=`."""
    out: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            out.append(node.right)
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Pow):
            out.append(node.value)
    return out


def _is_whole_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and isinstance(node.value, int)


@pytest.mark.parametrize("module", NUMPY_PATH_MODULES)
def test_numpy_code_of_the_stream_raises_only_to_whole_literal_powers(module):
    """`array ** x` is np.power, whose loop depends on the processor; a whole literal power of
    a Python number (2**16, cv**2) is Python's own and the same everywhere. Nor may the module
    import a transcendental ufunc by name."""
    tree = ast.parse((SRC / module).read_text())
    assert all(_is_whole_literal(e) for e in _exponents(tree)), module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "numpy":
            assert not {a.name for a in node.names} & set(TRANSCENDENTAL), module


def test_the_check_above_would_see_a_float_power():
    assert not all(_is_whole_literal(e) for e in _exponents(ast.parse("y = x ** (1 / k)")))
    assert not all(_is_whole_literal(e) for e in _exponents(ast.parse("y **= 0.5")))
    assert all(_is_whole_literal(e) for e in _exponents(ast.parse("y = 2**16 + c**-2")))


def test_compiled_code_uses_neither_fastmath_nor_svml():
    """With fastmath, LLVM may reorder arithmetic; with SVML (Intel's vector maths library,
    used when installed) it would call its own logarithms, picked by processor."""
    import numba

    import alignsim.engines.fast as fast

    assert not numba.config.USING_SVML
    dispatchers = [
        value
        for module in (compiled, calendar, hints, laws, rows, ziggurat, fast)
        for value in vars(module).values()
        if isinstance(value, CPUDispatcher)
    ]
    assert len(dispatchers) > 10
    for dispatcher in dispatchers:
        assert not dispatcher.targetoptions.get("fastmath"), dispatcher.py_func.__name__


def _weibull_power(x: float, power: float) -> float:
    return math.sqrt(x) if power == 0.5 else x * x if power == 2.0 else math.pow(x, power)


@pytest.mark.parametrize("shape", [0.5, 0.7, 1.0, 1.5, 2.0, 3.0])
def test_the_laws_are_the_c_librarys_functions_value_by_value(shape):
    """Python's math module calls the C library, with no dispatch of its own: the compiled
    laws give its values bit for bit (a power of 0.5 or 2 taken exactly, as numpy did)."""
    u = np.concatenate([np.random.default_rng(9).random(20_000), [0.0, 1e-300, 0.5]])
    exp_law = TypeAdapter(AmountDist).validate_python({"dist": "exponential", "mean": 3.5})
    want = [-3.5 * math.log1p(-x) for x in u]
    assert exp_law.from_uniform(u).tobytes() == np.array(want).tobytes()
    logn = TypeAdapter(AmountDist).validate_python({"dist": "lognormal", "median": 2, "p90": 9})
    want = [2.0 * math.exp(logn.sigma * z) for z in special.ndtri(u)]
    assert logn.from_uniform(u).tobytes() == np.array(want).tobytes()
    weib = TypeAdapter(AmountDist).validate_python(
        {"dist": "weibull", "shape": shape, "scale": 4.0}
    )
    want = [4.0 * _weibull_power(-math.log1p(-x), 1 / shape) for x in u]
    assert weib.from_uniform(u).tobytes() == np.array(want).tobytes()


def test_a_law_maps_a_scalar_to_a_scalar_and_keeps_shapes():
    law = TypeAdapter(AmountDist).validate_python({"dist": "exponential", "mean": 2.0})
    assert law.from_uniform(0.5) == -2.0 * math.log1p(-0.5)
    assert np.ndim(law.from_uniform(0.5)) == 0
    u = np.random.default_rng(1).random((3, 4))
    assert np.array_equal(law.from_uniform(u), law.from_uniform(u.T.copy()).T)


def test_the_ziggurat_tables_are_numpys():
    """The project's copy equals numba's copy of numpy's tables, where numba still has it."""
    numba_tables = pytest.importorskip("numba.np.random._constants")
    assert ziggurat_tables.KI.dtype == np.uint64
    assert np.array_equal(ziggurat_tables.KI, numba_tables.ki_double)
    assert ziggurat_tables.WI.tobytes() == numba_tables.wi_double.tobytes()
    assert ziggurat_tables.FI.tobytes() == numba_tables.fi_double.tobytes()
    assert numba_tables.ziggurat_nor_r == ziggurat_tables.R
    assert numba_tables.ziggurat_nor_inv_r == ziggurat_tables.INV_R
    assert len(ziggurat_tables.KI) == len(ziggurat_tables.WI) == len(ziggurat_tables.FI) == 256


def test_the_stream_no_longer_imports_the_engines():
    """The stream sits below the engines: its compiled helpers live in alignsim.compiled."""
    tree = ast.parse(inspect.getsource(alignsim.stream))
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [m for m in imported if m and m.startswith("alignsim.engines")]


def test_a_batch_design_calls_no_numpy_transcendental(monkeypatch, finance_toml):
    """Every law of an uncertain input and every kind of design, Iman-Conover included
    (tests/test_batch_design_bits.py pins their bits)."""
    from alignsim.batch.design import DESIGNS, draw
    from alignsim.scenario.uncertainty import InputDist

    uncertainty = alignsim.load(finance_toml).uncertainty
    assert uncertainty is not None and uncertainty.correlations
    specs = [
        {"dist": "pert", "low": 0.2, "mode": 0.28, "high": 0.34, "lambda": 3},
        {"dist": "triangular", "low": "60/week", "mode": "90/week", "high": "130/week"},
        {"dist": "uniform", "low": "2d", "high": "5d"},
        {"dist": "normal", "mean": 3.0, "sd": 0.5},
        {"dist": "normal", "mean": 0.3, "sd": 0.1, "low": 0.0, "high": 0.45},
        {"dist": "lognormal", "median": "3w", "p90": "6w"},
        {"dist": "beta", "a": 2.5, "b": 4},
        {"dist": "discrete", "values": [3, 4, 5]},
    ]
    inputs = [TypeAdapter(InputDist).validate_python(spec) for spec in specs]
    u = np.random.default_rng(3).random(1000)
    expected = [law.ppf(u) for law in inputs]
    designs = [draw(uncertainty, design, 64, 7) for design in DESIGNS]
    _forbid_numpy_transcendentals(monkeypatch)
    for law, want in zip(inputs, expected, strict=True):
        assert np.array_equal(law.ppf(u), want), law.dist
        law.bounds()
    for design, want in zip(DESIGNS, designs, strict=True):
        assert np.array_equal(draw(uncertainty, design, 64, 7), want), design
