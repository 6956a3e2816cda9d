"""The [uncertainty] table: paths, laws, messages, designs and Iman-Conover correlations."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from scipy import stats

import alignsim
from alignsim.batch.design import draw, iman_conover, uniforms
from alignsim.scenario.labels import default_label
from alignsim.scenario.paths import format_path, lookup, parse_path, replaced
from alignsim.scenario.uncertainty import Uncertainty


def _problems(doc: dict) -> list[str]:
    """The problems validation finds in the document."""
    with pytest.raises(alignsim.ScenarioError) as caught:
        alignsim.validate(doc, "f.toml")
    return caught.value.problems


# --------------------------------------------------------------------------- paths


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("team.reps", ("team", "reps")),
        ("market.win.hot[1]", ("market", "win", "hot", 1)),
        (
            "market.patience.hot.components[2].mean",
            ("market", "patience", "hot", "components", 2, "mean"),
        ),
        ('policies."my policy".sla.max_attempts', ("policies", "my policy", "sla", "max_attempts")),
    ],
)
def test_paths_parse_and_print_back(text: str, parts: tuple) -> None:
    assert parse_path(text) == parts
    assert format_path(parts) == text


@pytest.mark.parametrize("text", ["", "team..reps", "team.reps.", "market.win[x]", "a b"])
def test_bad_paths_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="path"):
        parse_path(text)


def test_lookup_and_replaced_follow_tables_and_lists() -> None:
    doc = {"market": {"win": {"hot": [0.1, 0.2]}, "reach": {"hot": 0.4}}}
    assert lookup(doc, ("market", "win", "hot", 1)) == 0.2
    new = replaced(doc, ("market", "win", "hot", 0), 0.15)
    assert new["market"]["win"]["hot"] == [0.15, 0.2]
    assert doc["market"]["win"]["hot"] == [0.1, 0.2]  # the original is left as it was
    assert new["market"]["reach"] is doc["market"]["reach"]  # off the path: shared
    with pytest.raises(LookupError, match=r"no key 'cold' in market.win"):
        replaced(doc, ("market", "win", "cold", 0), 0.15)
    with pytest.raises(LookupError, match=r"no key 'hott' in market.win \(did you mean 'hot'\?\)"):
        lookup(doc, ("market", "win", "hott"))
    with pytest.raises(LookupError, match=r"market.win.hot has 2 entries \(indexes 0 to 1\)"):
        lookup(doc, ("market", "win", "hot", 2))


# --------------------------------------------------------------------------- laws


def _law(document: Callable[..., dict], table: dict):
    """The law of `market.win` written as `table` in the tiny document."""
    doc = document(uncertainty={"market.win": table})
    return alignsim.validate(doc, "f.toml").uncertainty.laws[0]  # type: ignore[union-attr]


def _mean(law) -> float:
    """The law's mean by the midpoint rule over 200,000 equal slices of (0, 1): no sampling."""
    u = (np.arange(200_000) + 0.5) / 200_000
    return float(law.ppf(u).mean())


@pytest.mark.parametrize(
    ("table", "mean"),
    [
        ({"dist": "pert", "low": 0.1, "mode": 0.4, "high": 0.9}, (0.1 + 4 * 0.4 + 0.9) / 6),
        ({"dist": "pert", "low": 0, "mode": 1, "high": 2, "lambda": 2}, 1.0),
        ({"dist": "triangular", "low": 0.1, "mode": 0.4, "high": 0.9}, (0.1 + 0.4 + 0.9) / 3),
        ({"dist": "uniform", "low": 0.2, "high": 0.6}, 0.4),
        ({"dist": "normal", "mean": 0.5, "sd": 0.1}, 0.5),
        (
            {"dist": "normal", "mean": 0.5, "sd": 0.1, "low": 0.5},
            0.5 + 0.1 * math.sqrt(2 / math.pi),
        ),
        ({"dist": "beta", "a": 2, "b": 6, "low": 0.1, "high": 0.5}, 0.1 + 0.4 * 2 / 8),
        ({"dist": "discrete", "values": [0.1, 0.3], "weights": [0.25, 0.75]}, 0.25),
        ({"dist": "discrete", "values": [0.1, 0.2, 0.6]}, 0.3),
    ],
)
def test_laws_have_their_means(tiny_document, table: dict, mean: float) -> None:
    assert _mean(_law(tiny_document, table)) == pytest.approx(mean, rel=1e-4)


def test_lognormal_has_its_median_and_p90(tiny_document) -> None:
    law = _law(tiny_document, {"dist": "lognormal", "median": "3w", "p90": "6w"})
    assert law.ppf(np.array([0.5, 0.9])) == pytest.approx([504.0, 1008.0])
    assert law.unit.label == "weeks"


