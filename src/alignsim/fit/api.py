"""`alignsim.fit`: a scenario from a CRM export, with what came from data and what did not.

result = alignsim.fit("leads.csv", "opportunities.csv", mapping="salesforce")
result.estimates          # parameter, value, std_error, ci_low, ci_high, source, n, note
result.quality            # what was wrong in the rows and what the fit did about it
result.write_scenario("mine.toml"); result.report("fit.html")
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tomli_w

from alignsim.calendar import BusinessCalendar, parse_clock, parse_days
from alignsim.fit import estimates as est
from alignsim.fit.calibrate import Calibration
from alignsim.fit.calibrate import calibrate as calibrated
from alignsim.fit.clean import clean_deals, clean_leads
from alignsim.fit.columns import ColumnMap, load_map
from alignsim.fit.decay import DecayFit, fit_decay, window_survival
from alignsim.fit.document import defaults, midpoint, scenario_document, write_lines
from alignsim.fit.policy import ObservedPolicy, observe
from alignsim.fit.read import read_exports
from alignsim.scenario import TEMPERATURES, validate
from alignsim.writing import write_atomically

NOT_IDENTIFIED = (
    (
        "market.patience",
        "buyer patience beyond the export's horizon: default.toml's mixtures (the decay fit "
        "holds them fixed); the long windows' means ranged in [uncertainty]",
    ),
    (
        "market.warming",
        "spontaneous warming of not-ready buyers (needs years of re-engagement); "
        "ranged in [uncertainty]",
    ),
    ("market.sources.*.fit", "fit with the ideal customer profile: beta(3, 3)"),
    (
        "market.reach, qualify, win: slope in fit",
        "how each chance rises with fit (no export shows fit): default.toml's lines' shape, "
        "their levels calibrated to the export by simulation",
    ),
    (
        "policies.*.definition",
        "definition noise and thresholds (no export shows the true score); "
        "current's noise ranged 0.10-0.40 in [uncertainty]",
    ),
    ("policies.current.queue", "queue discipline: default.toml's current (lifo)"),
    ("policies.current.sla.attempt_spacing", "spacing of attempts (needs per-attempt times)"),
    ("policies.current.goals", "team goals: none (an export does not show pay plans)"),
    ("team.reps", "reps: default.toml's 4, ranged 3-5 in [uncertainty] (no owner column)"),
    ("team.attempt_time, team.qualify_time", "rep time per call: default.toml's"),
)
"""What an export cannot pin down: kept at documented defaults, listed in every fit."""


@dataclass
class FitResult:
    """A fitted scenario document, its estimates and the data's quality counts."""

    scenario_document: dict[str, Any]
    estimates: pd.DataFrame
    quality: pd.DataFrame
    files: dict[str, str]
    mapping: str
    start: pd.Timestamp
    as_of_h: float
    leads: pd.DataFrame | None = None
    deals: pd.DataFrame | None = None
    cycle: est.CycleFit | None = None
    decay: DecayFit | None = None
    policy: ObservedPolicy = field(default_factory=ObservedPolicy)
    calibration: Calibration | None = None

    def write_scenario(self, path: str | Path) -> Path:
        """Write the scenario as TOML, atomically (a temporary file renamed)."""
        head = (
            "# Fitted by `alignsim fit` from "
            + ", ".join(f"{k} {v}" for k, v in self.files.items())
            + f" (map {self.mapping}).\n# Values from the data and the defaults are listed in "
            "the fit report; [uncertainty]\n# carries each estimate's standard error into "
            "`alignsim batch`.\n\n"
        )
        text = head + tomli_w.dumps(self.scenario_document)
        return write_atomically(Path(path), lambda tmp: Path(tmp).write_text(text, "utf-8"))

    def report(self, path: str | Path, replications: int = 10) -> Path:
        """Write the self-contained HTML fit report (see `alignsim.fit.report`)."""
        from alignsim.fit.report import fit_report

        return fit_report(self, path, replications=replications)


def _row(e: est.Estimate) -> dict[str, Any]:
    low, high = e.interval
    return {
        "parameter": e.parameter,
        "value": e.value,
        "std_error": e.std_error,
        "ci_low": low,
        "ci_high": high,
        "unit": e.unit,
        "source": e.source,
        "n": e.n,
        "note": e.note,
    }


