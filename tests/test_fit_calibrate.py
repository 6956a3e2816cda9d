"""The chances as lines in fit, calibrated by simulation; the contact decay in the scenario."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import alignsim
from alignsim.batch.setup import prepare
from alignsim.fit.calibrate import _simulate, line, statistics
from alignsim.fit.export import write_export

SCENARIO = Path(__file__).parent / "data" / "fit-roundtrip.toml"


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> alignsim.fit.FitResult:
    """Twenty weeks of the round-trip scenario, exported and fitted."""
    ledger = alignsim.simulate(alignsim.load(SCENARIO), "current", seed=5, horizon=20 * 168.0)
    leads, deals = write_export(ledger, tmp_path_factory.mktemp("export"), "salesforce")
    return alignsim.fit(leads, deals, mapping="salesforce")


def test_a_line_keeps_the_default_shape_and_stays_a_chance() -> None:
    assert line([0.15, 0.35], 0.3) == pytest.approx([0.18, 0.42])
    assert line(0.4, 0.3) == [0.3, 0.3]
    assert line([0.5, 0.9], 0.9) == pytest.approx([0.8, 1.0])  # capped at 1, middle kept
    assert line([0.5, 0.9], 1.5) == [1.0, 1.0]
    assert line([0.0, 0.0], 0.2) == [0.2, 0.2]


def test_every_chance_the_export_shows_is_a_calibrated_line(
    fitted: alignsim.fit.FitResult,
) -> None:
    market = fitted.scenario_document["market"]
    calibration = fitted.calibration
    assert calibration is not None
    for key in ("reach", "qualify", "win"):
        for t in ("cold", "warm", "hot"):
            assert market[key][t] == calibration.lines[key][t]
            assert 0 <= market[key][t][0] < market[key][t][1] <= 1


def test_the_calibrated_current_policy_shows_the_export_s_statistics(
    fitted: alignsim.fit.FitResult,
) -> None:
    """Simulated again with the written lines, each statistic lies within 4 standard errors
    of the export's own (its binomial standard error: the calibration must not add more than
    the data's own uncertainty)."""
    assert fitted.leads is not None and fitted.decay is not None
    curve = fitted.decay.chance
    data = statistics(fitted.leads, fitted.deals, fitted.as_of_h, curve)
    span = fitted.as_of_h - float(fitted.leads["created"].min())
    scenario = alignsim.validate(fitted.scenario_document, "fitted")
    assert fitted.calibration is not None
    simulated = _simulate(scenario, span, fitted.calibration.replications, curve)
    far = {}
    for key, (value, n) in data.items():
        p = min(value, 1.0)
        se = math.sqrt(max(p * (1 - p), 1e-4) / n)
        if not abs(simulated[key] - value) <= 4 * se:
            far[key] = (value, simulated[key], se)
    assert not far


def test_the_contact_decay_is_written_with_its_uncertainty_and_a_batch_accepts_it(
    fitted: alignsim.fit.FitResult,
) -> None:
    doc = fitted.scenario_document
    table = fitted.estimates.set_index("parameter")
    share = table.loc["market.contact_decay.share", "value"]
    tau = table.loc["market.contact_decay.time_constant", "value"]
    decay = alignsim.validate(doc, "fitted").market.decay_terms()
    assert decay[0] == pytest.approx([share, 1 - share], rel=1e-5)
    assert decay[1][0] == pytest.approx(tau, rel=1e-5)
    assert np.isinf(decay[1][1])
    laws = doc["uncertainty"]
    assert laws["market.contact_decay.components[0].weight"]["dist"] == "normal"
    assert laws["market.contact_decay.components[0].mean"]["mean"].endswith("h")
    prepare(doc, "fitted")  # every law's lowest and highest draw keep the scenario valid
