"""Revenue lost by one policy against a baseline, with a paired interval, split by lever and
by leak.

MODEL.md sections 4 and 6.4. A comparison is a loop over `alignsim.paired.play_pair`:
replication r draws ONE lead stream and plays both policies on it (common random numbers), so
the difference per replication is paired and its interval is a paired t interval over
replications. The split by lever (exact Shapley values over the lever groups that differ) is
alignsim.levers's, played on the first `lever_replications` streams; the split by leak (where
the policy's leads ended) is alignsim.leaks's (its names are re-exported here).
"""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special

from alignsim import economics, metrics
from alignsim.leaks import CAUSE_OF_OUTCOME, CAUSES, LET_GO, attribute, attribution
from alignsim.ledger import Ledger
from alignsim.levers import GROUPS, LeverSplit
from alignsim.paired import PairedRun, Pairing, play_pair
from alignsim.paired import money as pair_money
from alignsim.scenario import Scenario
from alignsim.units import RATE_PERIODS

__all__ = [
    "CAUSES",
    "CAUSE_OF_OUTCOME",
    "LET_GO",
    "Comparison",
    "attribute",
    "attribution",
    "collect",
    "compare",
    "run",
]


HOURS_PER_YEAR = RATE_PERIODS["year"]
"""A year of 52 weeks: what per-year figures scale a run's to."""
_LEVER_COLUMNS = ["replication", "lever", "amount"]
_MONEY_LEVER_COLUMNS = ["replication", "figure", "lever", "amount"]
_RENAMED = "Comparison.{} is renamed {}; the old name goes in the next release"


def _interval(values: np.ndarray) -> dict[str, float | None]:
    """Mean, standard deviation and the 95% t interval of the mean (None for one value)."""
    n = len(values)
    mean = float(np.mean(values))
    if n < 2:
        return {"mean": mean, "std": None, "ci_low": None, "ci_high": None}
    std = float(np.std(values, ddof=1))
    # Student's t quantile: what scipy.stats.t.ppf(0.975, n - 1) returns, to the bit (tested),
    # without loading scipy.stats (about a second of start-up).
    half = float(special.stdtrit(n - 1, 0.975)) * std / math.sqrt(n)
    return {"mean": mean, "std": std, "ci_low": mean - half, "ci_high": mean + half}


