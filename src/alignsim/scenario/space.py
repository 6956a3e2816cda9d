"""The search space of an `[optimise]` table, checked against the scenario's policies.

A candidate is one value per lever (a `key`: the index of each lever's value). Its policy is
the `from` policy's document with each lever's fields written in (paths in the one dialect of
alignsim.scenario.paths, relative to the policy; missing tables are created), validated by the
policy schema. `Space.of` fails fast: a path the policy schema does not have, a value the
schema refuses on its own or at the space's corners (every lever at its first or its last
value) is one sentence naming the field. Other candidates are validated when first asked for
(`Space.policy`); one the schema refuses there raises ValueError.

Loading a scenario checks the table's shape only: a file that `extends` another inherits its
[optimise] table, which may name policies the file replaced. `alignsim validate` and
`alignsim optimise` check the space (`check`).
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from alignsim.scenario.errors import ScenarioError, problems
from alignsim.scenario.models import Policy, Scenario
from alignsim.scenario.paths import Segment, format_path, parse_path
from alignsim.scenario.search import Optimise

__all__ = ["Space", "check", "field_exists"]

MAX_CORNERS = 10
"""With more levers than this, only the two extreme corners are checked up front."""


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model a field holds (through Optional and Annotated), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_of(arg)
        if found is not None:
            return found
    origin = getattr(annotation, "__origin__", None)
    return _model_of(origin) if origin is not None and origin is not annotation else None


def field_exists(parts: tuple[Segment, ...]) -> str | None:
    """None when `parts` names a field of a policy, else a sentence saying why not."""
    model: type[BaseModel] | None = Policy
    for depth, part in enumerate(parts):
        where = format_path(parts[:depth]) or "a policy"
        if model is None or not isinstance(part, str):
            return f"{where} has no field {part!r}"
        if part not in model.model_fields:
            return f"{where} has no field {part!r} (it has {', '.join(model.model_fields)})"
        model = _model_of(model.model_fields[part].annotation)
    return None


def _refusal(error: ValidationError, doc: dict[str, Any]) -> str:
    """The first problem of a refused policy document: "sla.max_attempts: at least 1"."""
    return problems("@", error, doc)[0].removeprefix("@: ")


def _written(doc: dict[str, Any], parts: tuple[Segment, ...], value: Any) -> None:
    """Write `value` at `parts` in a policy document, creating missing tables."""
    node = doc
    for part in parts[:-1]:
        child = node.get(part)  # type: ignore[call-overload]
        if not isinstance(child, dict):
            child = {}
            node[part] = child  # type: ignore[index]
        node = child
    node[parts[-1]] = value  # type: ignore[index]


@dataclass(frozen=True)
class Space:
    """The candidates of an `[optimise]` table on its scenario."""

    scenario: Scenario
    table: Optimise
    document: dict[str, Any]
    """The `from` policy's document as written."""
    names: tuple[str, ...]
    choices: tuple[tuple[Any, ...], ...]
    settings: tuple[tuple[tuple[tuple[tuple[Segment, ...], Any], ...], ...], ...]
    """Per lever, per value: the (path, field value) pairs it writes."""
    from_costs: tuple[float, ...]
    """Per lever: the yearly cost of the `from` policy's value (0 when it is no value)."""
    from_choice: tuple[int | None, ...] = ()
    """Per lever: the index of the value the `from` policy has (None: none of them)."""
    _cache: dict[tuple[int, ...], Policy] = field(default_factory=dict, compare=False)

    @property
    def size(self) -> int:
        return math.prod(len(c) for c in self.choices)

    def candidates(self) -> itertools.product[tuple[int, ...]]:
        """Every candidate's key, in order (the last lever turning fastest)."""
        return itertools.product(*(range(len(c)) for c in self.choices))

    def changes(self, key: tuple[int, ...]) -> dict[str, Any]:
        """The levers whose value in the candidate is not the `from` policy's, with the value."""
        return {
            n: c[k]
            for n, c, k, f in zip(self.names, self.choices, key, self.from_choice, strict=True)
            if k != f
        }

    def values(self, key: tuple[int, ...]) -> dict[str, Any]:
        """The candidate's value of each lever, by lever name."""
        return {n: c[k] for n, c, k in zip(self.names, self.choices, key, strict=True)}

    def policy_document(self, key: tuple[int, ...]) -> dict[str, Any]:
        """The candidate's policy table, as a scenario file writes it."""
        doc = copy.deepcopy(self.document)
        for lever, k in enumerate(key):
            for parts, value in self.settings[lever][k]:
                _written(doc, parts, copy.deepcopy(value))
        doc["description"] = "optimised: " + ", ".join(
            f"{n} = {v}" for n, v in self.values(key).items()
        )
        return doc

    def policy(self, key: tuple[int, ...]) -> Policy:
        """The candidate's validated policy; ValueError (one sentence) if the schema refuses it."""
        if key not in self._cache:
            try:
                self._cache[key] = Policy.model_validate(self.policy_document(key))
            except ValidationError as error:
                raise ValueError(
                    f"optimise: the candidate {self.values(key)} is refused by the policy "
                    f"schema: {_refusal(error, self.policy_document(key))}"
                ) from None
        return self._cache[key]

    def reps(self, key: tuple[int, ...]) -> int:
        """The candidate's reps (its team override's, else the scenario's)."""
        team = self.policy(key).team
        return team.reps if team is not None and team.reps is not None else self.scenario.team.reps

    def cost(self, key: tuple[int, ...]) -> float:
        """Programme cost a year beyond the `from` policy: extra reps and the levers' costs."""
        from_team = self.scenario.team_for(self.table.from_).reps
        total = self.table.cost_per_rep * (self.reps(key) - from_team)
        for lever, (name, k) in enumerate(zip(self.names, key, strict=True)):
            total += self.table.levers[name].yearly_cost(self.choices[lever][k])
            total -= self.from_costs[lever]
        return float(total)

    @classmethod
    def of(cls, scenario: Scenario, document: Mapping[str, Any]) -> Space:
        """The space of the scenario's `[optimise]` table; ValueError names the field at fault."""
        table = scenario.optimise
        if table is None:
            raise ValueError("the scenario has no [optimise] table")
        for role, name in (("from", table.from_), ("baseline", table.baseline)):
            if name is not None and name not in scenario.policies:
                raise ValueError(
                    f"optimise.{role}: no policy {name!r} (the scenario has "
                    f"{', '.join(scenario.policies)})"
                )
        policy_doc = copy.deepcopy(dict(document["policies"][table.from_]))
        settings = []
        for name, lever in table.levers.items():
            at = f"optimise.levers.{name}"
            if lever.path is not None:
                writes = [{lever.path: v} for v in lever.choices]
            else:
                assert lever.set is not None
                writes = [lever.set[str(v)] for v in lever.choices]
            per_value = []
            for written in writes:
                pairs = []
                for text, value in written.items():
                    parts = parse_path(text)
                    why = field_exists(parts)
                    if why is not None:
                        where = f"{at}.path" if lever.path is not None else f"{at}.set"
                        raise ValueError(f"{where}: {text!r} is no field of a policy: {why}")
                    pairs.append((parts, value))
                per_value.append(tuple(pairs))
            settings.append(tuple(per_value))
        space = cls(
            scenario,
            table,
            policy_doc,
            tuple(table.levers),
            tuple(tuple(lever.choices) for lever in table.levers.values()),
            tuple(settings),
            (),
        )
        return space._checked()

    def _checked(self) -> Space:
        """Each value on its own, then the corners; the `from` value's cost of each lever."""
        start = Policy.model_validate(self.document)
        from_costs, from_choice = [], []
        for lever, name in enumerate(self.names):
            paid, chosen = 0.0, None
            for k, value in enumerate(self.choices[lever]):
                key = tuple(k if i == lever else -1 for i in range(len(self.names)))
                policy = self._alone(key, f"optimise.levers.{name}: the value {value!r}")
                if self._same(policy, start) and chosen is None:
                    paid, chosen = self.table.levers[name].yearly_cost(value), k
            from_costs.append(paid)
            from_choice.append(chosen)
        space = Space(
            self.scenario,
            self.table,
            self.document,
            self.names,
            self.choices,
            self.settings,
            tuple(from_costs),
            tuple(from_choice),
        )
        ends = [(0, len(c) - 1) for c in self.choices]
        corners = (
            itertools.product(*ends)
            if len(ends) <= MAX_CORNERS
            else [tuple(e[0] for e in ends), tuple(e[1] for e in ends)]
        )
        for key in corners:
            space.policy(tuple(key))
        return space

    def _same(self, one: Policy, other: Policy) -> bool:
        """Whether two policies play alike: equal, once each team override is resolved."""

        def resolved(policy: Policy) -> tuple[Policy, Any]:
            team = self.scenario.team
            if policy.team is not None:
                changes = {
                    n: getattr(policy.team, n)
                    for n in policy.team.model_fields_set
                    if getattr(policy.team, n) is not None
                }
                team = team.model_copy(update=changes)
            return policy.model_copy(update={"team": None, "description": ""}), team

        return resolved(one) == resolved(other)

    def single(self, lever: int, k: int) -> Policy:
        """The `from` policy with only lever `lever` set to its value k."""
        key = tuple(k if i == lever else -1 for i in range(len(self.names)))
        return self._alone(key, f"optimise.levers.{self.names[lever]}")

    def _alone(self, key: tuple[int, ...], what: str) -> Policy:
        """The `from` policy with only the levers of `key` >= 0 written in."""
        doc = copy.deepcopy(self.document)
        for lever, k in enumerate(key):
            if k >= 0:
                for parts, value in self.settings[lever][k]:
                    _written(doc, parts, copy.deepcopy(value))
        try:
            return Policy.model_validate(doc)
        except ValidationError as error:
            raise ValueError(
                f"{what} is refused by the policy schema: {_refusal(error, doc)}"
            ) from None


def check(scenario: Scenario, label: str) -> Space:
    """The scenario's search space; ScenarioError (one sentence naming the file and the
    field) when it does not suit the scenario's policies."""
    document = scenario.document()
    if document is None:
        raise ValueError(f"scenario {scenario.name!r} was changed since it was loaded")
    try:
        return Space.of(scenario, document)
    except ValueError as error:
        raise ScenarioError([f"{label}: {error}"]) from None
