"""`alignsim report`: one self-contained HTML file with its images and headline figures.

The command runs in this process through `alignsim.cli.main` (as the CLI tests do for quick
checks), on a 8-week comparison and a 6-run batch.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import numpy as np
import pytest

import alignsim
from alignsim import economics
from alignsim.batch import monte_carlo
from alignsim.comparison import CAUSES
from alignsim.levers import LEVER_LABELS
from alignsim.plots.style import money

DEFAULT = "<default.toml>"
"""Stands for scenarios/default.toml in parametrized arguments (see `with_default`)."""
pytestmark = pytest.mark.filterwarnings("error::UserWarning")

IMAGE = re.compile(r'<img alt="([^"]*)" src="data:image/png;base64,([A-Za-z0-9+/=]+)">')


def with_default(args: list[str | Path], default_toml: Path) -> list[str | Path]:
    """The arguments with DEFAULT replaced by the path of scenarios/default.toml."""
    return [default_toml if arg == DEFAULT else arg for arg in args]


def images(text: str) -> dict[str, bytes]:
    """The embedded images by their alt text, decoded."""
    return {alt: base64.b64decode(data) for alt, data in IMAGE.findall(text)}


def assert_self_contained(text: str) -> None:
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", text, re.IGNORECASE)
    assert "<script" not in text and "<link" not in text
    for png in images(text).values():
        assert png.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.fixture(scope="module")
def batch(finance_toml: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("batch")
    monte_carlo(finance_toml, runs=6, seed=3, horizon=6 * 168.0, out=folder, progress=False)
    return folder


def test_a_scenario_report_holds_the_headline_causes_and_funnels(
    default_toml, run_cli, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "report.html"
    args = [default_toml, "-o", out, "--replications", "2", "--horizon", "8w", "--seed", "5"]
    code, stdout, stderr = run_cli(["report", *args])
    assert (code, stderr) == (0, "")
    assert stdout.strip() == f"wrote {out}"
    text = out.read_text(encoding="utf-8")
    assert_self_contained(text)
    assert list(images(text)) == [
        "Waterfall of revenue a year from aligned to current, by lever",
        "Cumulative gross profit of aligning minus its cost",
        "From bookings lost to gross profit lost",
        "Waterfall of revenue a year from aligned to current, by leak",
        "The two funnels stage by stage",
        "Speed to lead of each policy",
        "Buyer-window survival against HBR 2011",
    ]
    expected = alignsim.compare(
        alignsim.load(default_toml), replications=2, seed=5, horizon=8 * 168.0
    ).summary(unit="per_run")
    lost = expected["revenue_lost"]
    scale = 52 / 8
    assert f"<strong>{money(lost['mean'] * scale, 'EUR')}</strong>" in text
    low, high = money(lost["ci_low"] * scale, "EUR"), money(lost["ci_high"] * scale, "EUR")
    assert f"95% interval {low} to {high}" in text
    for cause, amount in expected["by_leak"].items():
        assert f"<td>{cause}</td><td>{money(amount * scale, 'EUR')}</td>" in text
    assert text.index("revenue lost by lever") < text.index("revenue lost by leak")
    for lever, figures in expected["by_lever"]["levers"].items():
        label = LEVER_LABELS[lever]
        assert f"<td>{label}</td><td>{money(figures['amount'] * scale, 'EUR')}</td>" in text
    for stage in ("Leads", "MQL", "SAL", "SQL", "Won"):
        assert f"<td>{stage}</td>" in text
    assert out.stat().st_mode & 0o777 == 0o644


def test_a_scenario_report_states_its_assumptions_and_method(default_toml) -> None:
    """The description, one row per assumption with the scenario field that sets it (volumes,
    deal sizes, rates, reps, each policy), and the method in plain words, before the figures."""
    scenario = alignsim.load(default_toml)
    text = alignsim.report.scenario_report(scenario, replications=2, horizon=4 * 168.0, seed=5)
    about = text.index("<h2>What the simulation assumes</h2>")
    method = text.index("<h2>How the figures are made</h2>")
    assert about < method < text.index("revenue lost by leak")
    assert f"<p>{scenario.description}</p>" in text
    rows = {
        "Leads from demo request (marketing)": ("30 a week", "market.sources.demo_request.rate"),
        "Deal size, demo request": (
            "lognormal, median 24,000, p90 60,000 (EUR)",
            "market.sources.demo_request.value",
        ),
        "Sales reps": ("8", "team.reps"),
        "Reached buyers who qualify": (
            "hot 60%-95%, warm 45%-75%, cold 10%-35%",
            "market.qualify",
        ),
        "Working hours": ("09:00-17:00 on 5 days a week", "team.hours"),
    }
    for topic, (value, field) in rows.items():
        assert f"<td>{topic}</td><td>{value}</td><td>{field}</td>" in text, topic
    for name, policy in scenario.policies.items():
        assert f"<td>Policy {name}</td><td>{policy.description}</td>" in text
    assert "first call due within 15m (hot), 1h (warm), 4h (cold); 3 call attempts" in text
    assert "docs/calibration.md grades each source" in text
    method_text = text[method : text.index("</section>", method)]
    assert "plays both ways of working on exactly the same leads: current and aligned" in (
        method_text
    )
    assert "repeated 2 times with fresh leads, each time over 4 weeks" in method_text


def test_a_batch_report_holds_the_distribution_percentiles_and_tornado(
    run_cli,
    batch: Path,
    tmp_path: Path,
) -> None:
    out = tmp_path / "batch.html"
    code, _, stderr = run_cli(["report", batch, "--output", out])
    assert (code, stderr) == (0, "")
    text = out.read_text(encoding="utf-8")
    assert_self_contained(text)
    assert list(images(text)) == [
        "Histogram and exceedance curve of revenue lost",
        "Tornado of the uncertain inputs",
        "Waterfall of revenue a year from aligned to current, by leak",
        "The two funnels stage by stage",
    ]
    mc = alignsim.plots.read_batch(batch)
    scale = 1.0  # the batch's money is per year already
    lost = mc.runs["revenue_lost"].to_numpy()
    for q in (5, 10, 50, 90, 95):
        value = money(float(np.percentile(lost, q)) * scale, "EUR")
        assert re.search(rf"<td>P{q}( \(median\))?</td><td>{re.escape(value)}</td>", text)
    assert f"<strong>{money(float(lost.mean()) * scale, 'EUR')}</strong>" in text
    for name in mc.inputs:  # its label in the scenario, then the field it is in
        assert f"<td>{html.escape(mc.label(name))}</td><td>{name}</td>" in text
    assert "<td>Hot buyers&#x27; window</td><td>market.patience.hot.components[1].mean</td>" in text
    assert "Uncertain inputs: Close rate of hot buyers (best fit), " in text
    assert "a vermillion bar means a higher value of the input loses more revenue" in text
    assert f"With {len(mc.runs)} runs a rank correlation is known to about +/-" in text
    for cause in CAUSES:
        assert f"<td>{cause}</td>" in text
    assert "chance of losing more" in text
    assert "Money: bookings, lifetime value, profit and the return on aligning" in text
    profit = mc.summary()["money"]["gross_profit_lost"]["p50"]
    assert f"<td>{economics.three_figures(profit, 'EUR')}</td>" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.toml"], "missing.toml: no such file"),
        ([DEFAULT, "--policy", "nope"], "--policy: default.toml has no policy 'nope'"),
        ([DEFAULT, "--engine", "warp"], "--engine: expected one of"),
        ([DEFAULT, "--horizon", "3 weeks"], "--horizon: expected a duration"),
        ([DEFAULT, "--set", "team.reps=0"], "default.toml: team.reps: expected a number"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_file(
    default_toml,
    run_cli,
    args: list[str | Path],
    message: str,
    tmp_path: Path,
) -> None:
    out = tmp_path / "report.html"
    code, stdout, stderr = run_cli(["report", *with_default(args, default_toml), "-o", out])
    assert code == 2
    assert stdout == ""
    assert len(stderr.strip().splitlines()) == 1 and message in stderr
    assert "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_is_not_a_batch_exits_2(run_cli, tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    code, _, stderr = run_cli(["report", folder, "-o", tmp_path / "r.html"])
    assert code == 2
    assert (
        stderr.strip() == f"INPUT: {folder}: no runs.parquet in it (expected a batch output folder)"
    )
    assert not (tmp_path / "r.html").exists()


def test_scenario_options_are_refused_for_a_batch_folder(
    run_cli, batch: Path, tmp_path: Path
) -> None:
    code, _, stderr = run_cli(["report", batch, "-o", tmp_path / "r.html", "--replications", "3"])
    assert code == 2
    assert (
        stderr.strip()
        == f"--replications: applies to a scenario file, not to the batch folder {batch}"
    )


def test_an_output_that_cannot_be_written_exits_2_before_any_run(
    default_toml, run_cli, tmp_path: Path
) -> None:
    code, _, stderr = run_cli(["report", default_toml, "-o", tmp_path])
    assert code == 2 and stderr.startswith(f"--output: {tmp_path} is a folder")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, stderr = run_cli(["report", default_toml, "-o", blocker / "r.html"])
    assert code == 2 and "a file is in the way" in stderr
    assert blocker.read_text() == "x"


def test_a_failed_report_leaves_the_previous_file_alone(
    default_toml, run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "report.html"
    out.write_text("previous")

    def fail(*_: object, **__: object) -> str:
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(alignsim.report, "scenario_report", fail)
    code, _, stderr = run_cli(["report", default_toml, "-o", out])
    assert code == 1 and "internal error" in stderr
    assert out.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left
