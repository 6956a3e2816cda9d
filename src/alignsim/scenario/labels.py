"""What a person calls a value of a scenario: readable names for dotted paths.

An uncertain input is named by its dotted path (`market.patience.hot.components[2].mean`), which
is exact but speaks the file's language. Tables and charts a reader sees (the tornado of a
batch, its report and its terminal table) show a label instead: the input's own `label` when
the `[uncertainty]` table gives one, else `default_label(path)`, which says the path in words:

    market.win.hot[1]                        -> "Hot buyers' close rate at best fit"
    market.patience.hot.components[2].mean   -> "Hot buyers' patience, mixture component 3: mean"
    market.sources.demo_request.rate         -> "Demo request source: lead rate"
    team.reps                                -> "Sales reps"
    economics.programme.yearly               -> "Alignment programme: yearly cost"
    policies.current.sla.max_attempts        -> "Current policy: contact attempts"

Written here rather than taken from a library: the words are this model's (a fit pair, a
temperature, a mixture), which no general humaniser knows.
"""

from __future__ import annotations

from alignsim.scenario.paths import Segment, parse_path

__all__ = ["default_label"]

_WORDS = {
    "reach": "reach rate",
    "qualify": "qualify rate",
    "win": "close rate",
    "cycle": "sales cycle",
    "value": "deal value",
    "rate": "lead rate",
    "reps": "sales reps",
    "p90": "90th percentile",
    "cv": "spread (cv)",
    "weight": "share",
    "components": "mixture components",
    "cold_to_warm": "time from cold to warm",
    "warm_to_hot": "time from warm to hot",
    "contact_decay": "contact decay",
    "attempt_time": "time per attempt",
    "qualify_time": "time to qualify",
    "mql_threshold": "marketing's MQL bar",
    "accept_threshold": "sales' acceptance bar",
    "marketing_noise": "marketing's noise in judging a lead",
    "sales_noise": "sales' noise in judging a lead",
    "max_attempts": "contact attempts",
    "attempt_spacing": "wait between attempts",
    "first_response": "response target",
    "routing_delay": "routing delay",
    "every": "time between touches",
    "times": "export times",
    "max_recycles": "recycles",
    "half_life": "feedback half-life",
    "mql_target": "MQL target",
    "min_value": "smallest deal sales chases",
    "churn_cut": "churn cut",
    "gross_margin": "gross margin",
    "rep_cost": "cost of a rep a year",
    "lead_cost": "cost of a lead",
    "touch_cost": "cost of a nurture touch",
    "programme": "alignment programme",
    "yearly": "yearly cost",
    "one_off": "one-off cost",
    "discount_rate": "discount rate",
    "retention": "yearly renewal rate",
    "expansion": "yearly expansion",
    "years": "contract years",
}
"""A scenario key in words, where its own name is not plain enough."""

_CONTAINERS = {"market", "team", "economics", "definition", "sla", "goals", "handoff"}
"""Keys that only group others: a reader does not need them."""

_TEMPERATURES = {"cold", "warm", "hot"}
_FIT = {0: "at worst fit", 1: "at best fit"}
"""A [at fit 0, at fit 1] pair's ends (`market.win.hot[1]`)."""


def _word(key: str) -> str:
    return _WORDS.get(key, key.replace("_", " ").replace("-", " "))


def _indexed(word: str, index: int) -> str:
    """`components` and 2 -> "mixture component 3": the entry of a list, counted from 1."""
    single = word[:-1] if word.endswith("s") else f"{word} entry"
    return f"{single} {index + 1}"


def _subject(parts: tuple[Segment, ...]) -> tuple[str | None, tuple[Segment, ...]]:
    """Whose value it is (a temperature of buyers, a source, a policy), and the rest."""
    match parts:
        case ("market", "reach" | "qualify" | "win" as stage, str(t), int(i)) if (
            t in _TEMPERATURES and i in _FIT
        ):
            return f"{t} buyers' {_word(stage)} {_FIT[i]}", ()
        case ("market", "patience", str(t), *rest) if t in _TEMPERATURES:
            return f"{t} buyers' patience", tuple(rest)
        case ("market", "sources", str(name), *rest):
            return f"{_word(name)} source", tuple(rest)
        case ("policies", str(name), *rest):
            policy = name if name.lower().endswith("policy") else f"{name} policy"
            return policy, tuple(rest)
    return None, parts


def _phrases(parts: tuple[Segment, ...]) -> list[str]:
    """The path's keys in words, list indexes folded into the key before them."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, int):
            out[-1:] = [_indexed(out[-1], part)] if out else [f"entry {part + 1}"]
        elif part not in _CONTAINERS:
            out.append(_word(part))
    return out


def default_label(path: str) -> str:
    """A readable name for the value at a dotted path (see the module doc); never the path
    itself. A path that does not parse is returned with its punctuation turned into words."""
    try:
        parts = parse_path(path)
    except ValueError:
        return path.replace(".", " ").replace("_", " ")
    subject, rest = _subject(parts)
    phrases = _phrases(rest)
    if subject is not None:
        phrases.insert(0, subject)
    if not phrases:
        phrases = [_word(str(parts[-1]))]
    head, last = phrases[:-1], phrases[-1]
    text = f"{', '.join(head)}: {last}" if head else last
    return text[:1].upper() + text[1:]
