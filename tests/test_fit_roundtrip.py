"""Round trip: simulate a known scenario, write its ledger as a CRM export, fit, recover.

Every identifiable input of tests/data/fit-roundtrip.toml (its contact decay included), with
the fit's default buying windows put in (what an export cannot identify, and the decay fit
holds fixed), must fall inside its fitted 95% interval in about 95% of seeds. Over 40 seeds the coverage of one input has a standard error
of sqrt(0.95 * 0.05 / 40) = 0.034, so each input's coverage must be at least
0.95 - 4 * 0.034 = 0.81; pooled over the 25 inputs (800-odd intervals, correlated within a
seed: the standard error is taken as that of 40 independent draws, 0.034) at least 0.95 - 2 * 0.034.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import alignsim
from alignsim.fit.document import defaults
from alignsim.fit.export import write_export
from alignsim.scenario import read_document

SCENARIO = Path(__file__).parent / "data" / "fit-roundtrip.toml"

TRUTH = {
    "market.sources.web.rate": 60.0,
    "market.sources.events.rate": 25.0,
    "market.sources.web.temperature.cold": 0.5,
    "market.sources.web.temperature.warm": 0.3,
    "market.sources.web.temperature.hot": 0.2,
    "market.sources.events.temperature.cold": 0.3,
    "market.sources.events.temperature.warm": 0.4,
    "market.sources.events.temperature.hot": 0.3,
    "market.sources.web.value.median": 20000.0,
    "market.sources.web.value.p90": 50000.0,
    "market.sources.events.value.median": 30000.0,
    "market.sources.events.value.p90": 70000.0,
    "market.reach.cold": 0.3,
    "market.reach.warm": 0.4,
    "market.reach.hot": 0.5,
    "market.contact_decay.share": 0.3,
    "market.contact_decay.time_constant": 4.0,
    "market.qualify.cold": 0.3,
    "market.qualify.warm": 0.5,
    "market.qualify.hot": 0.7,
    "market.win.cold": 0.15,
    "market.win.warm": 0.25,
    "market.win.hot": 0.35,
    "market.cycle.median": 20.0,
    "market.cycle.p90": 45.0,
}
"""The scenario's inputs as the fit names them (rates per week, cycle in days, tau in hours)."""

SEEDS = range(40)


def truth() -> alignsim.Scenario:
    """The round-trip scenario with the fit's default buying windows."""
    doc = read_document(SCENARIO)
    doc["market"]["patience"] = defaults()["market"]["patience"]
    return alignsim.validate(doc, "fit-roundtrip")


def _fit_seed(seed: int, folder: Path) -> alignsim.fit.FitResult:
    ledger = alignsim.simulate(truth(), "current", seed=seed)
    leads, deals = write_export(ledger, folder / str(seed), "salesforce")
    # The estimates do not depend on the chances' calibration (it writes lines from them).
    return alignsim.fit(leads, deals, mapping="salesforce", calibrate=False)


@pytest.fixture(scope="module")
def fits(tmp_path_factory: pytest.TempPathFactory) -> list:
    folder = tmp_path_factory.mktemp("roundtrip")
    return [_fit_seed(seed, folder) for seed in SEEDS]


@pytest.mark.slow
def test_every_identifiable_input_is_covered_in_about_95_percent_of_seeds(fits: list) -> None:
    hits = {name: [] for name in TRUTH}
    for result in fits:
        table = result.estimates.set_index("parameter")
        for name, truth in TRUTH.items():
            row = table.loc[name]
            assert row["source"] == "data", name
            hits[name].append(row["ci_low"] <= truth <= row["ci_high"])
    coverage = {name: float(np.mean(h)) for name, h in hits.items()}
    low = {name: c for name, c in coverage.items() if c < 0.95 - 4 * 0.034}
    assert not low, f"coverage below 0.81: {low}"
    pooled = float(np.mean([c for c in coverage.values()]))
    assert pooled >= 0.95 - 2 * 0.034, coverage


@pytest.mark.slow
def test_the_observed_policy_and_hours_are_recovered(fits: list) -> None:
    for result in fits:
        current = result.scenario_document["policies"]["current"]
        assert current["sla"]["max_attempts"] == 3
        assert current["handoff"]["mode"] == "realtime"
        assert result.scenario_document["team"]["hours"] == {
            "open": "09:00",
            "close": "17:00",
            "days": ["Mon", "Tue", "Wed", "Thu", "Fri"],
        }
        sources = result.scenario_document["market"]["sources"]
        assert sources["events"]["arrivals"] == "business_hours"
        assert sources["web"]["arrivals"] == "always"
        assert "weekly_profile" in sources["web"]
        assert len(result.quality) == 0


def test_one_seed_recovers_every_input_within_four_standard_errors(tmp_path: Path) -> None:
    """The quick version for every run of the suite: one seed, 4 standard errors."""
    table = _fit_seed(3, tmp_path).estimates.set_index("parameter")
    far = {
        name: (table.loc[name, "value"], table.loc[name, "std_error"])
        for name, truth in TRUTH.items()
        if not abs(table.loc[name, "value"] - truth) <= 4 * table.loc[name, "std_error"]
    }
    assert not far
