"""alignsim.monte_carlo: runs, executors, precision, checkpoints and the summary."""

from __future__ import annotations

import json
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import alignsim
from alignsim.batch.api import MonteCarlo, monte_carlo
from alignsim.batch.checkpoint import FolderError
from alignsim.batch.executors import SerialExecutor, process_pool
from alignsim.batch.runs import FIGURES, cause_column
from alignsim.batch.summary import PERCENTILES, tornado
from alignsim.comparison import CAUSES


def test_without_uncertainty_run_i_is_compares_replication_i(tiny_document) -> None:
    doc = tiny_document(uncertainty=None)
    scenario = alignsim.validate(doc)
    mc = monte_carlo(scenario, runs=3, seed=5)
    compared = alignsim.compare(scenario, replications=3, seed=5)
    to_year = 52 * 168.0 / compared.horizon_h  # a batch's money is per year
    assert mc.unit == "per_year" and compared.horizon_h == mc.horizon_h == 4 * 168.0
    assert mc.runs["revenue_lost"].tolist() == (compared.rows["revenue_lost"] * to_year).tolist()
    assert mc.runs["policy_won"].tolist() == compared.rows["policy_won"].tolist()
    causes = mc.runs[[cause_column(c) for c in CAUSES]].sum(axis=1)
    assert np.allclose(causes, mc.runs["revenue_lost"], rtol=0, atol=1e-6)


def test_a_run_plays_its_drawn_values_on_its_own_replication(tiny_document) -> None:
    mc = monte_carlo(tiny_document(), runs=4, seed=9, chunk_size=3)
    assert list(mc.runs.columns[:5]) == [
        "run",
        "market.win",
        "market.sources.web.rate",
        "team.reps",
        "policies.current.sla.attempt_spacing",
    ]
    assert list(mc.runs.columns[5:]) == list(FIGURES)
    assert mc.runs["run"].tolist() == [0, 1, 2, 3]
    assert mc.runs["team.reps"].dtype == np.int64 and mc.runs["leads"].dtype == np.int64
    # Run 2 replayed on its own: the same scenario (values in per-day / day units written
    # back as internal ones), replication 2, both policies on one stream.
    row = mc.runs.iloc[2]
    doc = tiny_document(uncertainty=None)
    doc["market"]["win"] = float(row["market.win"])
    doc["market"]["sources"]["web"]["rate"] = f"{float(row['market.sources.web.rate'])!r}/day"
    doc["team"]["reps"] = int(row["team.reps"])
    doc["policies"]["current"]["sla"]["attempt_spacing"] = (
        f"{float(row['policies.current.sla.attempt_spacing'])!r}h"
    )
    alone = alignsim.compare(alignsim.validate(doc), replications=3, seed=9)
    to_year = 52 * 168.0 / alone.horizon_h  # a batch's money is per year
    assert alone.rows["revenue_lost"].iloc[2] * to_year == pytest.approx(
        row["revenue_lost"], rel=1e-9
    )
    assert mc.inputs["market.sources.web.rate"] == {
        "dist": "triangular",
        "unit": "per day",
        "label": "Web source: lead rate",
    }


def _bytes(folder: Path) -> bytes:
    return (folder / "runs.parquet").read_bytes()


def test_runs_parquet_is_bit_identical_for_one_worker_two_workers_and_dask(
    tiny_document, tmp_path: Path
) -> None:
    # simpy: no numba start-up in each worker process (the engines give the same ledgers)
    options: dict[str, Any] = {"runs": 6, "chunk_size": 2, "seed": 4, "engine": "simpy"}
    monte_carlo(tiny_document(), out=tmp_path / "serial", **options)
    with process_pool(2) as pool:
        monte_carlo(tiny_document(), out=tmp_path / "pool", executor=pool, **options)
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        executor = client.get_executor(pure=False)
        monte_carlo(tiny_document(), out=tmp_path / "dask", executor=executor, **options)
    assert _bytes(tmp_path / "serial") == _bytes(tmp_path / "pool") == _bytes(tmp_path / "dask")
    meta = pq.read_schema(tmp_path / "serial" / "runs.parquet").metadata
    assert meta[b"alignsim.seed"] == b"4" and meta[b"alignsim.design"] == b"lhs"
    assert meta[b"alignsim.version"] == alignsim.__version__.encode()
    assert meta[b"alignsim.scenario_hash"] == alignsim.validate(tiny_document()).digest().encode()


