"""The room's words: how the page names what the tool calls MQL, SAL or a lever group.

Every control, stage and lever keeps the tool's word in its tooltip, so a facilitator can
still find it in `alignsim compare` or the report.
"""

from __future__ import annotations

__all__ = ["LEVERS", "STAGES", "STEPS", "Step"]

STAGES: dict[str, str] = {
    "leads": "New leads",
    "mql": "Passed on by marketing",
    "routed": "Sent to a rep",
    "sal": "Accepted by sales",
    "reached": "Buyer reached",
    "sql": "Real opportunity",
    "won": "Deals won",
}
"""Funnel stages in the room's words (the tool's: Leads, MQL, Routed, SAL, Reached, SQL, Won)."""

LEVERS: dict[str, str] = {
    "response": "Slow response",
    "persistence": "Too few calls",
    "definitions": "Different lead definitions",
    "nurture": "No nurture",
    "goals": "Conflicting goals",
    "staffing": "Too few reps",
    "post_sale": "No joint work after the sale",
}
"""Lever groups (alignsim.levers.GROUPS) in the room's words."""


class Step:
    """One misalignment of the walk-through: its title, the controls it owns (fields of
    alignsim.workshop.controls.Levers) and what it means."""

    def __init__(self, title: str, short: str, fields: tuple[str, ...], meaning: str) -> None:
        self.title = title
        self.short = short
        self.fields = fields
        self.meaning = meaning


STEPS: tuple[Step, ...] = (
    Step(
        "Speed to lead",
        "Speed",
        ("sla", "handoff", "alerts"),
        "Reps see new leads only when they look at the queue, and nobody promises a call "
        "within hours: buyers cool off and buy elsewhere.",
    ),
    Step(
        "Persistence",
        "Calls",
        ("attempts",),
        "Reps give up after a call or two, before most buyers pick up.",
    ),
    Step(
        "Lead definitions",
        "Definitions",
        ("definition", "mql_threshold", "accept_threshold"),
        "Marketing and sales judge leads each by their own criteria: good leads are never "
        "passed on, or sales rejects them.",
    ),
    Step(
        "Nurture",
        "Nurture",
        ("nurture", "rejected"),
        "Leads not ready to buy yet are dropped instead of kept warm until they are.",
    ),
    Step(
        "Goals and capacity",
        "Goals",
        ("cherry_pick", "reps"),
        "Reps chase their own prospects and big deals first; marketing's leads wait.",
    ),
)
"""The five misalignments in the order the page walks them (MODEL.md's five)."""
