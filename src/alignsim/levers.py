"""Revenue lost by lever: exact Shapley values over the lever groups (MODEL.md section 6.4).

A policy differs from the baseline in a few lever groups (`GROUPS`). A coalition of groups is
the baseline with the fields of those groups taken from the policy; every coalition is played
on the same replication streams as the baseline and the policy (common random numbers). With
v(S) the revenue of coalition S over a replication and N the groups that differ, the loss of S
is v({}) - v(S), and group i's share is its Shapley value

    phi_i = sum over S in N without i of |S|! (|N| - |S| - 1)! / |N|! * (v(S) - v(S + i)),

its average marginal loss over every order of switching the groups from the baseline to the
policy. The shares of a replication add up to its loss (to the last few bits of floating point:
they are a weighted sum of differences); a group equal in both policies is no player and gets
exactly 0. With g players, 2^g - 2 coalitions are played per replication besides the two
policies. Written here because the exact Shapley value of a 2^g table is a few lines, while a
library (SHAP and the like) approximates it for models of features, not policies.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel

from alignsim import economics, metrics
from alignsim.ledger import LedgerBook
from alignsim.paired import PairedRun, Pairing
from alignsim.scenario import Policy, Scenario
from alignsim.simulation import play, play_teams_in_windows
from alignsim.stream import block_widths

__all__ = [
    "GROUPS",
    "LEVERS",
    "LEVER_LABELS",
    "MONEY_ONLY",
    "NOT_LEVERS",
    "LeverSplit",
    "coalition",
    "differing",
    "shapley",
]

LEVERS: dict[str, str] = {
    "handoff": "response",
    "sla.first_response": "response",
    "sla.measured_in": "response",
    "queue": "response",
    "alerts": "response",
    "team.inbound_checks": "response",
    "sla.max_attempts": "persistence",
    "sla.attempt_spacing": "persistence",
    "definition": "definitions",
    "feedback": "definitions",
    "nurture": "nurture",
    "rejected": "nurture",
    "goals": "goals",
    "team.reps": "staffing",
    "team.hours": "staffing",
    "team.attempt_time": "staffing",
    "team.qualify_time": "staffing",
    "team.skip_lost_leads": "staffing",
    "post_sale": "post_sale",
}
"""The lever group of every field of a policy, by dotted path (a path covers the fields under
it). Adding a policy field is one line here; tests/test_levers_split.py fails on a field no
path covers. A model validator's fields (rejected = "nurture" needs a nurture table) sit in
one group, so every coalition is a valid policy."""

MONEY_ONLY: tuple[str, ...] = ("post_sale",)
"""Lever groups that change no engine run, only the money of its won customers."""

WINDOWED_COALITIONS = 2
"""Coalitions one pass over a stream played in windows plays together (`LeverSplit.figures`):
as many as a pair, so a pass holds what the pair's run holds (each play keeps its leads in
flight, all of them on an overloaded floor, and its book's arrays for every lead), and 2^g - 2
coalitions take (2^g - 2) / 2 passes, each drawing the stream again. On `default.toml` at rates
x100 (3.4 million leads, the reps overloaded) one replication's split peaked at 11.0 GB with two
a pass; with four a pass, and a second replication's pair on the other core, at 19.5 GB."""

NOT_LEVERS: tuple[str, ...] = ("description",)
"""Policy fields that change no result."""

GROUPS: tuple[str, ...] = tuple(dict.fromkeys(LEVERS.values()))
"""The lever groups in the order tables show them: response, persistence, definitions,
nurture, goals, staffing, post_sale (which moves money only, not bookings)."""


LEVER_LABELS: dict[str, str] = {
    "response": "response (handoff, alerts, inbound checks, SLA, queue)",
    "persistence": "persistence (attempts, spacing)",
    "definitions": "definitions (noise, bars, feedback)",
    "nurture": "nurture (nurture, rejected leads)",
    "goals": "goals (MQL volume, quota)",
    "staffing": "staffing (reps, hours)",
    "post_sale": "post-sale (joint retention work)",
}
"""How tables name each lever group."""

assert set(LEVER_LABELS) == set(GROUPS)


def _get(model: Any, path: str) -> Any:
    """The field at a dotted path; None under an absent table (a policy without a team
    override changes none of the team's fields)."""
    for name in path.split("."):
        model = None if model is None else getattr(model, name)
    return model


def _replace(model: BaseModel, path: list[str], value: Any) -> BaseModel:
    """A copy of `model` with the field at `path` set to `value` (fields set stay set); an
    absent table on the way is created empty (a team override with no changes)."""
    head, *rest = path
    if rest:
        inner = getattr(model, head)
        if inner is None:
            info = type(model).model_fields[head]
            kind = next(
                k
                for k in getattr(info.annotation, "__args__", (info.annotation,))
                if isinstance(k, type) and issubclass(k, BaseModel)
            )
            inner = kind()
        value = _replace(inner, rest, value)
    return model.model_copy(update={head: value})


def differing(baseline: Policy, policy: Policy) -> tuple[str, ...]:
    """The lever groups in which `policy` differs from `baseline`, in the order of GROUPS."""
    changed = {
        group for path, group in LEVERS.items() if _get(baseline, path) != _get(policy, path)
    }
    return tuple(g for g in GROUPS if g in changed)


