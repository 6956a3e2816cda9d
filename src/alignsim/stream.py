"""The lead stream: every random number a run can need, drawn up front (MODEL.md section 2).

For a (scenario, seed, replication) the stream holds one row per lead created in the
horizon: who the buyer is (source, owner, fit, temperature, value), how long their windows
stay open, when they warm up, the chances to reach, qualify and win them at each
temperature, and the uniforms and normals that decide each attempt, review and call.
Engines are deterministic functions of (stream, team, policy).

How the draws are keyed, so that comparisons stay on common random numbers:
- each source draws from its own `SeedSequence(seed, spawn_key=(replication, source key,
  field))`, so changing one source's rate leaves every other source's leads unchanged;
- each field has its own sequence, so adding a field never shifts another;
- a block (one column per attempt, per routing, per touch) is drawn column by column, so a
  wider block (more attempts allowed) keeps the first columns identical.
Market draws never depend on a policy; a policy only transforms them.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from alignsim.calendar import WEEK, BusinessCalendar
from alignsim.scenario import MAX_HORIZON_WEEKS, OWNERS, TEMPERATURES, Policy, Scenario, Source

# Field keys of the per-source seed sequences. Never renumber: that would change every stream.
_ARRIVALS, _THINNING, _FIT, _TEMPERATURE, _VALUE, _PATIENCE = 0, 1, 2, 3, 4, 5
_WARMING, _REPATIENCE, _CYCLE, _EPS_M, _EPS_S, _U_REACH = 6, 7, 8, 9, 10, 11
_U_ATTEMPT_TIME, _U_QUALIFY, _U_QUALIFY_TIME, _U_WIN = 12, 13, 14, 15
_U_ROUTING = 16


@dataclass(frozen=True, eq=False)
class LeadStream:
    """One row per lead, sorted by creation time (ties by source order); the row is the lead id.

    Times are hours from Monday 00:00 of week 1; durations are hours (inf: never);
    money is in the scenario's currency. Block fields have one column per attempt
    (`u_reach`, `u_attempt_time`, counted over the lead's whole life), per routing to sales
    (`eps_s`, `u_qualify`, `u_qualify_time`, `u_routing`: column 0 for the first routing,
    then one per recycle) or per marketing scoring (`eps_m`: column 0 at creation, then one
    per nurture touch).
    """

    seed: int
    replication: int
    horizon: float
    sources: tuple[str, ...]
    created: np.ndarray
    source: np.ndarray
    owner: np.ndarray
    fit: np.ndarray
    temperature: np.ndarray
    value: np.ndarray
    patience: np.ndarray
    warming: np.ndarray
    repatience: np.ndarray
    reach: np.ndarray
    qualify: np.ndarray
    win: np.ndarray
    cycle: np.ndarray
    eps_m: np.ndarray
    eps_s: np.ndarray
    u_reach: np.ndarray
    u_attempt_time: np.ndarray
    u_qualify: np.ndarray
    u_qualify_time: np.ndarray
    u_win: np.ndarray
    u_routing: np.ndarray
    cache: dict = field(default_factory=dict, compare=False, repr=False)
    """What plans computed from these draws (durations by law), shared by the policies."""

    def __len__(self) -> int:
        return len(self.created)

    @property
    def max_attempts(self) -> int:
        """Attempts the stream has draws for over a lead's life."""
        return self.u_reach.shape[1]

    @property
    def max_routings(self) -> int:
        """Routings to sales the stream has draws for (1 + recycles)."""
        return self.eps_s.shape[1]

    @property
    def max_scorings(self) -> int:
        """Marketing scorings the stream has draws for (1 + nurture touches)."""
        return self.eps_m.shape[1]

    def to_frame(self) -> pd.DataFrame:
        """The stream as a table, blocks spread into numbered columns (`u_reach_0`, ...)."""
        columns: dict[str, np.ndarray | pd.Categorical] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, np.ndarray):
                continue
            if f.name == "source":
                columns["source"] = pd.Categorical.from_codes(value, categories=list(self.sources))
            elif f.name == "owner":
                columns["owner"] = pd.Categorical.from_codes(value, categories=list(OWNERS))
            elif f.name == "temperature":
                columns["temperature"] = pd.Categorical.from_codes(
                    value, categories=list(TEMPERATURES)
                )
            elif value.ndim == 2:
                names = (
                    TEMPERATURES if f.name in ("reach", "qualify", "win") else range(value.shape[1])
                )
                for k, name in enumerate(names):
                    columns[f"{f.name}_{name}"] = value[:, k]
            else:
                columns[f.name] = value
        frame = pd.DataFrame(columns)
        frame.index.name = "lead"
        return frame


