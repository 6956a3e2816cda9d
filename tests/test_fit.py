"""`alignsim fit`: presets, messy data, censoring, partial exports, the CLI end to end."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

import alignsim
from alignsim.fit import FitInputError
from alignsim.fit.document import defaults
from alignsim.fit.export import write_export
from alignsim.scenario import read_document

ROOT = Path(__file__).parent.parent
SCENARIO = Path(__file__).parent / "data" / "fit-roundtrip.toml"


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Six weeks of the round-trip scenario as a Salesforce export."""
    ledger = alignsim.simulate(alignsim.load(SCENARIO), "current", seed=1, horizon=6 * 168.0)
    return write_export(ledger, tmp_path_factory.mktemp("export"), "salesforce")


def _frames(export: tuple[Path, Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    return tuple(pd.read_csv(p, dtype=str, keep_default_na=False) for p in export)  # type: ignore[return-value]


def _write(tmp: Path, leads: pd.DataFrame | None, deals: pd.DataFrame | None) -> tuple:
    paths = []
    for frame, name in ((leads, "leads.csv"), (deals, "opportunities.csv")):
        if frame is None:
            paths.append(None)
            continue
        frame.to_csv(tmp / name, index=False)
        paths.append(tmp / name)
    return tuple(paths)


def _quality(result: alignsim.fit.FitResult, problem: str) -> int:
    q = result.quality
    return int(q.loc[q["problem"] == problem, "count"].sum())


def test_defaults_are_the_default_scenario_s() -> None:
    base = defaults()
    doc = read_document(ROOT / "scenarios" / "default.toml")
    for key in ("reach", "qualify", "win", "cycle", "patience", "warming"):
        assert base["market"][key] == doc["market"][key], key
    assert base["team"] == doc["team"]
    assert base["policies"] == doc["policies"]


@pytest.mark.parametrize(
    ("preset", "files"),
    [
        ("salesforce", ("leads.csv", "opportunities.csv")),
        ("hubspot", ("contacts.csv", "deals.csv")),
    ],
)
def test_each_preset_parses_its_own_sample(preset: str, files: tuple[str, str]) -> None:
    folder = ROOT / "examples" / preset
    result = alignsim.fit(folder / files[0], folder / files[1], mapping=preset)
    alignsim.validate(result.scenario_document)
    data = result.estimates[result.estimates["source"] == "data"]
    assert set(result.scenario_document["market"]["sources"]) == {
        "content", "demo_request", "outbound", "trial", "webinar",
    }  # fmt: skip
    assert result.scenario_document["market"]["sources"]["outbound"]["owner"] == "sales"
    assert result.scenario_document["policies"]["current"]["handoff"] == {
        "mode": "batch",
        "times": ["17:00"],
    }
    assert len(data) >= 40
    assert len(result.quality) == 0


def test_duplicates_impossible_orders_blanks_and_outliers_are_counted(
    export: tuple[Path, Path], tmp_path: Path
) -> None:
    leads, deals = _frames(export)
    attempted = leads.index[leads["First_Activity_Date__c"] != ""][:3]
    leads.loc[attempted, "First_Activity_Date__c"] = "2025-12-01T09:00:00.000Z"
    leads.loc[leads.index[10:14], "CreatedDate"] = ""
    leads.loc[leads.index[20:22], "LeadSource"] = ""
    leads.loc[leads.index[30], "Rating"] = "Lukewarm"
    leads = pd.concat([leads, leads.iloc[100:105]])
    deals.loc[deals.index[:2], "Amount"] = "1000000000"
    deals.loc[deals.index[2], "Amount"] = ""
    result = alignsim.fit(*_write(tmp_path, leads, deals))
    assert _quality(result, "duplicate id") == 5
    assert _quality(result, "first_attempt before creation") == 3
    assert _quality(result, "blank creation time") == 4
    assert _quality(result, "blank source") == 2
    assert _quality(result, "rating not hot/warm/cold") == 1
    assert _quality(result, "outlier: amount far from the rest") == 2
    assert _quality(result, "blank amount") == 1
    assert "unknown" in result.scenario_document["market"]["sources"]


def test_a_close_before_creation_is_counted_and_not_used(
    export: tuple[Path, Path], tmp_path: Path
) -> None:
    _, deals = _frames(export)
    closed = deals.index[deals["CloseDate"] != ""][:2]
    deals.loc[closed, "CloseDate"] = "2025-01-01T00:00:00.000Z"
    result = alignsim.fit(*_write(tmp_path, None, deals))
    assert _quality(result, "closed before created") == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda leads: leads.assign(CreatedDate="n/a"),
            "leads.csv: column 'CreatedDate' does not hold dates (most cells unreadable); "
            "it is needed for arrivals: when each lead was created",
        ),
        (
            lambda leads: leads.drop(columns="LeadSource"),
            "leads.csv: column 'LeadSource' is missing; it is needed for arrivals by source",
        ),
        (
            lambda leads: leads.assign(Activity_Count__c="many"),
            "leads.csv: column 'Activity_Count__c' does not hold numbers (most cells "
            "unreadable); it is needed for attempts per lead (the policy's max_attempts)",
        ),
    ],
)
def test_a_wrong_or_missing_column_is_one_sentence(
    export: tuple[Path, Path], tmp_path: Path, change: object, message: str
) -> None:
    leads, _ = _frames(export)
    (path, _) = _write(tmp_path, change(leads), None)  # type: ignore[operator]
    with pytest.raises(FitInputError) as caught:
        alignsim.fit(path)
    assert caught.value.problems == [message]