def coalition(baseline: Policy, policy: Policy, groups: set[str] | frozenset[str]) -> Policy:
    """The baseline with the fields of `groups` taken from `policy`."""
    out: BaseModel = baseline
    for path, group in LEVERS.items():
        if group in groups and _get(out, path) != _get(policy, path):
            out = _replace(out, path.split("."), _get(policy, path))
    assert isinstance(out, Policy)
    return out


def shapley(values: np.ndarray) -> np.ndarray:
    """Shapley values of the loss game of a table of revenues.

    values[mask] is the revenue of the coalition whose players are the set bits of mask
    (2^g entries); the loss of a coalition is values[0] - values[mask]. Returns one value
    per player; they add up to values[0] - values[-1].
    """
    g = len(values).bit_length() - 1
    if 2**g != len(values):
        raise ValueError(f"expected 2^g coalition values (got {len(values)})")
    weight = [math.factorial(s) * math.factorial(g - s - 1) / math.factorial(g) for s in range(g)]
    out = np.zeros(g)
    for i in range(g):
        bit = 1 << i
        for mask in range(len(values)):
            if not mask & bit:
                out[i] += weight[mask.bit_count()] * (values[mask] - values[mask | bit])
    return out


@dataclass(frozen=True)
class LeverSplit:
    """The coalitions of a pairing: its players and a one-policy scenario per coalition."""

    players: tuple[str, ...]
    coalitions: tuple[Scenario, ...]
    """Coalition mask -> the scenario with that coalition as its one policy "coalition" (bit i
    set: player i's fields from the policy)."""
    widths: tuple[int, int, int]
    """Stream columns (attempts, routings, scorings) the widest coalition needs."""

    @classmethod
    def of(cls, pairing: Pairing) -> LeverSplit:
        sc = pairing.scenario
        base, other = sc.policies[pairing.baseline], sc.policies[pairing.policy]
        players = differing(base, other)
        coalitions = []
        for mask in range(2 ** len(players)):
            groups = {p for i, p in enumerate(players) if mask >> i & 1}
            policy = coalition(base, other, groups)
            coalitions.append(sc.model_copy(update={"policies": {"coalition": policy}}))
        needs = [block_widths(c.policies["coalition"]) for c in coalitions]
        widths = (max(n[0] for n in needs), max(n[1] for n in needs), max(n[2] for n in needs))
        return cls(players, tuple(coalitions), widths)

    def figures(self, pairing: Pairing, paired: PairedRun) -> np.ndarray:
        """Every coalition's figures on one replication, by mask (columns; the empty and the
        full coalition are the baseline's and the policy's runs): rows revenue (bookings of the
        cohort), lifetime value and gross profit (currency over the horizon, each coalition
        with its own retention and team: alignsim.economics). The stream must be `widths`
        wide. A group of MONEY_ONLY changes no engine run, so coalitions that differ only in it
        share one play. Each play is reduced to its figures at once, so a split holds one
        coalition's book at a time, or one pass's when the pairing is played in windows
        (`Pairing.windowed`: WINDOWED_COALITIONS coalitions a pass on the replication's stream
        drawn again)."""
        top = len(self.coalitions) - 1
        drop = sum(1 << i for i, p in enumerate(self.players) if p in MONEY_ONLY)
        masks: dict[int, list[int]] = {}
        for mask in range(top + 1):
            masks.setdefault(mask & ~drop, []).append(mask)
        out = np.empty((3, top + 1))

        def reduce(key: int, book: LedgerBook) -> None:
            revenue = metrics.revenue(book)
            for mask in masks[key]:
                m = economics.policy_money(self.coalitions[mask], "coalition", book, paired.stream)
                out[:, mask] = (revenue, m.lifetime_value, m.gross_profit)

        reduce(0, paired.baseline.book)
        reduce(top & ~drop, paired.policy.book)
        missing = [key for key in masks if key not in (0, top & ~drop)]
        for key, book in self._plays(pairing, paired, missing):
            reduce(key, book)
        return out

    def shares(self, figures: np.ndarray) -> np.ndarray:
        """The players' Shapley values of each row of `figures`: revenue lost, lifetime value
        lost and gross profit lost on one replication (players as columns); each row adds up
        to the replication's loss."""
        return np.array([shapley(row) for row in figures])

    def _plays(
        self, pairing: Pairing, paired: PairedRun, keys: list[int]
    ) -> Iterator[tuple[int, LedgerBook]]:
        """(mask, book) of each coalition in `keys`, played until its cohort is done: on the
        replication's stream, or, for a pairing played in windows, in passes that draw the
        pairing's stream again (its warm-up and settle, so every lead draws what it draws for
        the pair) and play up to WINDOWED_COALITIONS coalitions each."""
        if not pairing.windowed:
            for key in keys:
                sc = self.coalitions[key]
                yield (
                    key,
                    play(sc, "coalition", paired.stream, engine=pairing.engine, cohort_only=True),
                )
            return
        for first in range(0, len(keys), WINDOWED_COALITIONS):
            batch = keys[first : first + WINDOWED_COALITIONS]
            teams = [
                (self.coalitions[k].team_for("coalition"), self.coalitions[k].policies["coalition"])
                for k in batch
            ]
            _, books = play_teams_in_windows(
                pairing.scenario,
                teams,
                pairing.seed,
                paired.replication,
                pairing.horizon,
                pairing.windows,
                widths=self.widths,
                cohort_only=True,
            )
            yield from zip(batch, books, strict=True)
