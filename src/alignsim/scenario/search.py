"""The `[optimise]` table: the levers a team may change and what each costs (issue 18).

    [optimise]
    from = "current"           # the policy improved (default "current")
    baseline = "aligned"       # the loss is measured against it (default: the scenario's)
    cost_per_rep = 65000       # a year, per rep beyond the `from` policy's team
    max_reps = 8
    budget = 250000            # programme cost a year, at most
    recover = 0.8              # share of the loss the `cost` objective must recover

    [optimise.levers.reps]
    path = "team.reps"                     # a dotted path into policies.<from>
    values = { low = 3, high = 8 }         # or a list: ["batch", "realtime"]

    [optimise.levers.sla]
    path = "sla.first_response"
    values = ["15m", "1h", "4h", "8h"]
    cost = { "15m" = 20000, "1h" = 10000 } # a year, per value (or a number: per unit)

    [optimise.levers.nurture]              # a lever that sets several fields at once
    values = ["off", "on"]
    set.on = { rejected = "nurture", "nurture.enabled" = true }
    set.off = {}                           # an empty table: the `from` policy's fields

This module holds the table's shape; whether its paths and values suit the scenario's
policies is checked by alignsim.scenario.space when the scenario is validated.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from alignsim.distributions import StrictModel
from alignsim.scenario.paths import parse_path

__all__ = ["MAX_LEVER_VALUES", "IntRange", "Lever", "Optimise"]

MAX_LEVER_VALUES = 1000
"""Most values one lever may take."""


class IntRange(StrictModel):
    """Every whole number from low to high, both included."""

    low: int
    high: int

    @model_validator(mode="after")
    def _ordered(self) -> IntRange:
        if self.high < self.low:
            raise ValueError(f"the space is empty: high ({self.high}) is below low ({self.low})")
        if self.high - self.low + 1 > MAX_LEVER_VALUES:
            raise ValueError(f"at most {MAX_LEVER_VALUES} values per lever")
        return self


class Lever(StrictModel):
    """One lever: a field of the policy (`path`) or a few fields at once (`set`), the values
    it may take, and the yearly cost of each value (`cost`: a table by value as written, or a
    number: the cost per unit of a numeric value). Costs count against the `from` policy's
    value of the lever: a value costs cost(value) - cost(from's value)."""

    path: str | None = Field(None, description='A dotted path into the policy, e.g. "team.reps".')
    values: list[Any] | IntRange | None = Field(
        None, description="The values: a list, or { low = 3, high = 8 } (every whole number)."
    )
    set: dict[str, dict[str, Any]] | None = Field(
        None,
        description="Named values that set several fields: value -> { path = field value }.",
    )
    cost: float | dict[str, float] | None = Field(
        None, description="Yearly cost: per value (a table by value) or per unit (a number)."
    )

    @model_validator(mode="after")
    def _shape(self) -> Lever:
        if (self.path is None) == (self.set is None):
            raise ValueError("give a lever either a path or a set of named values (not both)")
        if self.path is not None:
            parse_path(self.path)
            if self.values is None:
                raise ValueError("a lever with a path needs its values")
        else:
            assert self.set is not None
            for settings in self.set.values():
                for key in settings:
                    parse_path(key)
            missing = [v for v in self.choices if str(v) not in self.set]
            if missing:
                raise ValueError(f"value {missing[0]!r} has no entry in set")
        if not self.choices:
            raise ValueError("the space is empty: this lever has no values")
        if len(self.choices) > MAX_LEVER_VALUES:
            raise ValueError(f"at most {MAX_LEVER_VALUES} values per lever")
        if len({str(v) for v in self.choices}) != len(self.choices):
            raise ValueError("a lever's values must differ")
        if isinstance(self.cost, float | int):
            odd = [v for v in self.choices if isinstance(v, bool) or not isinstance(v, int | float)]
            if odd:
                raise ValueError(
                    f"a cost per unit needs numeric values (got {odd[0]!r}); give a table of "
                    "costs by value instead"
                )
        elif isinstance(self.cost, dict):
            unknown = [k for k in self.cost if k not in {str(v) for v in self.choices}]
            if unknown:
                raise ValueError(
                    f"the cost table names {unknown[0]!r}, which is not one of the values"
                )
        return self

    @property
    def choices(self) -> list[Any]:
        """The values, in order (a range's from low to high; a set's in the table's order)."""
        if isinstance(self.values, IntRange):
            return list(range(self.values.low, self.values.high + 1))
        if self.values is None:
            return list(self.set or {})
        return list(self.values)

    def yearly_cost(self, value: Any) -> float:
        """The cost a year of taking `value` (before subtracting the `from` value's)."""
        if self.cost is None:
            return 0.0
        if isinstance(self.cost, dict):
            return float(self.cost.get(str(value), 0.0))
        return float(self.cost) * float(value)


class Optimise(StrictModel):
    """The search space and constraints of `alignsim optimise` (see the module doc)."""

    from_: str = Field("current", alias="from", description="The policy improved.")
    baseline: str | None = Field(
        None, description="The loss is measured against it (default: the scenario's baseline)."
    )
    levers: dict[str, Lever] = Field(min_length=1)
    cost_per_rep: float = Field(0.0, ge=0, description="Yearly cost of one rep.")
    max_reps: int | None = Field(None, ge=1, description="Most reps a candidate may have.")
    budget: float | None = Field(None, ge=0, description="Most programme cost a year.")
    recover: float = Field(
        0.8, gt=0, le=1, description="Share of the loss the `cost` objective must recover."
    )
    indifference: float = Field(
        0.0, ge=0, description="Objective differences (a year) too small to matter."
    )