class _Backwards(Executor):
    """Plays every submitted chunk at once but hands the results back in reverse order."""

    def __init__(self) -> None:
        self.futures: list[Future[Any]] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        result = fn(*args, **kwargs)
        self.futures.append(future)
        future.add_done_callback(lambda _: None)
        future.result_value = result  # type: ignore[attr-defined]
        if len(self.futures) % 4 == 0:  # release four at a time, the last first
            for f in reversed(self.futures[-4:]):
                f.set_result(f.result_value)  # type: ignore[attr-defined]
        return future


def test_precision_stops_at_the_same_chunk_whatever_the_completion_order(tiny_document) -> None:
    options: dict[str, Any] = {"runs": 40, "chunk_size": 2, "seed": 3, "precision": 0.15}
    serial = monte_carlo(tiny_document(), **options)
    backwards = monte_carlo(tiny_document(), executor=_Backwards(), **options)
    assert 10 <= len(serial.runs) < 40 and len(serial.runs) % 2 == 0
    pd.testing.assert_frame_equal(serial.runs, backwards.runs)
    lost = serial.runs["revenue_lost"]
    assert serial.summary()["precision_reached"] is True
    # one chunk earlier it was not reached: the stop is the first boundary that meets it
    shorter = MonteCarlo(**{**serial.__dict__, "runs": serial.runs.iloc[:-2]})
    assert shorter.summary()["precision_reached"] is False
    assert serial.summary()["half_width_rel"] <= 0.15 < shorter.summary()["half_width_rel"]
    assert lost.mean() == serial.summary()["revenue_lost"]["mean"]


def test_an_unmet_precision_plays_every_run(tiny_document) -> None:
    mc = monte_carlo(tiny_document(), runs=12, chunk_size=4, precision=0.0001)
    assert len(mc.runs) == 12 and mc.summary()["precision_reached"] is False


def test_the_summary_has_what_finance_reads(tiny_document, tmp_path: Path) -> None:
    mc = monte_carlo(
        tiny_document(), runs=20, seed=2, out=tmp_path / "b", thresholds=[10_000, 1e9], xlsx=True
    )
    s = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert s == json.loads(json.dumps(mc.summary()))
    for key in ("scenario", "baseline", "policy", "currency", "design", "seed", "runs"):
        assert key in s
    assert (s["scenario"], s["baseline"], s["policy"], s["currency"]) == (
        "tiny-finance",
        "aligned",
        "current",
        "EUR",
    )
    lost = mc.runs["revenue_lost"].to_numpy()
    assert s["revenue_lost"]["mean"] == pytest.approx(lost.mean())
    assert s["revenue_lost"]["std"] == pytest.approx(lost.std(ddof=1))
    for q in PERCENTILES:
        assert s["revenue_lost"][f"p{q}"] == pytest.approx(np.percentile(lost, q))
    assert s["revenue_lost"]["ci_low"] < s["revenue_lost"]["mean"] < s["revenue_lost"]["ci_high"]
    assert s["prob_exceeds"] == {"10000": np.mean(lost > 10_000), "1e+09": 0.0}
    assert mc.prob_exceeds(10_000) == np.mean(lost > 10_000)
    assert s["revenue"] == {
        "aligned": pytest.approx(mc.runs["revenue_baseline"].mean()),
        "current": pytest.approx(mc.runs["revenue_policy"].mean()),
    }
    assert next(t["input"] for t in s["tornado"]) in mc.inputs
    assert s["precision_reached"] is None
    csv = pd.read_csv(tmp_path / "b" / "summary.csv")
    assert list(csv.columns) == ["statistic", "value"]
    assert float(csv.set_index("statistic").loc["revenue_lost.p90", "value"]) == pytest.approx(
        s["revenue_lost"]["p90"]
    )
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "b" / "summary.xlsx", read_only=True)
    assert book.sheetnames == ["Summary", "Percentiles", "Exceedance", "Tornado", "Inputs", "Runs"]
    assert sum(1 for _ in book["Runs"].iter_rows()) == 21
    again = MonteCarlo.read(tmp_path / "b")
    pd.testing.assert_frame_equal(again.runs, mc.runs)
    assert again.summary() == mc.summary()
    assert not (tmp_path / "b" / "chunks").exists()


def test_exceedance_is_the_share_above_each_point(tiny_document) -> None:
    mc = monte_carlo(tiny_document(), runs=10)
    curve = mc.exceedance([0, 5_000, 1e9])
    lost = mc.runs["revenue_lost"]
    assert curve["probability"].tolist() == [np.mean(lost > x) for x in (0, 5_000, 1e9)]


