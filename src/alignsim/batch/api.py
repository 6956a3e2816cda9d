"""`alignsim.monte_carlo`: a batch of runs over uncertain inputs, and what it returns.

    import alignsim
    mc = alignsim.monte_carlo("scenarios/finance-uncertainty.toml", runs=2000, seed=7)
    mc.runs                  # one row per run (DataFrame), see below
    mc.summary()             # the dict written as summary.json
    mc.prob_exceeds(2e6)     # share of runs losing more than 2,000,000
    mc.tornado()             # per input: rho, low, high, swing (DataFrame)
    mc.exceedance()          # x, probability revenue lost exceeds x (DataFrame, for a curve)
    alignsim.batch.MonteCarlo.read("out/batch")   # the same object from a batch's folder

How a batch runs: the design (values of the uncertain inputs for every run) is drawn once
from the root seed (alignsim.batch.design); run i plays row i on the lead stream of
replication i, the baseline and the policy on the same leads (alignsim.batch.runs); runs go to
the executor in chunks (alignsim.batch.executors) and are committed in chunk order, so the
result is the same for any executor and number of workers. With `precision`, the batch stops
at the first chunk boundary where the 95% interval of the mean revenue lost is within
`precision` of |mean| (judged from 10 runs on), `runs` being the cap. With `out`, each chunk
is checkpointed as it finishes and `resume=True` continues a killed batch
(alignsim.batch.checkpoint).

Stable for plots and reports (`MonteCarlo`):
- `runs`: DataFrame, one row per run in run order: `run`, then one column per uncertain input
  (named by its path, in the unit of its law's first parameter: `inputs[name]["unit"]`), then
  the figures of alignsim.batch.runs (`revenue_baseline`, `revenue_policy`, `revenue_lost`,
  `leads`, `baseline_<stage>`, `policy_<stage>`, `lost_<cause>`); money in `currency` per
  year (`unit`: each run of `horizon_h` hours scaled to 52 weeks; a batch folder written by an
  older alignsim reads with unit "per_run", money over the horizon), counts per run.
- attributes `scenario`, `scenario_hash`, `baseline`, `policy`, `seed`, `design`, `currency`,
  `unit`, `horizon_h`, `engine`, `inputs` ({path: {"dist", "unit", "label"}}, file order),
  `runs_requested`, `chunk_size`, `precision`, `thresholds`, `folder` (None without `out`).
- `label(path)`: an input's name for people;
- `summary(thresholds=None)`, `prob_exceeds(x)`, `tornado()`, `exceedance(points=None)`,
  `MonteCarlo.read(folder)`. The summary's keys are in alignsim.batch.summary.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from alignsim.batch import summary as stats
from alignsim.batch.checkpoint import Checkpoint
from alignsim.batch.design import DESIGNS, draw
from alignsim.batch.executors import STARTING, SerialExecutor, completed
from alignsim.batch.runs import FIGURES, HOURS_PER_YEAR, Chunk, cause_column
from alignsim.batch.setup import Setup, pick_pair, prepare
from alignsim.comparison import CAUSES
from alignsim.engines import DEFAULT_ENGINE
from alignsim.metrics import FUNNEL_STAGES
from alignsim.scenario import Scenario, read_document
from alignsim.scenario.labels import default_label

__all__ = ["MonteCarlo", "default_chunk_size", "make_setup", "monte_carlo"]

_COUNTS = {"leads", *(f"{r}_{s}" for r in ("baseline", "policy") for s in FUNNEL_STAGES)}
"""Figures that count leads (whole numbers in the run table)."""


def _version() -> str:
    from alignsim.version import __version__

    return __version__


def default_chunk_size(runs: int) -> int:
    """Runs per chunk: about a hundredth of the batch, at most 100 (independent of the workers)."""
    return max(1, min(100, math.ceil(runs / 100)))


def make_setup(
    scenario: Setup | Scenario | str | os.PathLike[str] | Mapping[str, Any],
    *,
    baseline: str | None = None,
    policy: str | None = None,
    seed: int | None = None,
    horizon: float | None = None,
    engine: str | None = None,
) -> Setup:
    """A batch's setup from a scenario file's path, its document, or a validated Scenario.

    A Setup (from `alignsim.batch.setup.prepare`) is returned as it is; the other options are
    then ignored.

    A Scenario with an [uncertainty] table plays from the document it was loaded from (the
    drawn values are written into it); one changed since (`model_copy`) has none to play from.
    """
    if isinstance(scenario, Setup):
        return scenario
    options = {"baseline": baseline, "policy": policy, "seed": seed, "horizon": horizon}
    if isinstance(scenario, Scenario):
        if scenario.uncertainty is not None:
            document = scenario.document()
            if document is None:
                raise ValueError(
                    f"scenario {scenario.name!r} has uncertain inputs, which are written into "
                    "the document it was loaded from, and it was changed since: pass the file's "
                    "path (or its document) instead"
                )
            return prepare(document, scenario.name, engine=engine, **options)
        base, other = pick_pair(scenario, baseline, policy)
        root = scenario.seed if seed is None else int(seed)
        name = DEFAULT_ENGINE if engine is None else engine
        return Setup(scenario.name, scenario, None, (), (), base, other, root, horizon, name)
    if isinstance(scenario, Mapping):
        return prepare(scenario, "<scenario>", engine=engine, **options)
    path = Path(scenario)
    return prepare(read_document(path), path.name, engine=engine, **options)


def _input_info(setup: Setup) -> dict[str, dict[str, str]]:
    if setup.uncertainty is None:
        return {}
    return {
        name: {"dist": law.dist, "unit": law.unit.label, "label": label}
        for name, law, label in zip(
            setup.names, setup.uncertainty.laws, setup.uncertainty.labels, strict=True
        )
    }


def _table(setup: Setup, chunk: Chunk, figures: np.ndarray) -> pa.Table:
    columns: dict[str, Any] = {"run": pa.array(chunk.runs, pa.int64())}
    laws = setup.uncertainty.laws if setup.uncertainty is not None else []
    for k, (name, law) in enumerate(zip(setup.names, laws, strict=True)):
        if setup.writers[k] == "int":
            columns[name] = pa.array(chunk.values[:, k].astype(np.int64))
        else:
            columns[name] = pa.array(chunk.values[:, k] * law.unit.scale, pa.float64())
    for j, name in enumerate(FIGURES):
        column = figures[:, j]
        columns[name] = pa.array(column.astype(np.int64) if name in _COUNTS else column)
    return pa.table(columns)


@dataclass
class MonteCarlo:
    """The runs of a Monte Carlo batch and what finance reads from them (see the module doc)."""

    runs: pd.DataFrame
    scenario: str
    scenario_hash: str
    baseline: str
    policy: str
    seed: int
    design: str
    currency: str
    horizon_h: float
    engine: str
    inputs: dict[str, dict[str, str]]
    runs_requested: int
    chunk_size: int
    precision: float | None = None
    thresholds: tuple[float, ...] = ()
    folder: Path | None = None
    alignsim_version: str = field(default_factory=_version)
    unit: str = "per_year"
    """What the money figures are: "per_year", or "per_run" (over the horizon) in a folder
    written by an older alignsim."""

    @property
    def to_year(self) -> float:
        """What turns the runs' money figures into figures per year."""
        return 1.0 if self.unit == "per_year" else HOURS_PER_YEAR / self.horizon_h

    def _lost(self) -> np.ndarray:
        return self.runs["revenue_lost"].to_numpy(float)

    def prob_exceeds(self, x: float) -> float:
        """Share of runs whose revenue lost is above x (currency, in the runs' `unit`)."""
        return stats.prob_exceeds(self._lost(), float(x))

    def exceedance(self, points: Iterable[float] | None = None) -> pd.DataFrame:
        """The exceedance curve: x and the share of runs losing more than x (default: each run's loss)."""
        lost = self._lost()
        xs = np.unique(lost) if points is None else np.asarray(list(points), dtype=float)
        share = 1 - np.searchsorted(np.sort(lost), xs, side="right") / len(lost)
        return pd.DataFrame({"x": xs, "probability": share})

    def label(self, name: str) -> str:
        """An uncertain input's name for people: its `label` in the scenario, else its path in
        words (a batch written before labels has none)."""
        return self.inputs.get(name, {}).get("label") or default_label(name)

    def tornado(self) -> pd.DataFrame:
        """Per uncertain input: input (its path), label, rho, low, high, swing
        (alignsim.batch.summary.tornado)."""
        table = stats.tornado(self.runs, list(self.inputs))
        table.insert(1, "label", [self.label(name) for name in table["input"]])
        return table

    def context(self) -> dict[str, Any]:
        """What batch this is: the fields summary.json and runs.parquet's metadata start with."""
        return {
            "scenario": self.scenario,
            "scenario_hash": self.scenario_hash,
            "baseline": self.baseline,
            "policy": self.policy,
            "currency": self.currency,
            "unit": self.unit,
            "design": self.design,
            "seed": self.seed,
            "runs": len(self.runs),
            "runs_requested": self.runs_requested,
            "chunk_size": self.chunk_size,
            "horizon_h": self.horizon_h,
            "engine": self.engine,
            "alignsim_version": self.alignsim_version,
            "inputs": self.inputs,
        }

    def summary(self, thresholds: Iterable[float] | None = None) -> dict[str, Any]:
        """The batch's figures as plain JSON-ready data (summary.json)."""
        lost = self._lost()
        chosen = self.thresholds if thresholds is None else tuple(float(x) for x in thresholds)
        mean = float(np.mean(lost))
        half = stats.half_width(lost)
        runs = self.runs
        out = self.context()
        inputs = out.pop("inputs")
        out |= {
            "precision": self.precision,
            "precision_reached": (
                None if self.precision is None else stats.precision_met(lost, self.precision)
            ),
            "half_width_rel": (half / abs(mean) if mean != 0 and math.isfinite(half) else None),
            "revenue": {
                self.baseline: float(runs["revenue_baseline"].mean()),
                self.policy: float(runs["revenue_policy"].mean()),
            },
            "revenue_lost": stats.interval(lost),
            "prob_exceeds": {f"{x:g}": stats.prob_exceeds(lost, x) for x in chosen},
            "by_leak": {c: float(runs[cause_column(c)].mean()) for c in CAUSES},
            "money": stats.money_summary(runs, chosen),
            "tornado": [
                {k: v if isinstance(v, str) else stats.number(v) for k, v in row.items()}
                for row in self.tornado().to_dict(orient="records")
            ],
            "inputs": inputs,
        }
        return out

    def metadata(self) -> dict[bytes, bytes]:
        """runs.parquet's file metadata: `alignsim.*` keys, values as text (JSON for tables)."""
        items = {
            "alignsim.version": self.alignsim_version,
            "alignsim.scenario": self.scenario,
            "alignsim.scenario_hash": self.scenario_hash,
            "alignsim.seed": str(self.seed),
            "alignsim.design": self.design,
            "alignsim.batch": json.dumps(
                self.context() | {"precision": self.precision}, allow_nan=False
            ),
        }
        return {k.encode(): v.encode() for k, v in items.items()}

    @classmethod
    def read(cls, folder: str | os.PathLike[str]) -> MonteCarlo:
        """The batch written in a folder by `alignsim batch --out` or `monte_carlo(out=...)`."""
        folder = Path(folder)
        table = pq.read_table(folder / "runs.parquet")
        meta = table.schema.metadata or {}
        if b"alignsim.batch" not in meta:
            raise ValueError(f"{folder / 'runs.parquet'} was not written by an alignsim batch")
        info = json.loads(meta[b"alignsim.batch"])
        thresholds: tuple[float, ...] = ()
        summary_path = folder / "summary.json"
        if summary_path.exists():
            saved = json.loads(summary_path.read_text(encoding="utf-8"))
            thresholds = tuple(float(x) for x in saved.get("prob_exceeds", {}))
        return cls(
            runs=table.to_pandas(),
            scenario=info["scenario"],
            scenario_hash=info["scenario_hash"],
            baseline=info["baseline"],
            policy=info["policy"],
            seed=info["seed"],
            design=info["design"],
            currency=info["currency"],
            horizon_h=info["horizon_h"],
            engine=info["engine"],
            inputs=info["inputs"],
            runs_requested=info["runs_requested"],
            chunk_size=info["chunk_size"],
            precision=info.get("precision"),
            thresholds=thresholds,
            folder=folder,
            alignsim_version=info["alignsim_version"],
            unit=info.get("unit", "per_run"),
        )