def test_rates_and_durations_are_read_in_alignsims_units(tiny_document) -> None:
    law = _law(
        tiny_document,
        {"dist": "triangular", "low": "84/week", "mode": "168/week", "high": "336/week"},
    )
    assert law.bounds() == pytest.approx((0.5, 2.0), abs=1e-3)  # per hour
    assert (law.unit.kind, law.unit.label, law.unit.scale) == ("rate", "per week", 168.0)
    law = _law(tiny_document, {"dist": "uniform", "low": "30m", "high": "2h"})
    assert law.bounds() == pytest.approx((0.5, 2.0), abs=1e-6)  # hours
    assert law.unit.label == "minutes"  # the unit of the first parameter


def test_draws_stay_within_the_bounds_checked_before_any_run(tiny_document) -> None:
    law = _law(tiny_document, {"dist": "normal", "mean": 0.5, "sd": 0.1})
    low, high = law.bounds()
    assert law.ppf(np.array([0.0, 1.0])).tolist() == [low, high]
    assert 0.5 - 7 * 0.1 < low < 0.5 - 5 * 0.1  # a finite six-sigma-ish range, not infinite


# --------------------------------------------------------------------------- messages


@pytest.mark.parametrize(
    ("uncertainty", "message"),
    [
        (
            {"market.win": {"dist": "pert", "low": 0.6, "mode": 0.5, "high": 0.3}},
            'f.toml: uncertainty."market.win": expected low below high (got 0.6 and 0.3)',
        ),
        (
            {"market.win": {"dist": "pert", "min": 0.2, "mode": 0.3, "max": 0.6}},
            'f.toml: uncertainty."market.win": write low/high, not min/max',
        ),
        (
            {"market.win": {"dist": "triangular", "low": 0.2, "mode": 0.7, "high": 0.6}},
            'f.toml: uncertainty."market.win": expected mode between low and high '
            "(got 0.7, outside [0.2, 0.6])",
        ),
        (
            {"team.reps": {"dist": "uniform", "low": 1, "high": "3/day"}},
            'f.toml: uncertainty."team.reps": write every parameter the same way: all plain '
            'numbers, all durations (like "3d") or all rates (like "90/week")',
        ),
        (
            {"team.reps": {"dist": "uniform", "low": "lots", "high": 3}},
            'f.toml: uncertainty."team.reps".low: expected a number, a duration like "3d" or a '
            "rate like \"90/week\" (got 'lots')",
        ),
        (
            {"team.reps": {"dist": "poisson", "mean": 2}},
            "f.toml: uncertainty.\"team.reps\": unknown distribution 'poisson'; expected one of "
            "'pert', 'triangular', 'uniform', 'normal', 'lognormal', 'beta', 'discrete'",
        ),
        (
            {"team.reps": {"dist": "discrete", "values": [1, 2], "weights": [0.5, 0.6]}},
            'f.toml: uncertainty."team.reps": expected weights adding up to 1 (got 1.1)',
        ),
        (
            {"team.reps": {"dist": "discrete", "values": [1, 2], "label": 3}},
            'f.toml: uncertainty."team.reps".label: expected a text string (got 3)',
        ),
        (
            {"team.reps": {"dist": "discrete", "values": [1, 2], "label": ""}},
            'f.toml: uncertainty."team.reps".label: string should have at least 1 character '
            "(got '')",
        ),
        (
            {"market.win": {"dist": "normal", "mean": 0.5, "sd": 0}},
            'f.toml: uncertainty."market.win": expected a positive sd (got 0)',
        ),
        (
            {"team..reps": {"dist": "uniform", "low": 1, "high": 3}},
            'f.toml: uncertainty: "team..reps": expected a dotted path like "market.win.hot[1]" '
            "or \"team.reps\" (got 'team..reps')",
        ),
        (
            {
                "market.win": {"dist": "uniform", "low": 0.2, "high": 0.6},
                "correlations": [{"between": ["market.win", "market.qualify"], "rho": 0.5}],
            },
            'f.toml: uncertainty: correlations[0].between names "market.qualify", which is not '
            "one of the uncertain inputs",
        ),
        (
            {
                "a.x": {"dist": "uniform", "low": 1, "high": 3},
                "a.y": {"dist": "uniform", "low": 1, "high": 3},
                "a.z": {"dist": "uniform", "low": 1, "high": 3},
                "correlations": [
                    {"between": ["a.x", "a.y"], "rho": 0.9},
                    {"between": ["a.y", "a.z"], "rho": 0.9},
                    {"between": ["a.x", "a.z"], "rho": -0.9},
                ],
            },
            "f.toml: uncertainty.correlations: cannot hold together: the rank correlation matrix "
            "is not positive definite (smallest eigenvalue -0.8); loosen some of them",
        ),
    ],
)
def test_bad_tables_are_one_sentence_naming_file_and_input(
    tiny_document, uncertainty: dict, message: str
) -> None:
    assert _problems(tiny_document(uncertainty=uncertainty)) == [message]