@dataclass
class Comparison:
    """Policy against baseline over replications of common lead streams."""

    scenario: str
    baseline: str
    policy: str
    seed: int
    currency: str
    horizon_h: float
    rows: pd.DataFrame
    """One row per replication: revenue and funnel counts of each, revenue_lost."""
    causes: pd.DataFrame
    """One row per replication and cause: replication, cause, amount, leads."""
    ledgers: dict[str, Ledger] = field(default_factory=dict)
    """The first replication's ledgers by policy name, when asked for (`run(ledgers=True)`)."""
    levers: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_LEVER_COLUMNS))
    warmup_h: float = 0.0
    """Hours simulated before the measurement window (its leads load the reps, uncounted)."""
    settle_h: float = 0.0
    """Hours simulated after the window, for the cohort's last leads to resolve."""
    """One row per replication of the split by lever and lever group: replication, lever,
    amount (its Shapley value; empty without the split)."""
    money_rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    """One row per replication: replication and alignsim.economics.FIGURES (per year where
    economics.PER_YEAR says so)."""
    curves: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    """Per replication (rows): the cumulative gross profit of aligning minus the programme's
    cost, months 0..12 * years (currency; alignsim.economics.ReturnOnAligning)."""
    money_levers: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=_MONEY_LEVER_COLUMNS)
    )
    """The split by lever of lifetime value and gross profit lost: replication, figure
    (lifetime_value_lost, gross_profit_lost), lever, amount (currency over the horizon)."""

    economics_years: int = 3
    """The scenario's economics.years: the horizon of programme_cost, npv and the curves."""
    gross_margin: float = 0.75
    """The scenario's economics.gross_margin (lifetime value to gross profit)."""

    @property
    def replications(self) -> int:
        return len(self.rows)

    def to_frame(self) -> pd.DataFrame:
        """The per-replication rows: replication, revenue_baseline, revenue_policy,
        revenue_lost, then baseline_<stage> and policy_<stage> for every funnel stage."""
        return self.rows.copy()

    def by_leak_by_replication(self) -> pd.DataFrame:
        """Revenue lost by leak in every replication: replication, cause, amount, leads."""
        return self.causes.copy()

    def by_leak(self) -> pd.DataFrame:
        """Mean revenue lost per replication by leak (where the policy's leads ended): cause,
        amount, share, leads (mean count)."""
        means = self.causes.groupby("cause", sort=False)[["amount", "leads"]].mean()
        means = means.reindex(list(CAUSES))
        total = float(self.rows["revenue_lost"].mean())
        amount = means["amount"].to_numpy(float)
        share = amount / total if total != 0 else np.full(len(amount), np.nan)
        return pd.DataFrame(
            {
                "cause": list(CAUSES),
                "amount": amount,
                "share": share,
                "leads": means["leads"].to_numpy(float),
            }
        )

    def attribution(self) -> pd.DataFrame:
        """Deprecated name of `by_leak` (removed in the next release)."""
        warnings.warn(_RENAMED.format("attribution", "by_leak"), DeprecationWarning, stacklevel=2)
        return self.by_leak()

    def attribution_by_replication(self) -> pd.DataFrame:
        """Deprecated name of `by_leak_by_replication` (removed in the next release)."""
        warnings.warn(
            _RENAMED.format("attribution_by_replication", "by_leak_by_replication"),
            DeprecationWarning,
            stacklevel=2,
        )
        return self.by_leak_by_replication()

    @property
    def lever_replications(self) -> int:
        """Replications the split by lever was played on (the first ones; 0: not played)."""
        return int(self.levers["replication"].nunique())

    def by_lever(self) -> pd.DataFrame:
        """Mean revenue lost per replication by lever group (exact Shapley values, MODEL.md
        6.4): lever, amount, share, ci_low, ci_high, one row per group of
        alignsim.levers.GROUPS (0 for a group in which the policies agree).

        Over the first `lever_replications` replications (`attrs["replications"]`), which may
        be fewer than the comparison's; the amounts add up to the mean revenue lost over those
        (`attrs["revenue_lost"]`) and the shares to 1. The interval of each lever is the 95%
        paired t interval of its per-replication values (None with one replication).
        """
        if self.levers.empty:
            raise ValueError(
                "this comparison was played without the split by lever (lever_replications=0)"
            )
        per = self.levers.pivot(index="replication", columns="lever", values="amount")
        per = per.reindex(columns=list(GROUPS))
        lost = self.rows.set_index("replication").loc[per.index, "revenue_lost"]
        total = float(lost.mean())
        spans = [_interval(per[g].to_numpy(float)) for g in GROUPS]
        amount = np.array([s["mean"] for s in spans])
        frame = pd.DataFrame(
            {
                "lever": list(GROUPS),
                "amount": amount,
                "share": amount / total if total != 0 else np.full(len(amount), np.nan),
                "ci_low": [s["ci_low"] for s in spans],
                "ci_high": [s["ci_high"] for s in spans],
            }
        )
        frame.attrs.update(replications=len(per), revenue_lost=_interval(lost.to_numpy(float)))
        return frame

    def money(self) -> pd.DataFrame:
        """The money figures (alignsim.economics.FIGURES) as rows: figure, label, unit
        ("per_year", "total" over economics.years, "months" or "ratio"), mean, ci_low,
        ci_high (the 95% paired t interval over replications; None with one replication or
        when a replication never pays back or has an undefined ROI)."""
        records = []
        for name in economics.FIGURES:
            values = self.money_rows[name].to_numpy(float)
            span = (
                _interval(values)
                if np.isfinite(values).all()
                else {"mean": None, "ci_low": None, "ci_high": None}
            )
            records.append(
                {
                    "figure": name,
                    "label": economics.LABELS[name],
                    "unit": _money_unit(name),
                    "mean": span["mean"],
                    "ci_low": span["ci_low"],
                    "ci_high": span["ci_high"],
                }
            )
        frame = pd.DataFrame(records)
        frame.attrs["not_paid_back"] = int((~np.isfinite(self.money_rows["payback_months"])).sum())
        return frame

    def money_by_lever(self) -> pd.DataFrame:
        """Bookings, lifetime value and gross profit lost a year by lever group (exact Shapley
        values): figure, lever, amount, ci_low, ci_high. Bookings are the revenue split of
        `by_lever`."""
        if self.levers.empty:
            raise ValueError(
                "this comparison was played without the split by lever (lever_replications=0)"
            )
        k = HOURS_PER_YEAR / self.horizon_h
        per = {"bookings_lost": self.levers}
        for name in ("lifetime_value_lost", "gross_profit_lost"):
            per[name] = self.money_levers[self.money_levers["figure"] == name]
        rows = []
        for name, frame in per.items():
            table = frame.pivot(index="replication", columns="lever", values="amount")
            for group in GROUPS:
                span = _interval(table[group].to_numpy(float) * k)
                rows.append(
                    {"figure": name, "lever": group}
                    | {"amount": span["mean"], "ci_low": span["ci_low"], "ci_high": span["ci_high"]}
                )
        return pd.DataFrame(rows)

    def summary(self, unit: Literal["per_year", "per_run"] = "per_year") -> dict[str, Any]:
        """The comparison's headline figures as plain JSON-ready data.

        unit: "per_year" (what `compare --json` prints) scales every money figure of the
        cohort (the leads created in a measurement window of `horizon_h` hours, followed
        through the settle time) to a year of 52 weeks; "per_run" keeps them per window. The
        `unit` key says which. Funnel figures, and `unresolved` (cohort leads still open at
        the end of the run), are mean lead counts per window either way.
        """
        k = HOURS_PER_YEAR / self.horizon_h if unit == "per_year" else 1.0
        rows = self.rows
        names = {"baseline": self.baseline, "policy": self.policy}
        revenue = {names[r]: float(rows[f"revenue_{r}"].mean()) * k for r in ("policy", "baseline")}
        funnels = {
            names[r]: {s: float(rows[f"{r}_{s}"].mean()) for s in metrics.FUNNEL_STAGES}
            for r in ("policy", "baseline")
        }
        leaks = self.by_leak()
        out = {
            "scenario": self.scenario,
            "baseline": self.baseline,
            "policy": self.policy,
            "replications": self.replications,
            "seed": self.seed,
            "currency": self.currency,
            "unit": unit,
            "horizon_h": self.horizon_h,
            "warmup_h": self.warmup_h,
            "settle_h": self.settle_h,
            "revenue": revenue,
            "revenue_lost": _scaled(_interval(rows["revenue_lost"].to_numpy(float)), k),
            "by_leak": {
                c: float(a) * k for c, a in zip(leaks["cause"], leaks["amount"], strict=True)
            },
            "funnels": funnels,
        }
        if not self.money_rows.empty:
            out["money"] = self._money_summary()
        if "policy_unresolved" in rows:
            out["unresolved"] = {
                names[r]: float(rows[f"{r}_unresolved"].mean()) for r in ("policy", "baseline")
            }
        if not self.levers.empty:
            levers = self.by_lever()
            out["by_lever"] = {
                "replications": levers.attrs["replications"],
                "revenue_lost": _scaled(levers.attrs["revenue_lost"], k),
                "levers": {
                    row["lever"]: {"share": _finite(row["share"])}
                    | _scaled({m: row[m] for m in ("amount", "ci_low", "ci_high")}, k)
                    for row in levers.to_dict(orient="records")
                },
            }
        return out

    def _money_summary(self) -> dict[str, Any]:
        """The `money` object of `summary`: each figure's mean, ci_low, ci_high and unit."""
        out: dict[str, Any] = {
            row["figure"]: {m: _finite(row[m]) for m in ("mean", "ci_low", "ci_high")}
            | {"unit": row["unit"]}
            for row in self.money().to_dict(orient="records")
        }
        if not self.levers.empty:
            out["by_lever"] = {
                name: {
                    row["lever"]: {m: _finite(row[m]) for m in ("amount", "ci_low", "ci_high")}
                    for row in group.to_dict(orient="records")
                }
                for name, group in self.money_by_lever().groupby("figure", sort=False)
            }
        return out


