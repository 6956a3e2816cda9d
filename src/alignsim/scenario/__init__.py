"""Scenario files: one market, one team and named policies (MODEL.md section 1), from TOML.

A scenario is plain data, validated once here. Everything downstream receives the frozen
`Scenario` and never reads a file or validates again. Bad input raises `ScenarioError`,
whose lines each name the file, the field path and what was expected.

The package holds, from the bottom up: `paths` (dotted paths into a document: the one dialect
of `--set`, `[uncertainty]` inputs, error messages and the workshop), `uncertainty` (the
`[uncertainty]` table's laws), `models` (the pydantic schema), `errors` (pydantic's errors as
sentences) and `files` (reading a file, its `extends` chain, validating).
"""

from __future__ import annotations

from alignsim.scenario.errors import ScenarioError
from alignsim.scenario.files import MAX_EXTENDS, MAX_FILE_BYTES, load, read_document, validate
from alignsim.scenario.models import (
    DISCIPLINES,
    MAX_ATTEMPTS,
    MAX_EXPECTED_LEADS,
    MAX_HORIZON_WEEKS,
    MAX_NURTURE_TOUCHES,
    MAX_RECYCLES,
    OWNERS,
    READINESS,
    SLA,
    TEMPERATURES,
    Campaign,
    Definition,
    Economics,
    Feedback,
    FirstResponse,
    Goals,
    Handoff,
    Hours,
    Market,
    Nurture,
    Patience,
    Policy,
    PostSale,
    Programme,
    RateTable,
    Scenario,
    Source,
    Team,
    TeamOverride,
    TemperatureMix,
    Warming,
    candidate_leads,
    expected_leads,
    schema,
)
from alignsim.scenario.uncertainty import Uncertainty

__all__ = [
    "DISCIPLINES",
    "MAX_ATTEMPTS",
    "MAX_EXPECTED_LEADS",
    "MAX_EXTENDS",
    "MAX_FILE_BYTES",
    "MAX_HORIZON_WEEKS",
    "MAX_NURTURE_TOUCHES",
    "MAX_RECYCLES",
    "OWNERS",
    "READINESS",
    "SLA",
    "TEMPERATURES",
    "Campaign",
    "Definition",
    "Economics",
    "Feedback",
    "FirstResponse",
    "Goals",
    "Handoff",
    "Hours",
    "Market",
    "Nurture",
    "Patience",
    "Policy",
    "PostSale",
    "Programme",
    "RateTable",
    "Scenario",
    "ScenarioError",
    "Source",
    "Team",
    "TeamOverride",
    "TemperatureMix",
    "Uncertainty",
    "Warming",
    "candidate_leads",
    "expected_leads",
    "load",
    "read_document",
    "schema",
    "validate",
]