def _check(runs: int, design: str, chunk_size: int | None, precision: float | None) -> None:
    if runs < 1:
        raise ValueError(f"runs must be at least 1 (got {runs})")
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {', '.join(DESIGNS)} (got {design!r})")
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1 (got {chunk_size})")
    if precision is not None and not 0 < precision < 1:
        raise ValueError(f"precision must be between 0 and 1, e.g. 0.02 (got {precision})")


def monte_carlo(
    scenario: Setup | Scenario | str | os.PathLike[str] | Mapping[str, Any],
    runs: int = 1000,
    baseline: str | None = None,
    policy: str | None = None,
    seed: int | None = None,
    design: str = "lhs",
    executor: Executor | None = None,
    chunk_size: int | None = None,
    precision: float | None = None,
    horizon: float | None = None,
    engine: str | None = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    *,
    thresholds: Iterable[float] = (),
    xlsx: bool = False,
    progress: bool | None = None,
) -> MonteCarlo:
    """Play `runs` runs of a scenario over its uncertain inputs (see the module doc).

    scenario: a file's path, its document, or a loaded Scenario without [uncertainty].
    runs: how many (the cap with `precision`). seed: the root seed (default: the scenario's).
    design: "lhs", "sobol" or "random". executor: any concurrent.futures.Executor (default:
    this process). chunk_size: runs per task (default `default_chunk_size(runs)`).
    precision: stop once the 95% half-width is within this share of |mean| revenue lost.
    horizon: hours (default: the scenario's). engine: None for alignsim's default.
    out: a folder for runs.parquet, summary.json, summary.csv (and summary.xlsx with `xlsx`),
    checkpointed as the batch goes; resume: continue the batch already in `out`.
    thresholds: amounts of revenue lost a year for `prob_exceeds` in the summary. progress: a progress bar on
    stderr (None: only when stderr is a terminal).
    Raises ScenarioError for a bad scenario or uncertain input, ValueError for a bad option.
    """
    _check(runs, design, chunk_size, precision)
    if (xlsx or resume) and out is None:
        raise ValueError("xlsx and resume need out, the batch's folder")
    setup = make_setup(
        scenario, baseline=baseline, policy=policy, seed=seed, horizon=horizon, engine=engine
    )
    size = chunk_size or default_chunk_size(runs)
    result = MonteCarlo(
        runs=pd.DataFrame(),
        scenario=setup.base.name,
        scenario_hash=setup.base.digest(),
        baseline=setup.baseline,
        policy=setup.policy,
        seed=setup.seed,
        design=design,
        currency=setup.base.currency,
        horizon_h=float(setup.base.horizon if horizon is None else horizon),
        engine=setup.engine,
        inputs=_input_info(setup),
        runs_requested=runs,
        chunk_size=size,
        precision=precision,
        thresholds=tuple(float(x) for x in thresholds),
        folder=None if out is None else Path(out),
    )
    checkpoint = None
    if out is not None:
        manifest = result.context() | {"precision": precision}
        checkpoint = Checkpoint(Path(out), manifest, resume)
    table = checkpoint.finished_runs() if checkpoint is not None else None
    if table is None:
        values = setup.played(draw(setup.uncertainty, design, runs, setup.seed))
        chunks = [
            Chunk(k, idx, idx, values[idx])
            for k, idx in enumerate(np.array_split(np.arange(runs), math.ceil(runs / size)))
        ]
        show = sys.stderr.isatty() if progress is None else progress
        table = _play(setup, chunks, executor, checkpoint, precision, show)
    result.runs = table.to_pandas()
    table = table.replace_schema_metadata(result.metadata())
    if checkpoint is not None:
        summary = result.summary()

        def extra(folder: Path) -> None:
            from alignsim.batch.checkpoint import atomic_write

            atomic_write(folder / "summary.csv", lambda p: stats.write_csv(summary, p))
            if xlsx:
                atomic_write(
                    folder / "summary.xlsx",
                    lambda p: stats.write_xlsx(summary, result.runs, p, result.thresholds),
                )

        checkpoint.finish(table, summary, extra)
    return result


