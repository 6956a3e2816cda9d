"""The workshop's levers: each control on the page, its values, and the overrides it makes.

A lever changes one misalignment of the policy being played (the first policy that is not the
baseline: "current" in the shipped scenarios). A setting of all the levers becomes a tuple of
`PATH=VALUE` overrides on the raw scenario document, applied with `alignsim.apply_overrides`
and then validated, so the page's cache is keyed on plain text, a setting the schema refuses
reads like a mistake in the file, and nothing in a scenario is ever executed.

The levers and the policy fields they own:

| lever | fields of `policies.<p>` |
|---|---|
| response SLA (a target the reps work to, or none) | `sla.first_response`, `queue` |
| handoff (realtime or batch) | `handoff.mode` |
| alerts (on: reps see each new lead at once; off: at their next look) | `alerts` |
| contact attempts | `sla.max_attempts` |
| definition (shared or subjective) | `definition.marketing_noise`, `definition.sales_noise` |
| MQL bar, acceptance bar | `definition.mql_threshold`, `definition.accept_threshold` |
| rejects (discarded or nurtured) | `rejected` |
| nurture (on or off) | `nurture.enabled` (the baseline's nurture table when the policy has none) |
| cherry-picking (on or off) | `queue`, `goals.sales`, `goals.min_value` (a sales quota) |
| reps | `team.reps` |
| everything else (as in the policy, or as in the baseline) | the rest of the policy's table |

With "everything else as in the baseline" and every lever at the baseline's value, the played
policy is the baseline's table, so the revenue lost is exactly zero: the reset of the page.

Each override is written by `alignsim.overrides.format_assignment`: the path in the project's
one dotted-path dialect (a policy name that is not a bare TOML key is quoted), the value as
TOML (tomli-w).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alignsim.overrides import format_assignment, format_value
from alignsim.scenario import Scenario, ScenarioError
from alignsim.units import format_duration

__all__ = [
    "SLA_LADDER",
    "Choices",
    "Levers",
    "choices",
    "levers_of",
    "overrides",
    "sla_label",
]

Target = tuple[float, float, float]
"""A first-response target in hours for cold, warm and hot leads."""

SLA_LADDER: tuple[float, ...] = (16.0, 8.0, 4.0, 1.0, 0.25)
"""The SLA lever's stops (hours, the same for every temperature), from slow to fast; the
policies' own targets are added to them."""

HABITS = ("fifo", "lifo", "value")
"""Queue disciplines that follow no response target: what reps do without an SLA."""

SUBJECTIVE_NOISE = 0.25
"""Definition noise of subjective criteria (MODEL.md step 2, Variant B), used as the
"subjective" stop when neither policy is noisier than the other."""

LEVER_FIELDS = frozenset(
    {
        "description",
        "queue",
        "rejected",
        "definition.marketing_noise",
        "definition.sales_noise",
        "definition.mql_threshold",
        "definition.accept_threshold",
        "handoff.mode",
        "alerts",
        "sla.first_response",
        "sla.max_attempts",
        "nurture.enabled",
        "goals.sales",
        "goals.min_value",
        "team.reps",
    }
)
"""Fields of a policy that a lever sets (`description` is not a decision)."""


@dataclass(frozen=True)
class Levers:
    """One setting of every control on the page (plain values, so it can key a cache)."""

    sla: Target | None
    """First-response target the reps work to (earliest deadline first); None: no target,
    reps take leads by habit (the policy's own queue, e.g. the freshest first)."""
    handoff: str
    """"realtime" (routed as they come) or "batch" (exported at clock times)."""
    alerts: bool
    """A CRM alert for each routed lead (reps see it at once), or none (reps see new leads
    when they next look at the queue, `team.inbound_checks`, or when an SLA falls due)."""
    attempts: int
    """Contact attempts before a lead is given up."""
    definition: str
    """"shared" (objective criteria, little noise) or "subjective" (much noise)."""
    mql_threshold: float
    """Marketing's bar on its view of the lead score (0 to 1)."""
    accept_threshold: float
    """Sales' bar to accept a lead (0 to 1)."""
    rejected: str
    """What happens to the leads sales rejects: "discard" or "nurture"."""
    nurture: bool
    """Whether marketing nurtures leads that are not ready yet."""
    cherry_pick: bool
    """Whether sales chases a revenue quota: its own prospects and the biggest deals first,
    one call for small marketing leads."""
    reps: int
    """Sales reps answering leads."""
    others: str
    """The policy whose table supplies every setting without a lever."""


