"""The README's main job: `pactwatch main`."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

PACTWATCH = str(Path(sys.executable).with_name("pactwatch"))


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_main_builds_the_store_and_summarises_it(data_dir, tmp_path):
    env = {**os.environ, "PACTWATCH_HOME": str(tmp_path / "home"), "PACTWATCH_DATA_DIR": str(data_dir)}
    out = subprocess.run([PACTWATCH, "main", "--json"], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["build"] == "built"
    assert Path(summary["db"]).exists() and Path(summary["db"]).parent == tmp_path / "home"
    by = {d["key"]: d for d in summary["datasets"]}
    assert by["atop-5.1"]["tables"] == 7
    assert by["cow-states-2016"]["rows"] == 243 + 15951 + 14  # states2016 + system2016 + majors2016 rows
    # a second run finds the store up to date
    again = json.loads(subprocess.run([PACTWATCH, "main", "--json"], capture_output=True, text=True, env=env, timeout=300).stdout)
    assert again["build"] == "up to date"


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
