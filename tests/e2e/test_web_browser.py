"""End to end in headless Chromium (Debian's chromium + chromium-driver, driven by Selenium): `pactwatch serve` started
on 127.0.0.1 on a free port, pages opened, an article pasted into the reader, the explorer searched, the case page's
scenario switched (when the forecast engine is installed). Each page is saved as a screenshot under
``$PACTWATCH_E2E_OUT`` (default ``out/e2e`` in the checkout, ignored by git); the browser console must stay free of
errors (a blocked off-site load or a script error would show there).

Skips with a reason when chromium, chromedriver or selenium is missing."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTICLE = REPO.parent / "shared" / "articles" / "nationalinterest-2024-11-north-korea-russia-alliance.txt"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _skip_or_fail(reason: str):
    pytest.skip(f"{reason} (install: apt-get install -y chromium chromium-driver; pip install -e .[test])")


@pytest.fixture(scope="module")
def out_dir() -> Path:
    d = Path(os.environ.get("PACTWATCH_E2E_OUT") or REPO / "out" / "e2e")
    d.mkdir(parents=True, exist_ok=True)
    return d


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(data_dir, tmp_path_factory):
    """`python -m pactwatch.cli.serve` on a free loopback port; yields its base URL; stopped at the end."""
    port = _free_port()
    home = tmp_path_factory.mktemp("e2e-home")
    env = {**os.environ, "PACTWATCH_DATA_DIR": str(data_dir), "PACTWATCH_HOME": str(home)}
    env.pop("PACTWATCH_DB", None)
    log = open(home / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "pactwatch.cli.serve", "--port", str(port), "--log-level", "warning"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.time() + 60
    while True:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}: {(home / 'server.log').read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.time() > deadline:
            proc.kill()
            pytest.fail("server did not answer within 60 s")
        time.sleep(0.2)
    # warm the alliance tables and the spaCy pipeline so the page timeouts below measure pages, not loading
    httpx.get(f"{url}/api/alliances", params={"limit": 1}, timeout=120)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        _skip_or_fail("chromium / chromedriver not installed")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _skip_or_fail("selenium not installed (pip install -e .[test])")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
              "--window-size=1280,1400"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=DRIVER), options=opts)
    drv.set_page_load_timeout(180)
    yield drv
    drv.quit()


def _console_errors(drv) -> list[str]:
    return [e["message"] for e in drv.get_log("browser") if e.get("level") == "SEVERE"]


def _shot(drv, out_dir: Path, name: str):
    h = drv.execute_script("return Math.min(document.documentElement.scrollHeight, 6000)")
    drv.set_window_size(1280, max(800, int(h) + 40))
    drv.save_screenshot(str(out_dir / f"{name}.png"))
    drv.set_window_size(1280, 1400)


def _wait(drv, css: str, timeout: float = 120):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(drv, timeout).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))


def test_pages_open_without_console_errors(server, browser, out_dir):
    from selenium.webdriver.common.by import By

    for path, name, h1 in (("/", "home", "Cases"), ("/alliances", "explorer", "Alliance explorer"),
                           ("/reader", "reader", "Reader"), ("/api-docs", "api-docs", "API"),
                           ("/alliances/3260", "alliance-3260", "ATOP alliance 3260")):
        browser.get(server + path)
        assert browser.find_element(By.TAG_NAME, "h1").text == h1
        _shot(browser, out_dir, name)
        assert _console_errors(browser) == [], path
        # the stylesheet loaded (the header is dark): nothing depends on another host
        bg = browser.execute_script("return getComputedStyle(document.querySelector('header')).backgroundColor")
        assert bg == "rgb(11, 37, 64)", (path, bg)


def test_reader_highlights_a_pasted_article(server, browser, out_dir):
    from selenium.webdriver.common.by import By

    if not ARTICLE.is_file():
        pytest.skip(f"{ARTICLE} not available")
    browser.get(server + "/reader")
    text = ARTICLE.read_text(encoding="utf-8")
    box = browser.find_element(By.ID, "text")
    browser.execute_script("arguments[0].value = arguments[1];", box, text)  # a paste: send_keys would take minutes
    browser.execute_script("document.getElementById('date').value = '2024-11-01';")
    browser.find_element(By.CSS_SELECTOR, "#reader-form button[type=submit]").click()
    _wait(browser, "#marked")
    rows = browser.find_elements(By.CSS_SELECTOR, "#events tbody tr")
    marks = browser.find_elements(By.CSS_SELECTOR, "#marked mark")
    assert len(rows) >= 3 and len(marks) >= len(rows)
    codes = {r.find_elements(By.TAG_NAME, "td")[0].text.split()[0][:3] for r in rows}
    assert {"PRK", "RUS"} & codes, codes  # the article is about North Korea and Russia
    # the highlighted text is the pasted text (nothing lost or added apart from the event numbers)
    shown = browser.execute_script(
        "var c = document.getElementById('marked').cloneNode(true);"
        "c.querySelectorAll('sup').forEach(function (s) { s.remove(); }); return c.textContent;")
    assert shown == text.replace("\r\n", "\n")
    _shot(browser, out_dir, "reader-coded")
    assert _console_errors(browser) == []


def test_explorer_search_and_open_an_alliance(server, browser, out_dir):
    from selenium.webdriver.common.by import By

    browser.get(server + "/alliances")
    browser.find_element(By.ID, "member").send_keys("RUS")
    browser.find_element(By.ID, "year").send_keys("2010")
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.ID, "obligation")).select_by_value("consul")
    browser.find_element(By.CSS_SELECTOR, "#alliance-search button").click()
    _wait(browser, "#alliance-results")
    count = int(browser.find_element(By.ID, "result-count").text.split()[0])
    import httpx

    api = httpx.get(server + "/api/alliances", params={"member": "RUS", "year": 2010, "obligation": "consul"}).json()
    assert count == api["count"] > 0
    _shot(browser, out_dir, "explorer-results")
    first = browser.find_element(By.CSS_SELECTOR, "#alliance-results tbody th a")
    aid = first.text
    first.click()
    _wait(browser, "#members")
    assert browser.find_element(By.TAG_NAME, "h1").text == f"ATOP alliance {aid}"
    assert "Russia" in browser.find_element(By.ID, "members").text
    _shot(browser, out_dir, f"alliance-{aid}")
    assert _console_errors(browser) == []


def test_case_page(server, browser, out_dir):
    from selenium.webdriver.common.by import By

    import httpx

    cases = httpx.get(server + "/api/cases", timeout=600).json()["cases"]
    if not cases:
        pytest.skip("no case files in the cases folder")
    name = "rus-prk-2024" if any(c["name"] == "rus-prk-2024" for c in cases) else cases[0]["name"]
    browser.get(f"{server}/cases/{name}")
    _wait(browser, "#h-scen")
    _shot(browser, out_dir, f"case-{name}")
    assert _console_errors(browser) == []
    assert browser.find_elements(By.ID, "answer") and browser.find_elements(By.ID, "report-link")
    assert "[Driver chart" not in browser.page_source and "engine defaults" not in browser.page_source
    from selenium.webdriver.support.ui import Select

    options = [o.get_attribute("value") for o in browser.find_elements(By.CSS_SELECTOR, "#scenario option")
               if o.get_attribute("value") not in ("", "status-quo")]  # the engine draws the status quo beside each
    labels = [o.text for o in browser.find_elements(By.CSS_SELECTOR, "#scenario option")]
    assert "war-ends" not in labels and "The Ukraine war ends by the end of 2027" in labels  # labels, not slugs
    assert len(options) >= 2, options
    options = ["war-ends", "leader-change"] if {"war-ends", "leader-change"} <= set(options) else options
    curves = []
    for s in options[:2]:
        Select(browser.find_element(By.ID, "scenario")).select_by_value(s)  # app.js submits on change
        _wait(browser, f'#curves polyline.curve[data-scenario="{s}"]', timeout=600)
        curves.append(browser.find_element(By.CSS_SELECTOR, f'#curves polyline.curve[data-scenario="{s}"]').get_attribute("points"))
        assert browser.find_element(By.CSS_SELECTOR, "#scenario option:checked").get_attribute("value") == s
        _shot(browser, out_dir, f"case-{name}-{s}")
    assert curves[0] != curves[1]
    assert _console_errors(browser) == []
    browser.find_element(By.ID, "report-link").click()  # the report of the same forecast, self-contained
    _wait(browser, "#provenance", timeout=600)
    _shot(browser, out_dir, f"case-{name}-report")
    assert _console_errors(browser) == []