@dataclass(frozen=True)
class Choices:
    """What the levers can take for one scenario and played policy."""

    policy: str
    """The policy the levers change."""
    baseline: str
    """The policy revenue lost is measured against."""
    sla: tuple[Target | None, ...]
    """The SLA lever's stops: None (no target) first, then from slow to fast."""
    noise: Mapping[str, tuple[float, float]]
    """(marketing, sales) definition noise of "shared" and "subjective"."""
    habit: str
    """The queue discipline without a response target."""
    max_reps: int
    """The reps slider's top."""
    min_value: float
    """Under a sales quota, marketing leads worth less get one call (the policy's own
    `goals.min_value` if it has a quota, else the baseline's, else 0)."""
    others_differ: tuple[tuple[str, str, str], ...]
    """Settings without a lever that differ: (field, the policy's value, the baseline's)."""
    run: tuple[str, str] = ("auto", "auto")
    """The scenario's warm-up and settle time as written for `--set` (e.g. "42w"): every
    setting is played over the scenario's own run, so the levers stay on the same leads
    (an auto settle time would otherwise follow the attempts lever)."""


def sla_label(target: Target | None) -> str:
    """How the SLA lever shows a stop: "none", "4h" or "hot 15m · warm 1h · cold 4h"."""
    if target is None:
        return "none"
    cold, warm, hot = target
    if cold == warm == hot:
        return format_duration(cold)
    return (
        f"hot {format_duration(hot)} · warm {format_duration(warm)} · cold {format_duration(cold)}"
    )


def _target(scenario: Scenario, name: str) -> Target | None:
    policy = scenario.policies[name]
    if policy.discipline != "sla":
        return None
    cold, warm, hot = (float(h) for h in policy.sla.target_hours())
    return (cold, warm, hot)


