"""What every run of a batch shares, checked once before any run starts.

`prepare` reads the scenario document, finds each uncertain input's value in it, decides how a
drawn value is written back (a whole number, a number, a duration, a rate), and validates the
scenario with each input at the lowest and at the highest value a run can draw. So a path that
does not exist, a value that is not a number, or a range the scenario refuses (a chance above 1,
a negative duration) is one sentence naming the file and the input, before any run.

A run's scenario is then the document with the drawn values written in, validated once
(`Setup.scenario_for`); without uncertain inputs every run plays the base scenario itself.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import ValidationError

from alignsim.engines import DEFAULT_ENGINE
from alignsim.scenario import Scenario, ScenarioError, validate
from alignsim.scenario.paths import Segment, format_path, lookup, parse_path, replaced
from alignsim.scenario.uncertainty import Uncertainty
from alignsim.units import parse_duration, parse_rate

__all__ = ["Setup", "pick_pair", "prepare"]

_KIND_OF_WRITER = {"int": "number", "float": "number", "duration": "duration", "rate": "rate"}
_EXAMPLE = {
    "number": "plain numbers",
    "duration": 'durations like "3d"',
    "rate": 'rates like "90/week"',
}


@dataclass(frozen=True)
class Setup:
    """A batch's scenario, its pair of policies and where each uncertain input is written.

    `document` is the scenario file's document without its [uncertainty] table (None when
    there are no uncertain inputs: every run then plays `base`). `writers` says how each input's
    value is written into it: "int" (rounded to a whole number), "float", "duration" (hours),
    "rate" (per hour).
    """

    label: str
    base: Scenario
    document: dict[str, Any] | None
    paths: tuple[tuple[Segment, ...], ...]
    writers: tuple[str, ...]
    baseline: str
    policy: str
    seed: int
    horizon: float | None
    engine: str

    @property
    def uncertainty(self) -> Uncertainty | None:
        return self.base.uncertainty

    @property
    def names(self) -> list[str]:
        """The uncertain inputs' paths (the run table's input columns)."""
        return [format_path(p) for p in self.paths]

    def played(self, values: np.ndarray) -> np.ndarray:
        """The drawn values as runs play them: whole-number fields rounded (half up)."""
        out = np.array(values, dtype=float, copy=True)
        for k, writer in enumerate(self.writers):
            if writer == "int":
                out[:, k] = np.floor(out[:, k] + 0.5)
        return out

    def scenario_for(self, values: np.ndarray, run: int | None = None) -> Scenario:
        """The scenario one run plays, with its (played) values written in and validated."""
        if self.document is None:
            return self.base
        doc = _written(self.document, self.paths, self.writers, values)
        try:
            # The rest of the document passed `validate` and drawn values are finite numbers,
            # so the schema alone decides; `validate` words the problems when it refuses.
            return Scenario.model_validate(doc)
        except ValidationError:
            pass
        try:
            return validate(doc, self.label)
        except ScenarioError as error:
            where = f"run {run}" if run is not None else "these values"
            laws = self.uncertainty.laws if self.uncertainty is not None else []
            shown = ", ".join(
                f"{name} = {_shown(value, law.unit.scale, writer, law.unit.name)}"
                for name, value, law, writer in zip(
                    self.names, values, laws, self.writers, strict=True
                )
            )
            raise ScenarioError(
                [
                    f"{self.label}: {where} ({shown}) makes the scenario invalid: "
                    f"{p.removeprefix(f'{self.label}: ')}"
                    for p in error.problems
                ]
            ) from None


def _format(value: float, writer: str) -> Any:
    if writer == "int":
        return int(np.floor(value + 0.5))
    if writer == "float":
        return float(value)
    text = np.format_float_positional(float(value), trim="-")
    return f"{text}h" if writer == "duration" else f"{text}/hour"


def _written(
    document: Mapping[str, Any],
    paths: tuple[tuple[Segment, ...], ...],
    writers: tuple[str, ...],
    values: np.ndarray,
) -> dict[str, Any]:
    doc = dict(document)
    for parts, writer, value in zip(paths, writers, values, strict=True):
        doc = replaced(doc, parts, _format(float(value), writer))
    return doc


def pick_pair(scenario: Scenario, baseline: str | None, policy: str | None) -> tuple[str, str]:
    """The baseline (default: the scenario's) and the policy (default: the first other one)."""
    base = scenario.baseline_policy if baseline is None else baseline
    if policy is None:
        others = [name for name in scenario.policies if name != base]
        policy = others[0] if others else base
    for role, name in (("baseline", base), ("policy", policy)):
        if name not in scenario.policies:
            raise ValueError(
                f"{role}: scenario {scenario.name!r} has no policy {name!r}; "
                f"it has {', '.join(scenario.policies)}"
            )
    return base, policy


def _writer(node: Any) -> str | None:
    """How a drawn value is written where `node` is, or None if it is not a numeric value."""
    if isinstance(node, bool):
        return None
    if isinstance(node, int):
        return "int"
    if isinstance(node, float):
        return "float"
    if isinstance(node, str):
        for writer, parse in (("duration", parse_duration), ("rate", parse_rate)):
            try:
                parse(node)
            except ValueError:
                continue
            return writer
    return None


def _is_whole_number_field(document: dict[str, Any], parts: tuple[Segment, ...], node: int) -> bool:
    """True when the schema takes only whole numbers here (probed with node + 0.5)."""
    try:
        Scenario.model_validate(replaced(document, parts, node + 0.5))
    except ValidationError as error:
        return any(e["type"] == "int_from_float" for e in error.errors())
    return False


def _shown(value: float, unit_scale: float, writer: str, unit_name: str) -> str:
    shown = value * unit_scale
    if writer == "rate":
        return f"{shown:g}/{unit_name}"
    if writer == "duration":
        return f"{shown:g}{unit_name}"
    return f"{shown:g}"


def prepare(
    document: Mapping[str, Any],
    label: str,
    *,
    baseline: str | None = None,
    policy: str | None = None,
    seed: int | None = None,
    horizon: float | None = None,
    engine: str | None = None,
) -> Setup:
    """Validate a scenario document and check its uncertain inputs against it.

    Raises ScenarioError (one line per problem, each naming `label` and the input) or
    ValueError for an unknown baseline or policy.
    """
    base = validate(document, label)
    pair = pick_pair(base, baseline, policy)
    engine = DEFAULT_ENGINE if engine is None else engine
    root = base.seed if seed is None else int(seed)
    common = {"baseline": pair[0], "policy": pair[1], "seed": root, "horizon": horizon}
    if base.uncertainty is None:
        return Setup(label, base, None, (), (), engine=engine, **common)  # type: ignore[arg-type]
    doc = {k: copy.deepcopy(v) for k, v in document.items() if k != "uncertainty"}
    problems: list[str] = []
    paths: list[tuple[Segment, ...]] = []
    writers: list[str] = []
    for name, law in zip(base.uncertainty.names, base.uncertainty.laws, strict=True):
        where = f'{label}: uncertainty."{name}"'
        parts = parse_path(name)
        try:
            node = lookup(doc, parts)
        except LookupError as error:
            problems.append(f"{where}: {error}")
            continue
        writer = _writer(node)
        if writer is None:
            problems.append(
                f"{where}: the scenario's value there is not a number, a duration or a rate "
                f"(got {node!r})"
                if not isinstance(node, dict | list)
                else f"{where}: the scenario has a {'table' if isinstance(node, dict) else 'list'} "
                "there, not a number; name one of its values"
            )
            continue
        kind = _KIND_OF_WRITER[writer]
        if law.unit.kind != kind:
            problems.append(
                f"{where}: the scenario's value there is {node!r}; write the law's parameters "
                f"as {_EXAMPLE[kind]}"
            )
            continue
        if writer == "int" and not _is_whole_number_field(doc, parts, node):
            writer = "float"
        paths.append(parts)
        writers.append(writer)
    if problems:
        raise ScenarioError(problems)
    setup = Setup(label, base, doc, tuple(paths), tuple(writers), engine=engine, **common)  # type: ignore[arg-type]
    base_values = np.array([_read(lookup(doc, p), w) for p, w in zip(paths, writers, strict=True)])
    for k, law in enumerate(base.uncertainty.laws):
        for end, value in zip(("lowest", "highest"), law.bounds(), strict=True):
            values = base_values.copy()
            values[k] = value
            values = setup.played(values[None, :])[0]
            try:
                validate(_written(doc, setup.paths, setup.writers, values), label)
            except ScenarioError as error:
                shown = _shown(values[k], law.unit.scale, writers[k], law.unit.name)
                first = error.problems[0].removeprefix(f"{label}: ")
                problems.append(
                    f'{label}: uncertainty."{setup.names[k]}": at its {end} draw ({shown}) the '
                    f"scenario is invalid: {first}"
                )
                break
    if problems:
        raise ScenarioError(problems)
    return setup


def _read(node: Any, writer: str) -> float:
    if writer == "duration":
        return parse_duration(node)
    if writer == "rate":
        return parse_rate(node)
    return float(node)