def _value_laws(
    leads: pd.DataFrame | None, deals: pd.DataFrame | None, owners: dict[str, str]
) -> dict:
    """Deal value per source (>= MIN_DEALS_PER_SOURCE linked deals), else pooled over the
    sources of the same owner (sales' own deals are often bigger), else over every deal, else
    the default."""
    base = defaults()["source"]["value"]
    default = [
        est.Estimate("value.median", base["median"], source="default", note="no opportunities"),
        est.Estimate("value.p90", base["p90"], source="default", note="no opportunities"),
    ]
    if deals is None or deals["amount"].gt(0).sum() < 5:
        return {n: default for n in owners}
    pooled = est.lognormal_value(deals["amount"].to_numpy(float), "value")
    out = {n: pooled for n in owners}
    if leads is None or "opportunity" not in leads:
        return out
    linked = leads.dropna(subset=["opportunity"]).set_index("opportunity")["source"].to_dict()
    source = deals["id"].map(linked)
    for owner in set(owners.values()):
        names = [n for n, o in owners.items() if o == owner]
        amount = deals.loc[source.isin(names), "amount"].to_numpy(float)
        if (amount > 0).sum() >= 5:
            same = est.lognormal_value(amount, "value")
            out |= {
                n: [replace(e, note=f"pooled over {owner} sources") for e in same] for n in names
            }
    for name in owners:
        amount = deals.loc[source == name, "amount"].to_numpy(float)
        if (amount > 0).sum() >= est.MIN_DEALS_PER_SOURCE:
            out[name] = est.lognormal_value(amount, "value")
    return out


def _owner(group: pd.DataFrame) -> str:
    """sales for a source whose leads were worked but never marketing-qualified (no MQL dates)."""
    if "mql" not in group or "first_attempt" not in group:
        return "marketing"
    worked = group["first_attempt"].notna().any()
    return "sales" if group["mql"].isna().all() and worked else "marketing"


def _sources(result: dict, leads: pd.DataFrame | None, deals: pd.DataFrame | None,
             calendar: BusinessCalendar, as_of: float) -> tuple[dict, list[est.Estimate]]:  # fmt: skip
    base = defaults()["source"]
    rows: list[est.Estimate] = []
    if leads is None:
        rate = est.Estimate("market.sources.inbound.rate", float(base["rate"].split("/")[0]),
                            source="default", unit="/week", note="no leads export")  # fmt: skip
        info = {"rate": rate, "arrivals": "always", "weekly_profile": None, "owner": "marketing"}
        sources = {"inbound": info}
    else:
        sources = est.arrivals(leads, as_of, calendar)
        for name, info in sources.items():
            info["owner"] = _owner(leads[leads["source"] == name])
    values = _value_laws(leads, deals, {n: i["owner"] for n, i in sources.items()})
    for name, info in sources.items():
        prefix = f"market.sources.{name}"
        group = leads[leads["source"] == name] if leads is not None else pd.DataFrame()
        info["temperature"] = est.temperature_mix(group, prefix, base["temperature"])
        info["value"] = [replace(v, parameter=f"{prefix}.{v.parameter}") for v in values[name]]
        rows += [info["rate"], *info["temperature"], *info["value"]]
    return sources, rows


def _reps(leads: pd.DataFrame | None) -> est.Estimate | None:
    """Reps: the distinct owners of the leads someone worked (all leads if none shows work)."""
    if leads is None or "owner" not in leads or leads["owner"].notna().sum() == 0:
        return None
    worked = leads[leads["first_attempt"].notna()] if "first_attempt" in leads else leads
    owners = (worked if len(worked) else leads)["owner"].dropna()
    note = "distinct owners of the leads worked"
    return est.Estimate("team.reps", float(owners.nunique()), n=len(owners), note=note)


def fit(
    leads: str | Path | None = None,
    opportunities: str | Path | None = None,
    mapping: str | Path | ColumnMap = "salesforce",
    *,
    name: str = "fitted",
    currency: str = "EUR",
    timezone: str | None = None,
    as_of: str | None = None,
    calibrate: bool = True,
) -> FitResult:
    """Fit a scenario to a leads export, an opportunities export, or both.

    mapping: a preset (`salesforce`, `hubspot`), a map file, or a `ColumnMap`; timezone
    overrides the map's; as_of is the export's date (default: the latest time in it).
    calibrate: write reach, qualify and win as lines in fit with the defaults' slope, their
    levels calibrated by simulating the current policy (`alignsim.fit.calibrate`; needs a
    leads export); False keeps them flat at the export's averages (quicker).
    Raises `FitInputError` (one sentence per problem) for a wrong or missing column.
    """
    cmap = mapping if isinstance(mapping, ColumnMap) else load_map(mapping)
    if timezone is not None:
        cmap = replace(cmap, timezone=load_map_timezone(timezone))
    ex = read_exports(leads, opportunities, cmap, as_of)
    lead_t = clean_leads(ex.leads, cmap, ex.quality) if ex.leads is not None else None
    deal_t = clean_deals(ex.deals, cmap, ex.quality) if ex.deals is not None else None
    as_of_h = ex.as_of
    if deal_t is not None and as_of is None and deal_t["closed"].notna().any():
        as_of_h = max(as_of_h, float(deal_t["closed"].max()))
    base = defaults()
    policy = observe(lead_t, as_of_h, base["team"]["hours"])
    hours = policy.hours or base["team"]["hours"]
    calendar = BusinessCalendar(
        parse_clock(hours["open"]), parse_clock(hours["close"]), parse_days(hours["days"])
    )
    sources, rows = _sources({}, lead_t, deal_t, calendar, as_of_h)
    market, decay, cycle = _market(lead_t, deal_t, as_of_h, base)
    rows += market["reach"] + market.get("contact_decay", [])
    rows += market["qualify"] + market["win"] + market.get("cycle", [])
    rows += policy.estimates
    current = _current(policy)
    reps = _reps(lead_t)
    if reps is not None:
        rows.append(reps)
    doc, _ = scenario_document(
        name,
        currency,
        sources,
        market,
        policy.hours,
        current,
        None if reps is None else int(reps.value),
    )
    validate(doc, f"{name} (fitted)")
    calibration = None
    if calibrate and lead_t is not None and len(lead_t):
        targets = market["reach"] + market["qualify"] + market["win"]
        from_data = {tuple(r.parameter.split(".")[1:]) for r in targets if r.source == "data"}
        curve = decay.chance if decay is not None else None
        export = (lead_t, deal_t, as_of_h)
        calibration = calibrated(doc, export, from_data, base["market"], curve)
        if calibration is not None:
            write_lines(doc, calibration.lines, targets)
            validate(doc, f"{name} (fitted)")
    rows += [
        est.Estimate(p, np.nan, source="default", note=n)
        for p, n in NOT_IDENTIFIED
        if not (p == "team.reps" and reps is not None)
    ]
    files = {k: str(v) for k, v in (("leads", leads), ("opportunities", opportunities)) if v}
    return FitResult(
        scenario_document=doc,
        estimates=pd.DataFrame([_row(r) for r in rows]),
        quality=ex.quality.frame(),
        files=files,
        mapping=cmap.name,
        start=ex.start,
        as_of_h=as_of_h,
        leads=lead_t,
        deals=deal_t,
        cycle=cycle,
        decay=decay,
        policy=policy,
        calibration=calibration,
    )