def _play(
    setup: Setup,
    chunks: list[Chunk],
    executor: Executor | None,
    checkpoint: Checkpoint | None,
    precision: float | None,
    show: bool,
) -> pa.Table:
    """Play the chunks not done yet; commit all in chunk order; stop early at the precision."""
    waiting = checkpoint.done(len(chunks)) if checkpoint is not None else {}
    committed: list[pa.Table] = []
    lost: list[np.ndarray] = []
    total = sum(len(c) for c in chunks)

    def commit() -> bool:
        """Commit the chunks that are next in order; True once the precision is met."""
        while len(committed) in waiting:
            table = waiting.pop(len(committed))
            committed.append(table)
            lost.append(table.column("revenue_lost").to_numpy())
            if precision is not None and stats.precision_met(np.concatenate(lost), precision):
                return True
        return False

    done_runs = sum(t.num_rows for t in waiting.values())
    with tqdm(
        total=total,
        initial=done_runs,
        unit="run",
        disable=not show,
        dynamic_ncols=True,
        desc=STARTING,  # until the first chunk lands, not "0% ?run/s"
    ) as bar:
        if not commit():
            todo = (c for c in chunks if c.index >= len(committed) and c.index not in waiting)
            finished = completed(executor or SerialExecutor(), setup, todo)
            try:
                for chunk, figures in finished:
                    table = _table(setup, chunk, figures)
                    if checkpoint is not None:
                        checkpoint.save(chunk.index, table)
                    waiting[chunk.index] = table
                    bar.set_description_str("", refresh=False)
                    bar.update(len(chunk))
                    if commit():
                        break
            finally:
                finished.close()
    return pa.concat_tables(committed)