def test_deals_without_a_won_column_say_what_is_needed(
    export: tuple[Path, Path], tmp_path: Path
) -> None:
    _, deals = _frames(export)
    (_, path) = _write(tmp_path, None, deals.drop(columns=["StageName", "IsWon", "IsClosed"]))
    with pytest.raises(FitInputError, match="one is needed for the win rate"):
        alignsim.fit(opportunities=path)


def test_open_deals_are_censored_not_lost(export: tuple[Path, Path], tmp_path: Path) -> None:
    _, deals = _frames(export)
    result = alignsim.fit(*_write(tmp_path, None, deals))
    won = (deals["IsWon"] == "true").sum()
    closed = (deals["IsClosed"] == "true").sum()
    assert (deals["IsClosed"] == "false").sum() > 10  # the case is there
    table = result.estimates.set_index("parameter")
    assert table.loc["market.win.hot", "value"] == pytest.approx(won / closed)
    # More open deals change neither the win rate nor its sample.
    extra = deals[deals["IsClosed"] == "false"].assign(Id=lambda d: d["Id"] + "x")
    (_, path) = _write(tmp_path, None, pd.concat([deals, extra]))
    again = alignsim.fit(opportunities=path).estimates.set_index("parameter")
    assert again.loc["market.win.hot", "value"] == table.loc["market.win.hot", "value"]
    assert again.loc["market.win.hot", "n"] == table.loc["market.win.hot", "n"]
    # The cycle's censored fit sits above the closed deals' own median (long deals still open).
    shut = deals[deals["IsClosed"] == "true"]
    days = (pd.to_datetime(shut["CloseDate"]) - pd.to_datetime(shut["CreatedDate"])).dt.days
    assert table.loc["market.cycle.median", "value"] > days.median()


def test_opportunities_alone_fit_value_cycle_and_win_and_say_the_rest_is_default(
    export: tuple[Path, Path], tmp_path: Path
) -> None:
    _, deals = _frames(export)
    result = alignsim.fit(*_write(tmp_path, None, deals))
    alignsim.validate(result.scenario_document)
    table = result.estimates.set_index("parameter")
    for name in ("market.win.cold", "market.cycle.median", "market.sources.inbound.value.median"):
        assert table.loc[name, "source"] == "data", name
    for name in ("market.sources.inbound.rate", "market.reach.hot", "market.qualify.hot"):
        assert table.loc[name, "source"] == "default", name


def test_leads_alone_keep_deal_value_at_the_default(
    export: tuple[Path, Path], tmp_path: Path
) -> None:
    leads, _ = _frames(export)
    result = alignsim.fit(*_write(tmp_path, leads, None))
    table = result.estimates.set_index("parameter")
    assert table.loc["market.sources.web.value.median", "source"] == "default"
    assert table.loc["market.sources.web.rate", "source"] == "data"
    assert table.loc["market.win.hot", "source"] == "default"


def test_a_user_map_with_its_own_columns_dates_and_time_zone(
    export: tuple[Path, Path], tmp_path: Path
) -> None:
    leads, deals = _frames(export)
    preset = alignsim.fit(*_write(tmp_path, leads, deals)).estimates.set_index("parameter")
    names = {"Id": "Lead", "CreatedDate": "Created", "LeadSource": "Channel", "Rating": "Grade"}
    stamps = pd.to_datetime(leads["CreatedDate"], utc=True).dt.tz_convert("America/New_York")
    mine = leads[["Id", "CreatedDate", "LeadSource", "Rating"]].rename(columns=names)
    mine["Created"] = stamps.dt.strftime("%d/%m/%Y %H:%M:%S")
    path = tmp_path / "mine.csv"
    mine.to_csv(path, index=False)
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        'name = "mine"\ntimezone = "America/New_York"\ndate_format = "%d/%m/%Y %H:%M:%S"\n'
        '[leads.columns]\nid = "Lead"\ncreated = "Created"\nsource = "Channel"\n'
        'temperature = "Grade"\n[leads.values]\ntemperature = { Hot = "hot", Warm = "warm", '
        'Cold = "cold" }\n'
    )
    result = alignsim.fit(path, mapping=mapping).estimates.set_index("parameter")
    for name in ("market.sources.web.temperature.hot", "market.sources.events.temperature.cold"):
        assert result.loc[name, "value"] == pytest.approx(preset.loc[name, "value"])
    assert result.loc["market.sources.web.rate", "n"] == preset.loc["market.sources.web.rate", "n"]