def _market(
    lead_t: pd.DataFrame | None, deal_t: pd.DataFrame | None, as_of_h: float, base: dict[str, Any]
) -> tuple[dict[str, list[est.Estimate]], Any, Any]:
    """The market's chances and cycle from the data (reach and the contact decay from first attempts,
    qualification, win rates by temperature, the censored cycle), each at its default when
    the data cannot show it; with the decay fit and the cycle fit for the report."""
    market: dict[str, list[est.Estimate]] = {}
    mids = {
        k: {t: midpoint(base["market"][k][t]) for t in TEMPERATURES}
        for k in ("reach", "qualify", "win")
    }
    window = window_survival(_patience(base))
    decay = fit_decay(lead_t, as_of_h, window) if lead_t is not None else None
    if decay is not None:
        reach = decay.estimates[:-2]
        if [r.parameter for r in reach] == ["market.reach.unrated"]:
            reach = [replace(reach[0], parameter=f"market.reach.{t}") for t in TEMPERATURES]
        market["reach"] = reach
        market["contact_decay"] = decay.estimates[-2:]
    if lead_t is not None and {"reached", "sql"} <= set(lead_t):
        market["qualify"] = est.qualify_rates(lead_t, as_of_h, mids["qualify"])
    cycle = None
    if deal_t is not None:
        temp = None
        if lead_t is not None and {"opportunity", "temperature"} <= set(lead_t):
            linked = lead_t.dropna(subset=["opportunity"])
            temp = pd.Series(linked["temperature"].to_numpy(), index=linked["opportunity"])
            temp = temp[~temp.index.duplicated()]
        market["win"], _ = est.win_rates(deal_t, temp, mids["win"])
        cycle = est.sales_cycle(deal_t, as_of_h)
        if cycle is not None:
            market["cycle"] = cycle.estimates
    for key in ("reach", "qualify", "win"):
        if key not in market:
            market[key] = [est.Estimate(f"market.{key}.{t}", mids[key][t], source="default",
                                        note="not in the data") for t in TEMPERATURES]  # fmt: skip
    return market, decay, cycle


def _patience(base: dict[str, Any]) -> dict[str, Any]:
    """The defaults' buying-window laws by temperature (validated duration laws)."""
    from alignsim.scenario.models import Patience

    laws = Patience.model_validate(base["market"]["patience"])
    return {t: getattr(laws, t) for t in TEMPERATURES}


def _current(policy: Any) -> dict[str, Any]:
    """The observed current policy's table: handoff, first-response target, attempts."""
    current: dict[str, Any] = {"sla": {}}
    if policy.handoff is not None:
        current["handoff"] = policy.handoff
    if policy.first_response_h is not None:
        current["sla"]["first_response"] = f"{policy.first_response_h:.2f}h"
    if policy.max_attempts is not None:
        current["sla"]["max_attempts"] = policy.max_attempts
    return current


def load_map_timezone(timezone: str) -> str:
    """A time zone name, checked (FitInputError if unknown)."""
    import zoneinfo

    from alignsim.fit.columns import FitInputError

    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise FitInputError(f"--timezone: unknown time zone {timezone!r}") from None
    return timezone


__all__ = ["NOT_IDENTIFIED", "FitResult", "fit"]