def source_key(name: str) -> int:
    """A stable number for a source name, part of its seed sequence's key."""
    return zlib.crc32(name.encode("utf-8"))


def _rng(seed: int, replication: int, source: str, field: int) -> np.random.Generator:
    seq = np.random.SeedSequence(entropy=seed, spawn_key=(replication, source_key(source), field))
    return np.random.Generator(np.random.PCG64(seq))


def _uniform_columns(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    out = np.empty((n, width))
    for k in range(width):
        out[:, k] = rng.random(n)
    return out


def _normal_columns(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    out = np.empty((n, width))
    for k in range(width):
        out[:, k] = rng.standard_normal(n)
    return out


def _intensity_factor(src: Source, calendar: BusinessCalendar, t: np.ndarray) -> np.ndarray:
    """Relative arrival intensity at wall-clock times t (weekly profile times campaigns)."""
    factor = np.ones_like(t)
    if src.weekly_profile is not None:
        w = np.asarray(src.weekly_profile, dtype=float)
        days = np.arange(7) if src.arrivals == "always" else np.asarray(calendar.days)
        total = w[days].sum()
        if total > 0:
            norm = np.zeros(7)
            norm[days] = w[days] * len(days) / total
            factor *= norm[(np.floor(t / 24.0) % 7).astype(int)]
    for c in src.campaigns:
        active = (t >= c.start) & (t < c.start + c.duration)
        factor = np.where(active, factor * c.multiplier, factor)
    return factor


def _max_factor(src: Source, calendar: BusinessCalendar) -> float:
    bound = 1.0
    if src.weekly_profile is not None:
        w = np.asarray(src.weekly_profile, dtype=float)
        days = np.arange(7) if src.arrivals == "always" else np.asarray(calendar.days)
        total = w[days].sum()
        if total > 0:
            bound = float(w[days].max() * len(days) / total)
    for c in src.campaigns:
        bound *= max(1.0, c.multiplier)
    return bound


def _arrivals(
    src: Source, name: str, calendar: BusinessCalendar, horizon: float, seed: int, rep: int
) -> np.ndarray:
    """Creation times of one source's leads: a Poisson process, thinned by its shape."""
    if src.arrivals == "always":
        length, rate = horizon, src.rate
    else:
        length = calendar.business_hours_between(0.0, horizon)
        rate = src.rate * WEEK / calendar.hours_per_week
    bound = _max_factor(src, calendar)
    rng = _rng(seed, rep, name, _ARRIVALS)
    count = rng.poisson(rate * length * bound)
    x = np.sort(rng.random(count)) * length
    t = x if src.arrivals == "always" else calendar.add_business_hours_array(0.0, x)
    t = t[t < horizon]
    if bound > 1.0 or src.weekly_profile is not None or src.campaigns:
        keep = _rng(seed, rep, name, _THINNING).random(len(t)) * bound < _intensity_factor(
            src, calendar, t
        )
        t = t[keep]
    return t


def block_widths(policy: Policy) -> tuple[int, int, int]:
    """Columns a policy needs: attempts over a life, routings (1 + recycles), scorings."""
    recycles = policy.nurture.max_recycles if policy.nurtures else 0  # type: ignore[union-attr]
    touches = policy.nurture.touches if policy.nurtures else 0  # type: ignore[union-attr]
    return policy.sla.max_attempts * (1 + recycles), 1 + recycles, 1 + touches


def sample(
    scenario: Scenario,
    seed: int | None = None,
    replication: int = 0,
    *,
    horizon: float | None = None,
) -> LeadStream:
    """Draw the lead stream of one replication of a scenario.

    seed defaults to the scenario's; horizon (hours) to the scenario's. Replication r is the
    r-th child of the root seed: `SeedSequence(seed, spawn_key=(r, ...))`.
    """
    seed = scenario.seed if seed is None else int(seed)
    horizon = scenario.horizon if horizon is None else float(horizon)
    if not 0 < horizon <= MAX_HORIZON_WEEKS * WEEK:
        raise ValueError(
            f"horizon must be positive and at most {MAX_HORIZON_WEEKS} weeks (got {horizon} h)"
        )
    market = scenario.market
    calendar = scenario.team.hours.calendar
    widths = [block_widths(p) for p in scenario.policies.values()]
    attempts, routings, scorings = (max(w[i] for w in widths) for i in range(3))
    patience_law = [market.patience.cold, market.patience.warm, market.patience.hot]
    warming_law = [market.warming.cold_to_warm, market.warming.warm_to_hot]

    parts: list[dict[str, np.ndarray]] = []
    for index, (name, src) in enumerate(market.sources.items()):
        created = _arrivals(src, name, calendar, horizon, seed, replication)
        n = len(created)

        def uniforms(field: int, n: int = n, name: str = name) -> np.ndarray:
            return _rng(seed, replication, name, field).random(n)

        fit = np.clip(src.fit.from_uniform(uniforms(_FIT)), 0.0, 1.0)
        temp = np.searchsorted(
            np.cumsum(src.temperature.shares)[:-1], uniforms(_TEMPERATURE), side="right"
        ).astype(np.int8)
        patience = np.empty(n)
        u_pat = uniforms(_PATIENCE)
        for k, law in enumerate(patience_law):
            mask = temp == k
            patience[mask] = law.from_uniform(u_pat[mask])
        u_warm = _uniform_columns(_rng(seed, replication, name, _WARMING), n, 2)
        u_repat = _uniform_columns(_rng(seed, replication, name, _REPATIENCE), n, 2)
        warming = np.full((n, 2), np.inf)
        repatience = np.full((n, 2), np.inf)
        for step in range(2):
            start = temp + step  # temperature the buyer warms from at this step
            for k in range(2):
                mask = start == k
                warming[mask, step] = warming_law[k].from_uniform(u_warm[mask, step])
                repatience[mask, step] = patience_law[k + 1].from_uniform(u_repat[mask, step])
        parts.append(
            {
                "created": created,
                "source": np.full(n, index, dtype=np.int16),
                "owner": np.full(n, OWNERS.index(src.owner), dtype=np.int8),
                "fit": fit,
                "temperature": temp,
                "value": src.value.from_uniform(uniforms(_VALUE)),
                "patience": patience,
                "warming": warming,
                "repatience": repatience,
                "reach": np.clip(market.reach.by_temperature(fit), 0.0, 1.0),
                "qualify": np.clip(market.qualify.by_temperature(fit), 0.0, 1.0),
                "win": np.clip(market.win.by_temperature(fit), 0.0, 1.0),
                "cycle": market.cycle.from_uniform(uniforms(_CYCLE)),
                "eps_m": _normal_columns(_rng(seed, replication, name, _EPS_M), n, scorings),
                "eps_s": _normal_columns(_rng(seed, replication, name, _EPS_S), n, routings),
                "u_reach": _uniform_columns(_rng(seed, replication, name, _U_REACH), n, attempts),
                "u_attempt_time": _uniform_columns(
                    _rng(seed, replication, name, _U_ATTEMPT_TIME), n, attempts
                ),
                "u_qualify": _uniform_columns(
                    _rng(seed, replication, name, _U_QUALIFY), n, routings
                ),
                "u_qualify_time": _uniform_columns(
                    _rng(seed, replication, name, _U_QUALIFY_TIME), n, routings
                ),
                "u_win": uniforms(_U_WIN),
                "u_routing": _uniform_columns(
                    _rng(seed, replication, name, _U_ROUTING), n, routings
                ),
            }
        )

    merged = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    order = np.lexsort((merged["source"], merged["created"]))
    return LeadStream(
        seed=seed,
        replication=replication,
        horizon=horizon,
        sources=tuple(market.sources),
        **{key: np.ascontiguousarray(value[order]) for key, value in merged.items()},
    )