def test_source_names_with_spaces_make_a_valid_scenario_and_uncertainty(
    export: tuple[Path, Path], tmp_path: Path
) -> None:
    leads, deals = _frames(export)
    leads["LeadSource"] = leads["LeadSource"].replace({"web": "Paid Search (EU)"})
    out = alignsim.fit(*_write(tmp_path, leads, deals)).write_scenario(tmp_path / "s.toml")
    scenario = alignsim.load(out)
    assert "Paid Search (EU)" in scenario.market.sources
    assert 'market.sources."Paid Search (EU)".rate' in tomllib.loads(out.read_text())["uncertainty"]


def test_semicolons_and_a_byte_order_mark_read_like_commas(
    export: tuple[Path, Path], tmp_path: Path
) -> None:
    leads, _ = _frames(export)
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + leads.to_csv(index=False, sep=";").encode())
    same = alignsim.fit(export[0]).estimates.set_index("parameter")
    table = alignsim.fit(path).estimates.set_index("parameter")
    assert (
        table.loc["market.sources.web.rate", "value"]
        == same.loc["market.sources.web.rate", "value"]
    )


def test_reps_are_the_distinct_owners_of_worked_leads(
    export: tuple[Path, Path], tmp_path: Path
) -> None:
    leads, _ = _frames(export)
    leads["OwnerId"] = [f"005{i % 3}" for i in range(len(leads))]
    result = alignsim.fit(*_write(tmp_path, leads, None))
    assert result.scenario_document["team"]["reps"] == 3
    table = result.estimates.set_index("parameter")
    assert table.loc["team.reps", "source"] == "data"


def test_a_bad_map_is_one_sentence(tmp_path: Path) -> None:
    mapping = tmp_path / "map.toml"
    mapping.write_text('[leads.columns]\nid = "Id"\ncreatd = "Created"\n')
    with pytest.raises(FitInputError) as caught:
        alignsim.fit(tmp_path / "x.csv", mapping=mapping)
    assert caught.value.problems == [
        "map.toml: leads.columns.creatd: unknown field (known: id, created, source, "
        "temperature, status, mql, routed, first_attempt, attempts, reached, sql, opportunity, "
        "owner)"
    ]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alignsim", *args], capture_output=True, text=True, check=False
    )


def test_cli_fit_writes_a_valid_scenario_with_uncertainty_and_a_report(
    export: tuple[Path, Path], tmp_path: Path
) -> None:
    out, report = tmp_path / "mine.toml", tmp_path / "fit.html"
    leads, deals = export
    done = _cli("fit", str(leads), "--opportunities", str(deals), "--out", str(out),
                "--report", str(report), "--replications", "2")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}" in done.stdout
    scenario = alignsim.load(out)
    assert set(scenario.policies) == {"current", "aligned"}
    written = tomllib.loads(out.read_text())
    assert {"market.win.hot[0]", "market.win.hot[1]"} <= set(written["uncertainty"])
    assert {"between": ["market.win.hot[0]", "market.win.hot[1]"], "rho": 0.99} in written[
        "uncertainty"
    ]["correlations"]
    assert isinstance(written["market"]["reach"]["cold"], list)
    assert scenario.uncertainty is not None
    text = report.read_text()
    assert "Revenue (bookings) lost per year" in text
    assert "Estimated but not yet used by the model" not in text
    assert "Chances in fit, calibrated by simulation" in text
    assert "market.contact_decay.time_constant" in text
    assert written["market"]["contact_decay"]["components"][1] == {"dist": "never"}
    assert "market.contact_decay.components[0].weight" in written["uncertainty"]
    assert "market.contact_decay.components[0].mean" in written["uncertainty"]
    assert "Does the fitted scenario reproduce the export?" in text
    assert "http" not in text.replace("http-equiv", "")  # self-contained
    assert _cli("validate", str(out)).returncode == 0


def test_cli_fit_bad_input_exits_2_without_output(
    export: tuple[Path, Path], tmp_path: Path
) -> None:
    leads, _ = export
    out = tmp_path / "mine.toml"
    done = _cli("fit", str(leads), "--map", "hubspot", "--out", str(out))
    assert done.returncode == 2
    assert "column 'Record ID' is missing" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()
    assert _cli("fit", "--out", str(out)).returncode == 2
    assert _cli("fit", str(tmp_path / "none.csv"), "--out", str(out)).returncode == 2
    assert not out.exists()


def test_cli_example_export(tmp_path: Path) -> None:
    done = _cli("example-export", str(tmp_path / "ex"), "--scenario", str(SCENARIO),
                "--preset", "hubspot", "--horizon", "2w", "--seed", "4")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ex" / "contacts.csv").exists()
    assert (tmp_path / "ex" / "deals.csv").exists()
    bad = _cli("example-export", str(tmp_path / "ex"), "--preset", "pipedrive")
    assert bad.returncode == 2
    assert "--preset: expected one of salesforce, hubspot" in bad.stderr