def _money_unit(name: str) -> str:
    if name in economics.PER_YEAR:
        return "per_year"
    return {"payback_months": "months", "roi": "ratio"}.get(name, "total")


def _finite(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def _scaled(figures: dict[str, float | None], k: float) -> dict[str, float | None]:
    """Money figures times k (None stays None)."""
    return {name: None if x is None else float(x) * k for name, x in figures.items()}


def compare(
    scenario: Scenario,
    baseline: str | None = None,
    policy: str | None = None,
    replications: int = 30,
    seed: int | None = None,
    horizon: float | None = None,
    engine: str | None = None,
    lever_replications: int | None = None,
) -> Comparison:
    """Compare `policy` with `baseline` over `replications` common lead streams.

    baseline defaults to the scenario's baseline policy; policy to the first other policy (the
    baseline itself when there is no other). horizon is in hours (default: the scenario's).
    lever_replications: the first replications on which the loss is split by lever
    (`Comparison.by_lever`; None: all, 0: no split); each plays 2^g policies for the g lever
    groups in which the two differ. Runs too large to hold at once (`Pairing.windowed`) are
    played in windows, and so are their coalitions, a few at a time on the stream drawn again
    (`LeverSplit.figures`): None means no split there, which would multiply the time by about
    (2^g - 2) / 2 + 1 on every replication.
    """
    pairing = Pairing.of(scenario, baseline, policy, replications, seed, horizon, engine)
    return run(pairing, lever_replications=lever_replications)


def run(
    pairing: Pairing, *, ledgers: bool = False, lever_replications: int | None = 0
) -> Comparison:
    """The comparison of a pairing: `play_pair` on each replication, collected.

    ledgers: keep the first replication's two ledgers in `Comparison.ledgers`.
    lever_replications: split the loss by lever on the first ones (None: all; 0: none).
    """
    whole = 0 if pairing.windowed else pairing.replications
    count = whole if lever_replications is None else lever_replications
    if not 0 <= count <= pairing.replications:
        raise ValueError(
            f"lever_replications must be between 0 and the {pairing.replications} "
            f"replications (got {count})"
        )
    split = LeverSplit.of(pairing) if count else None

    def one(r: int) -> PairedRun:
        if split is None or r >= count:
            return play_pair(pairing, r, ledgers=ledgers and r == 0)
        if pairing.windowed:  # drawn in windows: the coalitions draw the stream again
            paired = play_pair(pairing, r, ledgers=ledgers and r == 0)
        else:
            paired = play_pair(
                pairing, r, stream=pairing.stream(r, split.widths), ledgers=ledgers and r == 0
            )
        shares = split.shares(split.figures(pairing, paired))
        amounts = dict(zip(split.players, shares[0], strict=True))
        by_lever = np.array([amounts.get(g, 0.0) for g in GROUPS])
        money = dict(zip(split.players, shares[1:].T, strict=True))
        by_money = np.array([money.get(g, np.zeros(2)) for g in GROUPS]).T
        return dataclasses.replace(paired, by_lever=by_lever, money_by_lever=by_money)

    return collect(pairing, _in_threads(one, pairing.replications))


def _in_threads(one: Callable[[int], PairedRun], replications: int) -> Iterator[PairedRun]:
    """`one(r)` for r = 0, 1, ..., in that order, played on a thread per core: the compiled
    engine releases the GIL (numba nogil), and each replication depends on its number only,
    so the results are the same bits as in one thread."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = min(replications, cores or 1)
    if workers <= 1:
        yield from (one(r) for r in range(replications))
        return
    with ThreadPoolExecutor(workers, "alignsim-compare") as pool:
        yield from pool.map(one, range(replications))


def collect(pairing: Pairing, runs: Iterable[PairedRun]) -> Comparison:
    """A Comparison from the paired runs of a pairing (in replication order)."""
    rows: list[dict[str, Any]] = []
    amounts: list[np.ndarray] = []
    leads: list[np.ndarray] = []
    kept: dict[str, Ledger] = {}
    levers: list[pd.DataFrame] = []
    money_rows: list[dict[str, float]] = []
    curves: list[np.ndarray] = []
    money_levers: list[pd.DataFrame] = []
    for paired in runs:
        if paired.by_lever is not None:
            levers.append(
                pd.DataFrame(
                    {"replication": paired.replication, "lever": GROUPS, "amount": paired.by_lever}
                )
            )
        if paired.money_by_lever is not None:
            for name, shares in zip(
                ("lifetime_value_lost", "gross_profit_lost"), paired.money_by_lever, strict=True
            ):
                money_levers.append(
                    pd.DataFrame(
                        {
                            "replication": paired.replication,
                            "figure": name,
                            "lever": GROUPS,
                            "amount": shares,
                        }
                    )
                )
        cash = pair_money(pairing, paired)
        money_rows.append({"replication": paired.replication} | cash.figures)
        curves.append(np.concatenate([[cash.curve.start], cash.curve.cumulative]))
        rows.append(paired.row())
        amounts.append(paired.lost_by_cause)
        leads.append(paired.leads_by_cause)
        if paired.ledgers is not None and not kept:
            kept = {pairing.baseline: paired.ledgers[0], pairing.policy: paired.ledgers[1]}
    frame = pd.DataFrame(rows)
    causes = pd.DataFrame(
        {
            "replication": np.repeat(frame["replication"].to_numpy(np.int64), len(CAUSES)),
            "cause": list(CAUSES) * len(rows),
            "amount": np.concatenate(amounts),
            "leads": np.concatenate(leads),
        }
    )
    return Comparison(
        scenario=pairing.scenario.name,
        baseline=pairing.baseline,
        policy=pairing.policy,
        seed=pairing.seed,
        currency=pairing.scenario.currency,
        horizon_h=pairing.horizon_h,
        warmup_h=pairing.scenario.warmup_hours(),
        settle_h=pairing.scenario.settle_hours(),
        rows=frame,
        causes=causes,
        ledgers=kept,
        levers=pd.concat(levers, ignore_index=True)
        if levers
        else pd.DataFrame(columns=_LEVER_COLUMNS),
        money_rows=pd.DataFrame(money_rows),
        economics_years=pairing.scenario.economics.years,
        gross_margin=pairing.scenario.economics.gross_margin,
        curves=np.array(curves),
        money_levers=pd.concat(money_levers, ignore_index=True)
        if money_levers
        else pd.DataFrame(columns=_MONEY_LEVER_COLUMNS),
    )
