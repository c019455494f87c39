"""The README's main job: `pactwatch main`."""
import json
import os
import re
import socket
import subprocess
import sys
from html import unescape
from pathlib import Path

from tests.helpers.report import embedded_images, external_resources, scenario_row

PACTWATCH = str(Path(sys.executable).with_name("pactwatch"))


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_main_builds_the_store_and_writes_the_north_korea_russia_report(data_dir, tmp_path):
    env = {**os.environ, "PACTWATCH_HOME": str(tmp_path / "home"), "PACTWATCH_DATA_DIR": str(data_dir)}
    out = subprocess.run([PACTWATCH, "main", "--json", "--sims", "60", "--as-of", "2026-11-26"], capture_output=True,
                         text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["build"] == "built"
    assert Path(summary["db"]).exists() and Path(summary["db"]).parent == tmp_path / "home"
    by = {d["key"]: d for d in summary["datasets"]}
    assert by["atop-5.1"]["tables"] == 7
    assert by["cow-states-2016"]["rows"] == 243 + 15951 + 14  # states2016 + system2016 + majors2016 rows
    # the forecast: the North Korea–Russia case, every default scenario, the draws asked for
    res = summary["forecast"]
    assert res["case"]["id"] == "rus-prk-2024" and res["n_sims"] == 60 and res["as_of"] == "2026-11-26"
    names = [s["name"] for s in res["scenarios"]]
    scen_files = {p.stem for p in (Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml")}
    assert names[0] == "status-quo" and set(names) <= scen_files and {"war-ends", "us-retrenchment"} <= set(names)
    v = res["validation"]  # the track record travels with the forecast; the main job never runs the back-test
    assert v["status"] == "not computed" and v["landmark"] is None and "pactwatch backtest" in v["message"]
    # the news side: the shared Russia–DPRK articles beside the data are coded into the case's indicator series
    mon = summary["monitor"]
    assert mon["status"] == "ok" and mon["events_read"] > 0 and Path(mon["json"]).exists()
    assert {i["id"] for i in mon["indicators"]} == {"summits", "arms-to-russia", "troops", "tech-energy-economy",
                                                   "diplomatic-cover", "frictions", "coop-conflict-index"}
    # the headline forecast is written to the ledger in the data home, to be scored when its outcome is known
    from pactwatch.scenarios import ledger

    entries = ledger.list_entries(path=tmp_path / "home" / "ledger.jsonl")
    sq5 = next(x for x in res["scenarios"][0]["survival"] if x["t"] == 5)
    assert len(entries) == 1 and entries[0]["case"] == "rus-prk-2024" and entries[0]["probability"] == sq5["point"]
    # the report: default place, self-contained, carrying the JSON's scenario names and numbers
    report = Path(summary["report"])
    assert report == tmp_path / "home" / "reports" / "rus-prk-2024.html" and report.exists()
    html = report.read_text(encoding="utf-8")
    # survival, drivers, the coding sensitivity and the news indicators' small multiples
    assert external_resources(html) == [] and len(embedded_images(html)) == 5  # + competing risks
    text = _text(html)
    news = _text(html.split('<section id="news">')[1].split("</section>")[0])
    assert "What the news says" in news and f"{mon['events_read']} events coded by pactwatch" in news
    for i in mon["indicators"]:
        assert i["label"] in news
    assert "What happens to the North Korea–Russia alliance when the Ukraine war ends, or US policy changes?" in text
    for s in res["scenarios"]:
        row = _text(scenario_row(html, s["name"]))
        assert s["label"] in row
        for x in s["survival"]:
            assert f"{100 * x['point']:.0f}% {100 * x['lower']:.0f}%–{100 * x['upper']:.0f}%" in row
    assert v["message"] in text and not (tmp_path / "home" / "backtest").exists()
    # a second run finds the store up to date, prints the summary table, writes where it is told
    other = tmp_path / "out" / "nk-ru.html"
    again = subprocess.run([PACTWATCH, "main", "--sims", "60", "--as-of", "2026-11-26", "--report", str(other)],
                           capture_output=True, text=True, env={**env, "COLUMNS": "200"}, timeout=600)
    assert again.returncode == 0, again.stderr
    printed = " ".join(again.stdout.split())
    assert "up to date" in printed and "Status quo" in printed and "The Ukraine war ends" in printed
    assert "What the news says" in printed and "Summits and high-level visits" in printed
    sq5 = res["scenarios"][0]["survival"][2]
    assert f"{100 * sq5['point']:.0f}% [{100 * sq5['lower']:.0f}%–{100 * sq5['upper']:.0f}%]" in printed
    assert str(other) in printed.replace(" ", "")  # a long path may be wrapped
    assert other.exists() and external_resources(other.read_text(encoding="utf-8")) == []


def test_main_without_data_or_network_says_how_to_get_the_data(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PACTWATCH_DATA_DIR"}
    # every download goes to a closed local port: no internet is touched, and the fetch fails at once
    env.update(PACTWATCH_HOME=str(tmp_path / "home"), PACTWATCH_MIRROR=f"http://127.0.0.1:{_closed_port()}")
    out = subprocess.run([PACTWATCH, "main"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert out.returncode == 3
    err = " ".join(out.stderr.split())
    assert "could not be reached" in err and "PACTWATCH_DATA_DIR" in err and "pactwatch data fetch" in err
    assert "Traceback" not in out.stderr
    assert not any((tmp_path / "home" / "data").rglob("*.csv"))
