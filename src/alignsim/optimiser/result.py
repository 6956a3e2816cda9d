"""What an optimisation returns: the ranking, the chosen policy, the Pareto front, the split
by lever and the sentence a finance analyst reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tomli_w

from alignsim.batch.checkpoint import atomic_write
from alignsim.comparison import compare
from alignsim.levers import LEVER_LABELS
from alignsim.scenario import Policy, Scenario
from alignsim.scenario.space import Space

__all__ = ["Optimisation", "lever_split", "pareto_front", "read_optimisation"]

_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def money(amount: float, currency: str) -> str:
    """Money to 3 significant figures: 'EUR 123,000'."""
    rounded = float(f"{abs(amount):.3g}")
    return f"{'-' if amount < 0 else ''}{currency} {rounded:,.0f}"


RECOVERED = {"revenue": "bookings_recovered", "profit": "gross_profit_recovered"}
"""The Pareto front's column of what a candidate recovers, by the objective's figure."""


def pareto_front(
    space: Space,
    keys: Sequence[tuple[int, ...]],
    played: np.ndarray,
    start: np.ndarray,
    figure: str = "revenue",
) -> pd.DataFrame:
    """Every screened candidate's programme cost and what it recovers a year against `from`
    (mean over the screening replications of `figure`: bookings_recovered for revenue,
    gross_profit_recovered for profit), with `pareto`: no other is cheaper (or as cheap) and
    recovers more."""
    gain = (played - start).mean(axis=1)
    cost = np.array([space.cost(k) for k in keys])
    order = np.lexsort((-gain, cost))
    front = np.zeros(len(keys), dtype=bool)
    top = -np.inf
    for i in order:
        if gain[i] > top:
            front[i], top = True, gain[i]
    return pd.DataFrame(
        {
            "candidate": [
                ", ".join(f"{n} = {v}" for n, v in space.values(k).items()) for k in keys
            ],
            "programme_cost": cost,
            RECOVERED[figure]: gain,
            "pareto": front,
        }
    )


def lever_split(
    scenario: Scenario,
    start: str,
    chosen: Policy,
    seed: int,
    horizon: float | None,
    engine: str | None,
    replications: int,
) -> pd.DataFrame:
    """Bookings the chosen policy recovers over `from`, split by lever group (Shapley values,
    alignsim.levers): lever, label, recovered, ci_low, ci_high, money a year; empty with 0
    replications."""
    if replications < 1:
        return pd.DataFrame(columns=["lever", "label", "recovered", "ci_low", "ci_high"])
    pair = scenario.model_copy(
        update={"policies": {"from": scenario.policies[start], "chosen": chosen}}
    )
    result = compare(pair, "from", "chosen", replications, seed, horizon, engine)
    levers = result.by_lever()
    k = 52 * 168 / float(scenario.horizon if horizon is None else horizon)
    return pd.DataFrame(
        {
            "lever": levers["lever"],
            "label": [LEVER_LABELS[g] for g in levers["lever"]],
            "recovered": -levers["amount"] * k,
            "ci_low": -levers["ci_high"].astype(float) * k,
            "ci_high": -levers["ci_low"].astype(float) * k,
        }
    ).sort_values("recovered", ascending=False, kind="stable", ignore_index=True)


def _things(changes: dict[str, Any]) -> str:
    return ", ".join(f"{n} = {v}" for n, v in changes.items())


@dataclass
class Optimisation:
    """The outcome of `alignsim.optimise` (money in `currency` a year)."""

    scenario: str
    currency: str
    objective: str
    meaning: str
    unit: str
    """What an objective value is counted in: "EUR a year, gross profit on lifetime value"."""
    chosen: str
    """Why this objective: "given", or "the default: the scenario has [economics]"."""
    recover: float
    method: str
    """"grid" (every candidate screened) or "tpe" (Optuna's TPE sampler proposed them)."""
    space_size: int
    evaluated: int
    """Candidates screened (played on the first rung's replications)."""
    played: int
    """Policy runs played by this call (fewer when resumed)."""
    refused: dict[str, int]
    rungs: tuple[int, ...]
    final_replications: int
    seed: int
    from_policy: str
    baseline: str
    loss: dict[str, float]
    """The loss to recover: baseline minus `from` revenue, on the fresh replications."""
    ranking: list[dict[str, Any]]
    next_worse: float
    zone: float
    pareto: pd.DataFrame = field(repr=False)
    by_lever: pd.DataFrame = field(repr=False)

    @property
    def best(self) -> dict[str, Any]:
        return self.ranking[0]

    @property
    def recovered_column(self) -> str:
        """The Pareto front's column of what a candidate recovers (bookings or gross profit)."""
        return next(c for c in RECOVERED.values() if c in self.pareto.columns)

    def summary(self) -> str:
        """One line: what to do, what it recovers, what it costs, how sure the choice is."""
        best, c = self.best, self.currency
        changes = best["changes"]
        count = _WORDS[len(changes)] if len(changes) < len(_WORDS) else str(len(changes))
        if changes:
            what = f"do {'this one thing' if len(changes) == 1 else f'these {count} things'}: {_things(changes)}; they"
        else:
            what = f"keep {self.from_policy} as it is; it"
        share = best["recovered_share"]
        line = (
            f"{what} recover {share['mean']:.0%} ({100 * share['ci_low']:.0f}-"
            f"{100 * share['ci_high']:.0f}%) "
            f"of the loss for {money(best['programme_cost'], c)} a year"
        )
        if self.objective == "profit":
            net = best["objective"]
            line += (
                f", {money(net['mean'], c)} ({money(net['ci_low'], c)} to "
                f"{money(net['ci_high'], c)}) a year more gross profit on lifetime value "
                "net of that cost"
            )
        if len(self.ranking) > 1:
            other = self.ranking[1]["levers"]
            differ = {n: v for n, v in other.items() if best["levers"][n] != v}
            line += (
                f"; the next best option ({_things(differ)}) is worse with probability "
                f"{self.next_worse:.2f}"
            )
        return line

    def policy_toml(self, name: str = "optimised") -> str:
        """The chosen policy as a table ready to paste into the scenario."""
        return tomli_w.dumps({"policies": {name: self.best["policy"]}})

    def to_json(self) -> dict[str, Any]:
        """The JSON of `alignsim optimise --json`."""
        return {
            "scenario": self.scenario,
            "objective": self.objective,
            "objective_meaning": self.meaning,
            "objective_unit": self.unit,
            "objective_chosen": self.chosen,
            "recover": self.recover,
            "unit": f"{self.currency} per year",
            "currency": self.currency,
            "from": self.from_policy,
            "baseline": self.baseline,
            "search": self.method,
            "space_size": self.space_size,
            "evaluated": self.evaluated,
            "refused": self.refused,
            "replications": {"rungs": list(self.rungs), "final": self.final_replications},
            "seed": self.seed,
            "loss": self.loss,
            "best": self.best,
            "prob_best": [r["prob_best"] for r in self.ranking],
            "next_best_worse_probability": None if np.isnan(self.next_worse) else self.next_worse,
            "indifference": self.zone,
            "ranking": self.ranking,
            "by_lever": self.by_lever.to_dict(orient="records"),
            "pareto": self.pareto[self.pareto["pareto"]]
            .drop(columns="pareto")
            .to_dict(orient="records"),
            "summary": self.summary(),
        }

    def write(self, folder: Path) -> None:
        """optimise.json, policy.toml and candidates.csv (every screened candidate, for the
        Pareto plot) in the folder, each written whole."""
        import json

        text = json.dumps(self.to_json(), indent=2, allow_nan=False) + "\n"
        atomic_write(folder / "optimise.json", lambda p: p.write_text(text, encoding="utf-8"))
        toml = self.policy_toml()
        atomic_write(folder / "policy.toml", lambda p: p.write_text(toml, encoding="utf-8"))
        atomic_write(folder / "candidates.csv", lambda p: self.pareto.to_csv(p, index=False))


def _from_json(data: dict[str, Any], pareto: pd.DataFrame) -> Optimisation:
    """The Optimisation `to_json` wrote (KeyError or TypeError when a field is missing)."""
    worse = data["next_best_worse_probability"]
    return Optimisation(
        scenario=data["scenario"],
        currency=data["currency"],
        objective=data["objective"],
        meaning=data["objective_meaning"],
        unit=data["objective_unit"],
        chosen=data["objective_chosen"],
        recover=float(data["recover"]),
        method=data["search"],
        space_size=int(data["space_size"]),
        evaluated=int(data["evaluated"]),
        played=0,
        refused=dict(data["refused"]),
        rungs=tuple(data["replications"]["rungs"]),
        final_replications=int(data["replications"]["final"]),
        seed=int(data["seed"]),
        from_policy=data["from"],
        baseline=data["baseline"],
        loss=dict(data["loss"]),
        ranking=list(data["ranking"]),
        next_worse=float("nan") if worse is None else float(worse),
        zone=float(data["indifference"]),
        pareto=pareto,
        by_lever=pd.DataFrame(
            data["by_lever"], columns=["lever", "label", "recovered", "ci_low", "ci_high"]
        ),
    )


def read_optimisation(folder: str | Path) -> Optimisation:
    """The result `alignsim optimise --out DIR` wrote to DIR (optimise.json, candidates.csv);
    `played` is 0. Raises ValueError, in one sentence, for a folder that holds no readable
    result."""
    import json

    folder = Path(folder)
    path = folder / "optimise.json"
    if not path.is_file():
        raise ValueError(f"{folder} holds no optimise.json: run alignsim optimise --out {folder}")
    try:
        result = _from_json(json.loads(path.read_text(encoding="utf-8")), pd.DataFrame())
        result.summary()
        frame = pd.read_csv(folder / "candidates.csv", float_precision="round_trip")
        if "programme_cost" not in frame.columns or not set(RECOVERED.values()) & set(frame):
            raise KeyError("candidates.csv has no programme_cost or recovered column")
        result.pareto = frame.astype({"pareto": bool})
    except OSError as error:
        raise ValueError(f"{folder}: cannot read {error.filename} ({error.strerror})") from None
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
        raise ValueError(
            f"{path} is not the result of alignsim optimise ({type(error).__name__}: {error})"
        ) from None
    return result