def test_inputs_may_be_written_as_nested_tables(tiny_document) -> None:
    doc = tiny_document(uncertainty={"team": {"reps": {"dist": "discrete", "values": [1, 2]}}})
    assert alignsim.validate(doc).uncertainty.names == ["team.reps"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("market.win.hot[1]", "Hot buyers' close rate at best fit"),
        ("market.reach.cold[0]", "Cold buyers' reach rate at worst fit"),
        (
            "market.patience.hot.components[2].mean",
            "Hot buyers' patience, mixture component 3: mean",
        ),
        ("market.sources.demo_request.rate", "Demo request source: lead rate"),
        ("team.reps", "Sales reps"),
        ("economics.programme.yearly", "Alignment programme: yearly cost"),
        ("economics.retention", "Yearly renewal rate"),
        ("policies.current.sla.max_attempts", "Current policy: contact attempts"),
        ('policies."my policy".definition.mql_threshold', "My policy: marketing's MQL bar"),
        ("policies.current.handoff.times[0]", "Current policy: export time 1"),
        ("market.cycle.median", "Sales cycle: median"),
        ("economics.lead_cost.web", "Cost of a lead: web"),
    ],
)
def test_an_input_without_a_label_is_named_by_its_path_in_words(path: str, label: str) -> None:
    assert default_label(path) == label
    assert not set(".[]_") & set(label)  # never the raw path


def test_an_inputs_label_names_it_and_the_others_get_their_path_in_words(tiny_document) -> None:
    doc = tiny_document(
        uncertainty={
            "team.reps": {"dist": "discrete", "values": [1, 2], "label": "Reps at work"},
            "market.win.hot[1]": {"dist": "uniform", "low": 0.2, "high": 0.3},
        }
    )
    uncertainty = alignsim.validate(doc).uncertainty
    assert uncertainty is not None
    assert uncertainty.labels == ["Reps at work", "Hot buyers' close rate at best fit"]


def test_the_schema_describes_the_table_as_written() -> None:
    schema = alignsim.scenario.schema()["$defs"]["Uncertainty"]
    assert set(schema["properties"]) == {"correlations"}
    assert "pert" in str(schema["additionalProperties"])


# --------------------------------------------------------------------------- designs


def test_designs_are_drawn_from_the_root_seed_alone() -> None:
    for design in ("lhs", "sobol", "random"):
        a, b = uniforms(design, 64, 3, root=5), uniforms(design, 64, 3, root=5)
        assert np.array_equal(a, b)
        assert not np.array_equal(a, uniforms(design, 64, 3, root=6))
        assert ((a > 0) & (a < 1)).all()


def test_a_random_design_gives_run_i_its_own_child_seed() -> None:
    child = np.random.default_rng(np.random.SeedSequence(5, spawn_key=(7,))).random(3)
    assert np.array_equal(uniforms("random", 10, 3, root=5)[7], child)
    assert np.array_equal(uniforms("random", 10, 3, root=5), uniforms("random", 30, 3, root=5)[:10])


def test_a_latin_hypercube_has_one_point_per_stratum_and_sobol_keeps_its_prefix() -> None:
    u = uniforms("lhs", 50, 4, root=1)
    for k in range(4):
        assert sorted(np.floor(u[:, k] * 50).astype(int)) == list(range(50))
    assert np.array_equal(uniforms("sobol", 16, 2, root=1)[:8], uniforms("sobol", 8, 2, root=1))


def test_iman_conover_gives_the_rank_correlations_and_keeps_every_law() -> None:
    n = 2000
    target = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.0], [-0.3, 0.0, 1.0]])
    u = uniforms("lhs", n, 3, root=3)
    out = iman_conover(u, target, np.random.default_rng(4))
    for k in range(3):  # a permutation of each column: the marginals are untouched
        assert np.array_equal(np.sort(out[:, k]), np.sort(u[:, k]))
    rho = stats.spearmanr(out).statistic
    se = 1.06 / math.sqrt(n - 3)  # Fieller et al.: the standard error of atanh(Spearman rho)
    for i, j in ((0, 1), (0, 2), (1, 2)):
        assert abs(math.atanh(rho[i, j]) - math.atanh(target[i, j])) < 4 * se, (i, j, rho[i, j])


def test_draw_applies_laws_and_correlations(tiny_document) -> None:
    doc = tiny_document()
    uncertainty = alignsim.validate(doc).uncertainty
    assert isinstance(uncertainty, Uncertainty)
    values = draw(uncertainty, "lhs", 400, root=2)
    assert values.shape == (400, 4)
    assert set(np.unique(values[:, 2])) == {1.0, 2.0}
    assert values[:, 0].min() >= 0.3 and values[:, 0].max() <= 0.6
    assert stats.spearmanr(values[:, 0], values[:, 1]).statistic < -0.3
