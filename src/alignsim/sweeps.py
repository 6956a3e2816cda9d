"""Sweeps: revenue lost as one scenario setting takes several values (the "what is one more
call worth" curve).

Each value changes the raw scenario document at a dotted path (as `--set PATH=VALUE` does),
the changed document is validated, and a comparison runs on the same root seed, so every value
plays the same lead streams as far as the change allows (common random numbers): a sweep is
a loop of comparisons, each a loop over `alignsim.paired.play_pair`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from alignsim.comparison import run
from alignsim.overrides import apply_overrides, set_text
from alignsim.paired import Pairing
from alignsim.scenario import Scenario, ScenarioError, read_document
from alignsim.scenario import validate as validate_document

__all__ = ["sweep"]


def _document(source: str | Path | Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    if isinstance(source, Scenario):
        raise TypeError(
            "sweep needs the scenario's file or raw document, not a validated Scenario: "
            "pass the path (e.g. 'scenarios/default.toml') or read_document(path)"
        )
    if isinstance(source, Mapping):
        return dict(source), str(source.get("name", "<scenario>"))
    path = Path(source)
    return read_document(path), path.name


def sweep(
    scenario: str | Path | Mapping[str, Any],
    path: str,
    values: Sequence[Any],
    baseline: str | None = None,
    policy: str | None = None,
    replications: int = 30,
    seed: int | None = None,
    horizon: float | None = None,
    engine: str | None = None,
) -> pd.DataFrame:
    """Revenue lost by `policy` against `baseline` for each value of the setting at `path`.

    scenario: a scenario file or its raw document (`alignsim.scenario.read_document`); path: a
    dotted path such as "policies.current.sla.max_attempts"; values: what to set there, as
    Python values or as `--set` text ("4", "1h", "[0.1, 0.2]"). Each value is compared over
    `replications` streams of the same root seed (default: the first value's scenario seed);
    horizon is in hours (default: the scenario's).

    Returns one row per value, as `alignsim sweep --json` prints them: `value` (as given),
    `revenue_lost` (mean, currency per year: a run of the horizon scaled to 52 weeks),
    `ci_low`, `ci_high` (its 95% paired interval, NaN with one replication), then
    `revenue_<name>` for the policy and the baseline (mean per year). `frame.attrs` holds the
    context: scenario, set, baseline, policy, replications, seed, currency, unit ("per_year"),
    horizon_h.

    Raises ScenarioError listing every value whose changed scenario is invalid, and ValueError
    for an empty list of values, fewer than one replication or an unknown policy.
    """
    if not values:
        raise ValueError("values: expected at least one value to sweep")
    if replications < 1:
        raise ValueError(f"replications must be at least 1 (got {replications})")
    doc, label = _document(scenario)
    scenarios: list[Scenario] = []
    problems: list[str] = []
    for value in values:
        text = set_text(value)
        try:
            changed = apply_overrides(doc, [f"{path}={text}"])
            scenarios.append(validate_document(changed, f"{label} ({path}={text})"))
        except ScenarioError as error:
            problems.extend(error.problems)
    if problems:
        raise ScenarioError(dict.fromkeys(problems))
    for sc in scenarios:
        for option, name in (("baseline", baseline), ("policy", policy)):
            if name is not None and name not in sc.policies:
                raise ValueError(
                    f"{option}: {label} has no policy {name!r}; it has {', '.join(sc.policies)}"
                )
    root = scenarios[0].seed if seed is None else int(seed)
    rows: list[dict[str, Any]] = []
    context: dict[str, Any] = {}
    for value, sc in zip(values, scenarios, strict=True):
        pairing = Pairing.of(sc, baseline, policy, replications, root, horizon, engine)
        summary = run(pairing).summary()
        lost = summary["revenue_lost"]
        row: dict[str, Any] = {
            "value": value,
            "revenue_lost": lost["mean"],
            "ci_low": math.nan if lost["ci_low"] is None else lost["ci_low"],
            "ci_high": math.nan if lost["ci_high"] is None else lost["ci_high"],
        }
        for name, amount in summary["revenue"].items():
            row[f"revenue_{name}"] = amount
        rows.append(row)
        context = context or {
            "scenario": summary["scenario"],
            "set": path,
            "baseline": summary["baseline"],
            "policy": summary["policy"],
            "replications": replications,
            "seed": root,
            "currency": summary["currency"],
            "unit": summary["unit"],
            "horizon_h": summary["horizon_h"],
        }
    frame = pd.DataFrame(rows)
    frame["value"] = pd.Series(list(values), dtype=object)
    frame.attrs.update(context)
    return frame
