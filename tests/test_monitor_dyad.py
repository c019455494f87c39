"""Dyad monitor: monthly counts by quad class, mean Goldstein and the cooperation-conflict index against a hand tally;
months without events are 0 (index NA), months outside an origin's coverage NA; CUSUM binary segmentation finds a
planted shift and nothing in a constant series; the CLI prints JSON and writes a plot."""
import json
from pathlib import Path

import numpy as np
import pytest

from pactwatch.events.store import insert_events
from pactwatch.monitor.dyad import change_points, cusum_stat, dyad_series
from pactwatch.news.store import connect

REPO = Path(__file__).resolve().parents[1]


def _ev(i, date, s, t, code, quad, g, origin="icews"):
    return {"event_id": f"{origin}:{i}", "origin": origin, "event_date": date, "source_country": s, "target_country": t,
            "code": code, "root": code[:2], "quad": quad, "goldstein": g}


@pytest.fixture
def con(tmp_path):
    c = connect(tmp_path / "n.duckdb")
    rows = [
        _ev(1, "2020-01-05", "RUS", "PRK", "042", 1, 1.9),
        _ev(2, "2020-01-20", "PRK", "RUS", "057", 1, 8.0),
        _ev(3, "2020-01-21", "RUS", "PRK", "190", 4, -10.0),
        _ev(4, "2020-03-02", "RUS", "PRK", "111", 3, -2.0),
        _ev(5, "2020-03-03", "USA", "PRK", "111", 3, -2.0),  # other dyad
        _ev(6, "2019-06-01", "USA", "CHN", "042", 1, 1.9),  # widens icews coverage back to 2019-06
        _ev(7, "2020-02-10", "PRK", "RUS", "061", 2, 6.4, origin="gdelt1"),
    ]
    insert_events(c, rows)
    yield c
    c.close()


def test_monthly_tally(con):
    df = dyad_series(con, "rus", "PRK")
    ic = df[df["origin"] == "icews"].set_index("month")
    assert list(ic.index) == ["2020-01", "2020-02", "2020-03"]
    jan = ic.loc["2020-01"]
    assert (jan["n"], jan["q1"], jan["q4"], jan["a_to_b"], jan["b_to_a"]) == (3, 2, 1, 2, 1)
    assert jan["goldstein"] == pytest.approx((1.9 + 8.0 - 10.0) / 3)
    assert jan["index"] == pytest.approx((2 - 1) / 3)
    feb = ic.loc["2020-02"]
    assert feb["n"] == 0 and np.isnan(feb["index"]) and np.isnan(feb["goldstein"])  # no events: not neutral
    assert ic.loc["2020-03", "index"] == -1.0
    gd = df[df["origin"] == "gdelt1"]
    assert len(gd) == 1 and gd["n"].iloc[0] == 1  # origins are never pooled


def test_outside_coverage_is_na(con):
    df = dyad_series(con, "RUS", "PRK", start="2019-01", end="2020-03", origin="icews")
    assert len(df) == 15
    before = df[df["month"] < "2019-06"]
    assert len(before) == 5 and before["n"].isna().all() and before["index"].isna().all()
    assert (df[(df["month"] >= "2019-06") & (df["month"] < "2020-01")]["n"] == 0).all()
    assert any(e["step"] == "coverage" for e in df.attrs["pactwatch_log"])


def test_bad_arguments(con):
    from pactwatch.errors import PactwatchError

    with pytest.raises(PactwatchError, match="two different"):
        dyad_series(con, "RUS", "rus")
    with pytest.raises(PactwatchError, match="before"):
        dyad_series(con, "RUS", "PRK", start="2020-05", end="2020-01")
    with pytest.raises(PactwatchError, match="YYYY-MM"):
        dyad_series(con, "RUS", "PRK", start="May 2020")


def test_cusum_against_direct_formula():
    x = np.array([0.5, 0.7, 0.4, 0.6, -0.5, -0.6, -0.4, -0.7])
    t, k = cusum_stat(x, sigma=0.2)
    s = [abs(sum(x[:j + 1] - x.mean())) for j in range(len(x) - 1)]
    assert k == int(np.argmax(s)) + 1 == 4
    assert t == pytest.approx(max(s) / (0.2 * np.sqrt(len(x))))


def test_change_points_planted_and_none():
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.normal(0.6, 0.15, 18), rng.normal(-0.5, 0.15, 18)])
    assert change_points(x) == [18]
    x2 = x.copy()
    x2[[3, 10, 25]] = np.nan  # months without events are skipped, positions kept
    assert change_points(x2) == [18]
    assert change_points(rng.normal(0.1, 0.2, 36)) == []
    three = np.concatenate([rng.normal(0.8, 0.1, 12), rng.normal(-0.6, 0.1, 12), rng.normal(0.5, 0.1, 12)])
    assert change_points(three) == [12, 24]


def test_cli_dyad_json_and_plot(con, tmp_path):
    from typer.testing import CliRunner

    from pactwatch.cli.events import dyad
    import typer

    app = typer.Typer()
    app.command()(dyad)
    db = con.execute("select current_database()").fetchone()[0]
    con.close()
    png = tmp_path / "d.png"
    r = CliRunner().invoke(app, ["RUS", "PRK", "--db", str(tmp_path / "n.duckdb"), "--json", "--plot", str(png)])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["dyad"] == ["RUS", "PRK"] and {m["origin"] for m in out["months"]} == {"icews", "gdelt1"}
    assert png.is_file() and png.stat().st_size > 1000
    assert db
