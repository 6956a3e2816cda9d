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
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel

from alignsim import economics, metrics
from alignsim.ledger import LedgerBook
from alignsim.paired import PairedRun, Pairing
from alignsim.scenario import Policy, Scenario
from alignsim.simulation import play
from alignsim.stream import LeadStream, block_widths

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

    def books(self, pairing: Pairing, paired: PairedRun) -> list[LedgerBook]:
        """Every coalition's book on one replication, by mask (the empty and the full
        coalition are the baseline's and the policy's runs); the stream must be `widths` wide.
        A group of MONEY_ONLY changes no engine run, so coalitions that differ only in it
        share one book."""
        top = len(self.coalitions) - 1
        drop = sum(1 << i for i, p in enumerate(self.players) if p in MONEY_ONLY)
        played = {0: paired.baseline.book, top & ~drop: paired.policy.book}
        out = []
        for mask in range(top + 1):
            key = mask & ~drop
            if key not in played:
                played[key] = play(
                    self.coalitions[key],
                    "coalition",
                    paired.stream,
                    engine=pairing.engine,
                    cohort_only=True,
                )
            out.append(played[key])
        return out

    def values(
        self, pairing: Pairing, paired: PairedRun, books: list[LedgerBook] | None = None
    ) -> np.ndarray:
        """The players' Shapley values of revenue lost on one replication (currency, the cohort
        of the window); they add up to the replication's revenue lost. books: `self.books(...)`
        when already played."""
        books = self.books(pairing, paired) if books is None else books
        return shapley(np.array([metrics.revenue(b) for b in books]))

    def money(self, books: list[LedgerBook], stream: LeadStream) -> np.ndarray:
        """The players' Shapley values of lifetime value lost (row 0) and gross profit lost
        (row 1) on one replication (currency over the horizon): each coalition's money with its
        own retention (post-sale work) and team (alignsim.economics)."""
        sides = [
            economics.policy_money(c, "coalition", b, stream)
            for c, b in zip(self.coalitions, books, strict=True)
        ]
        return np.array(
            [
                shapley(np.array([m.lifetime_value for m in sides])),
                shapley(np.array([m.gross_profit for m in sides])),
            ]
        )
