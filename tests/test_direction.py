"""Direction (MODEL.md section 5): a worse lever never raises expected revenue, on common random numbers.

Each test adds a degraded copy of `aligned` to the default scenario and compares it with
`aligned` on the same streams; the loss must not be negative beyond sampling error
(mean + 3 standard errors >= 0, the SE from independent replications).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

import alignsim
from alignsim.scenario import read_document

REPLICATIONS = 8
HORIZON = 8 * 168.0


def _loss(
    sc: alignsim.Scenario, baseline: str, policy: str, replications: int = REPLICATIONS
) -> tuple[float, float, dict]:
    """Mean revenue lost, its standard error over replications, and the summary's figures."""
    lost = alignsim.compare(
        sc, baseline=baseline, policy=policy, replications=replications, horizon=HORIZON
    ).summary()["revenue_lost"]
    return lost["mean"], lost["std"] / replications**0.5, lost


def _with_variant(default_toml: Path, change) -> alignsim.Scenario:
    doc = read_document(default_toml)
    variant = copy.deepcopy(doc["policies"]["aligned"])
    change(variant)
    doc["policies"]["worse"] = variant
    return alignsim.validate(doc, "default.toml")


def _slower_handoff(p):
    p["handoff"] = {"mode": "batch", "times": ["17:00"]}
    p["queue"] = "fifo"


def _slower_sla(p):
    # The SLA alone: a working day to respond, whatever the temperature (aligned: 15 min for
    # hot, 1 h warm, 4 h cold). With the default's reps the SLA only orders the queue
    # (`queue = "sla"`), so the loss is small: measured +1,970 (SE 1,970) over these
    # replications; with one rep +25,600 (SE 19,000).
    p["sla"]["first_response"] = "1d"


def _noisier_definitions(p):
    p["definition"]["marketing_noise"] = 0.5
    p["definition"]["sales_noise"] = 0.5


def _fewer_attempts(p):
    p["sla"]["max_attempts"] = 2


def _fewer_reps(p):
    p["team"] = {"reps": 1}


@pytest.mark.parametrize(
    "change",
    [_slower_handoff, _slower_sla, _noisier_definitions, _fewer_attempts, _fewer_reps],
    ids=lambda f: f.__name__,
)
def test_a_worse_lever_never_raises_expected_revenue(default_toml, change):
    mean, se, lost = _loss(_with_variant(default_toml, change), "aligned", "worse")
    assert mean + 3 * se >= 0, lost


@pytest.mark.parametrize("change", [_noisier_definitions, _fewer_reps], ids=lambda f: f.__name__)
def test_the_check_catches_a_lever_that_raises_revenue(default_toml, change):
    # The same comparison the other way round: `aligned` is better than `worse`, so the
    # inequality above must fail. This is what keeps the direction test able to fail.
    mean, se, lost = _loss(_with_variant(default_toml, change), "worse", "aligned")
    assert mean + 3 * se < 0, lost


def _discard_rejects(p):
    p["rejected"] = "discard"


def _no_nurture(p):
    p["rejected"] = "discard"
    del p["nurture"]


@pytest.mark.parametrize("change", [_discard_rejects, _no_nurture], ids=lambda f: f.__name__)
def test_throwing_away_not_ready_leads_never_raises_expected_revenue(default_toml, change):
    # Nurture pays back over months (touches every 11 days, warming over weeks): a half year.
    lost = alignsim.compare(
        _with_variant(default_toml, change),
        baseline="aligned",
        policy="worse",
        replications=6,
        horizon=26 * 168.0,
    ).summary()["revenue_lost"]
    assert lost["mean"] + 3 * lost["std"] / 6**0.5 >= 0, lost


def _looking_team(default_toml: Path, better, worse) -> alignsim.Scenario:
    """The default market with the shared contact decay (lead-response-study.toml's), 12 reps
    who are mostly idle and look at the inbound queue at 09:00 and 13:30 (MODEL.md 6.2), and
    two variants of `aligned`."""
    doc = read_document(default_toml)
    study = read_document(default_toml.parent / "lead-response-study.toml")
    doc["market"]["contact_decay"] = study["market"]["contact_decay"]
    doc["team"]["reps"] = 12
    doc["team"]["inbound_checks"] = ["09:00", "13:30"]
    for name, change in (("better", better), ("worse", worse)):
        variant = copy.deepcopy(doc["policies"]["aligned"])
        change(variant)
        doc["policies"][name] = variant
    return alignsim.validate(doc, "default.toml")


def _alerts(p):
    p["alerts"] = True


def _no_alerts(p):
    p["alerts"] = False


def _no_sla_to_speak_of(p):
    # A first-response target no inbound check ever misses: reps look at the checks only.
    p["sla"]["first_response"] = "1w"
    p["sla"]["measured_in"] = "wall_clock"


def _keep(p):
    pass


@pytest.mark.parametrize(
    ("better", "worse"),
    [(_alerts, _no_alerts), (_keep, _no_sla_to_speak_of)],
    ids=["alerts", "tighter SLA"],
)
def test_alerts_and_a_tighter_sla_raise_revenue_when_reps_are_idle(default_toml, better, worse):
    # Twelve reps are idle most of the day, so whatever makes them look sooner (an alert at
    # routing; an SLA whose due time makes them look before the next check) reaches buyers
    # earlier on the contact decay: the loss of the worse variant must be positive beyond
    # 3 standard errors of the paired differences. Measured over these 48 replications of
    # 8 weeks: alerts +357,000 (SE 59,000), the aligned SLA against none +115,000 (SE 26,000).
    sc = _looking_team(default_toml, better, worse)
    mean, se, lost = _loss(sc, "better", "worse", replications=48)
    assert mean - 3 * se > 0, lost