def test_tornado_swing_is_top_decile_minus_bottom_decile() -> None:
    x = np.arange(20.0)
    frame = pd.DataFrame({"a": x, "b": np.zeros(20), "revenue_lost": 10 * x})
    table = tornado(frame, ["b", "a"])
    assert table["input"].tolist() == ["a", "b"]
    a = table.iloc[0]
    # runs at or below the 10th percentile (1.9): 0, 1; at or above the 90th (17.1): 18, 19
    assert (a["low"], a["high"], a["swing"], a["rho"]) == (5.0, 185.0, 180.0, pytest.approx(1.0))
    assert table.iloc[1]["swing"] == 0.0 and pd.isna(table.iloc[1]["rho"])


class _Breaks(SerialExecutor):
    """Plays chunks in this process and fails on the n-th submit: a batch that dies midway."""

    def __init__(self, n: int) -> None:
        self.n = n

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.n -= 1
        if self.n == 0:
            raise KeyboardInterrupt
        return super().submit(fn, *args, **kwargs)


def test_a_resumed_batch_writes_the_uninterrupted_batchs_runs(
    tiny_document, tmp_path: Path
) -> None:
    options: dict[str, Any] = {"runs": 8, "chunk_size": 2, "seed": 6}
    with pytest.raises(KeyboardInterrupt):
        monte_carlo(tiny_document(), out=tmp_path / "cut", executor=_Breaks(3), **options)
    assert sorted(p.name for p in (tmp_path / "cut" / "chunks").iterdir()) == [
        "chunk-000000.parquet",
        "chunk-000001.parquet",
    ]
    assert not (tmp_path / "cut" / "runs.parquet").exists()
    resumed = monte_carlo(
        tiny_document(), out=tmp_path / "cut", resume=True, executor=_Breaks(4), **options
    )  # only the two chunks left are played: a third submit would fail
    monte_carlo(tiny_document(), out=tmp_path / "whole", **options)
    assert _bytes(tmp_path / "cut") == _bytes(tmp_path / "whole")
    assert len(resumed.runs) == 8
    # resuming a finished batch plays nothing and summarises it again
    again = monte_carlo(
        tiny_document(), out=tmp_path / "cut", resume=True, executor=_Breaks(1), **options
    )
    pd.testing.assert_frame_equal(again.runs, resumed.runs)


def test_a_folder_of_another_batch_is_refused(tiny_document, tmp_path: Path) -> None:
    monte_carlo(tiny_document(), runs=2, seed=1, out=tmp_path / "b")
    with pytest.raises(FolderError, match=r"already holds a batch \(manifest.json\)"):
        monte_carlo(tiny_document(), runs=2, seed=1, out=tmp_path / "b")
    with pytest.raises(FolderError, match=r"made by a different batch \(seed 1 there, 2 here\)"):
        monte_carlo(tiny_document(), runs=2, seed=2, out=tmp_path / "b", resume=True)
    with pytest.raises(FolderError, match="holds no batch to resume"):
        monte_carlo(tiny_document(), runs=2, out=tmp_path / "empty", resume=True)


def test_a_loaded_scenario_with_uncertain_inputs_plays_like_its_document(tiny_document) -> None:
    scenario = alignsim.validate(tiny_document())
    from_scenario = monte_carlo(scenario, runs=3, seed=4)
    pd.testing.assert_frame_equal(
        from_scenario.runs, monte_carlo(tiny_document(), runs=3, seed=4).runs
    )


def test_a_scenario_changed_after_loading_asks_for_its_file(tiny_document) -> None:
    changed = alignsim.validate(tiny_document()).model_copy(update={"seed": 99})
    assert changed.document() is None
    with pytest.raises(ValueError, match="it was changed since: pass the file's path"):
        monte_carlo(changed, runs=2)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"runs": 0}, "runs must be at least 1"),
        ({"design": "grid"}, "design must be one of lhs, sobol, random"),
        ({"precision": 2.0}, "precision must be between 0 and 1"),
        ({"chunk_size": 0}, "chunk_size must be at least 1"),
    ],
)
def test_bad_options_are_refused(tiny_document, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        monte_carlo(tiny_document(), **{"runs": 2, **options})


@pytest.mark.parametrize("design", ["sobol", "random"])
def test_every_design_runs_and_is_recorded(tiny_document, design: str) -> None:
    mc = monte_carlo(tiny_document(), runs=3, design=design, seed=1)
    assert mc.summary()["design"] == design and len(mc.runs) == 3
    assert mc.runs["market.win"].between(0.3, 0.6).all()


def test_the_progress_bar_says_starting_workers_until_the_first_chunk_lands(
    tiny_document: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    monte_carlo(tiny_document(), runs=4, seed=9, chunk_size=2, progress=True)
    err = capsys.readouterr().err
    frames = [f for f in err.replace("\r", "\n").splitlines() if f.strip()]
    assert frames[0].startswith("starting workers:"), frames
    assert "starting workers" not in frames[-1] and "4/4" in frames[-1], frames