def _fields(mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> list[str]:
    """Dotted names of the fields two policy dumps disagree on: a sub-table's fields one by
    one, a table only one of them has (or a distribution) as one field."""
    out = []
    for key in dict.fromkeys([*mine, *theirs]):
        a, b = mine.get(key), theirs.get(key)
        if a == b:
            continue
        if isinstance(a, Mapping) and isinstance(b, Mapping) and "dist" not in a:
            out += [f"{key}.{k}" for k in dict.fromkeys([*a, *b]) if a.get(k) != b.get(k)]
        else:
            out.append(key)
    return out


def _shown(doc_policy: Mapping[str, Any], dump: Mapping[str, Any], field: str) -> str:
    """A field of a policy as its file writes it ("2d"), else "not set" or "default"."""
    node: Any = doc_policy
    for key in field.split("."):
        if not isinstance(node, Mapping) or key not in node:
            value: Any = dump
            for part in field.split("."):
                value = value.get(part) if isinstance(value, Mapping) else None
            return "not set" if value is None else "default"
        node = node[key]
    return format_value(node).strip('"')


def _others_differ(
    doc: Mapping[str, Any], scenario: Scenario, policy: str, baseline: str
) -> tuple[tuple[str, str, str], ...]:
    mine = scenario.policies[policy].model_dump(mode="json")
    theirs = scenario.policies[baseline].model_dump(mode="json")
    fields = [f for f in _fields(mine, theirs) if f not in LEVER_FIELDS]
    policies = doc["policies"]
    return tuple(
        (f, _shown(policies[policy], mine, f), _shown(policies[baseline], theirs, f))
        for f in fields
    )


def choices(doc: Mapping[str, Any], scenario: Scenario, policy: str, label: str) -> Choices:
    """The levers' stops for `policy` of a validated scenario whose raw document is `doc`.

    Raises ScenarioError (one sentence, naming `label`) when the policy cannot be played.
    """
    base = scenario.baseline_policy
    if policy == base:
        raise ScenarioError(
            [f"{label}: {policy!r} is the baseline; choose a policy to compare with it"]
        )
    stops: list[Target | None] = [(h, h, h) for h in SLA_LADDER]
    for name in (policy, base):
        target = _target(scenario, name)
        if target is not None and target not in stops:
            stops.append(target)
    stops.sort(key=lambda t: -sum(t) if t is not None else 0.0)
    habit = next(
        (
            scenario.policies[n].queue
            for n in (policy, base)
            if scenario.policies[n].queue in HABITS
        ),
        "fifo",
    )
    mine, theirs = (scenario.policies[n].definition for n in (policy, base))
    shared = (
        min(mine.marketing_noise, theirs.marketing_noise),
        min(mine.sales_noise, theirs.sales_noise),
    )
    subjective = (
        max(mine.marketing_noise, theirs.marketing_noise),
        max(mine.sales_noise, theirs.sales_noise),
    )
    if subjective == shared:
        subjective = (max(SUBJECTIVE_NOISE, 2 * shared[0]), max(SUBJECTIVE_NOISE, 2 * shared[1]))
    reps = max(scenario.team_for(n).reps for n in scenario.policies)
    quotas = [scenario.policies[n].goals for n in (policy, base)]
    min_value = next((g.min_value for g in quotas if g.sales == "quota"), 0.0)
    return Choices(
        policy=policy,
        baseline=base,
        sla=(None, *stops),
        noise={"shared": shared, "subjective": subjective},
        habit=habit,
        max_reps=max(12, 3 * reps),
        min_value=min_value,
        others_differ=_others_differ(doc, scenario, policy, base),
        run=(format_duration(scenario.warmup_hours()), format_duration(scenario.settle_hours())),
    )


def levers_of(scenario: Scenario, options: Choices, name: str) -> Levers:
    """The levers as policy `name` of the scenario sets them (name: the played policy or the
    baseline; the baseline's levers are the page's reset)."""
    policy = scenario.policies[name]
    d = policy.definition
    pair = (d.marketing_noise, d.sales_noise)
    shared = options.noise["shared"]
    return Levers(
        sla=_target(scenario, name),
        handoff=policy.handoff.mode,
        alerts=policy.alerts,
        attempts=policy.sla.max_attempts,
        definition="subjective" if sum(pair) > sum(shared) else "shared",
        mql_threshold=d.mql_threshold,
        accept_threshold=d.accept_threshold,
        rejected=policy.rejected if policy.nurtures else "discard",
        nurture=policy.nurtures,
        cherry_pick=policy.discipline == "cherry-pick",
        reps=scenario.team_for(name).reps,
        others=name,
    )


def _same(a: Any, b: Any) -> bool:
    """Equal as TOML values (8000 and 8000.0 are; true and 1 are not)."""
    return a == b and isinstance(a, bool) == isinstance(b, bool)


class _Writer:
    """Collects `PATH=VALUE` overrides, tracking the document they change so that a table the
    document lacks is written whole and a value already there is not written again."""

    def __init__(self, doc: Mapping[str, Any], prefix: list[str]) -> None:
        self.doc = copy.deepcopy(dict(doc))
        self.prefix = prefix
        self.items: list[str] = []

    def get(self, path: str) -> Any:
        node: Any = self.doc
        for key in [*self.prefix, *path.split(".")]:
            if not isinstance(node, Mapping) or key not in node:
                return None
            node = node[key]
        return node

    def set(self, path: str, value: Any, default: Any = None) -> None:
        """Write `value` at `path`; nothing when it is there already, or when the field is
        absent and `value` is the schema's `default` for it."""
        if default is not None and value == default and self.get(path) is None:
            return
        keys = [*self.prefix, *path.split(".")]
        node: dict[str, Any] = self.doc
        for depth, key in enumerate(keys[:-1]):
            if not isinstance(node.get(key), dict):
                rest: Any = value
                for inner in reversed(keys[depth + 1 :]):
                    rest = {inner: rest}
                node[key] = rest
                self.items.append(format_assignment(tuple(keys[: depth + 1]), rest))
                return
            node = node[key]
        if keys[-1] in node and _same(node[keys[-1]], value):
            return
        node[keys[-1]] = copy.deepcopy(value)
        self.items.append(format_assignment(tuple(keys), value))


def overrides(doc: Mapping[str, Any], options: Choices, levers: Levers) -> tuple[str, ...]:
    """The `PATH=VALUE` overrides that make the played policy of `doc` what `levers` say."""
    p, base = options.policy, options.baseline
    policies = doc["policies"]
    out = _Writer(doc, ["policies", p])
    if levers.others != p:
        table = copy.deepcopy(policies[levers.others])
        out.doc["policies"][p] = table
        out.items.append(format_assignment(("policies", p), table))
    if levers.cherry_pick:
        out.set("queue", "cherry-pick")
        out.set("goals.sales", "quota")
        out.set("goals.min_value", float(options.min_value), 0.0)
    else:
        out.set("queue", "sla" if levers.sla is not None else options.habit, "fifo")
        if out.get("goals.sales") == "quota":
            out.set("goals.sales", "none")
    if levers.sla is not None:
        cold, warm, hot = (format_duration(h) for h in levers.sla)
        same = cold == warm == hot
        out.set("sla.first_response", cold if same else {"hot": hot, "warm": warm, "cold": cold})
    out.set("handoff.mode", levers.handoff, "realtime")
    out.set("alerts", bool(levers.alerts), False)
    out.set("sla.max_attempts", int(levers.attempts), 1)
    marketing, sales = options.noise[levers.definition]
    out.set("definition.marketing_noise", float(marketing))
    out.set("definition.sales_noise", float(sales))
    out.set("definition.mql_threshold", round(float(levers.mql_threshold), 4))
    out.set("definition.accept_threshold", round(float(levers.accept_threshold), 4))
    if levers.nurture:
        if isinstance(out.get("nurture"), Mapping):
            out.set("nurture.enabled", True, True)
        else:
            table = copy.deepcopy(policies[base].get("nurture") or {})
            table["enabled"] = True
            out.set("nurture", table)
    elif isinstance(out.get("nurture"), Mapping):
        out.set("nurture.enabled", False)
    out.set("rejected", levers.rejected if levers.nurture else "discard", "discard")
    out.set("team.reps", int(levers.reps), doc["team"]["reps"])
    warmup, settle = options.run
    return (*out.items, f"warmup={warmup}", f"settle={settle}")
