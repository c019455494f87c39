"""The web app's edge (web/app.py): security headers on every response (413 and 500 included), HEAD answered like
GET, and the Host check against DNS rebinding. In-process (FastAPI TestClient); no datasets needed."""
from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from pactwatch.cli.serve import allowed_hosts  # noqa: E402
from pactwatch.web.app import MAX_BODY_BYTES, create_app  # noqa: E402


@pytest.fixture()
def app(tmp_path):
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "c.yaml").write_text("title: x\nmembers: [365, 731]\n", encoding="utf-8")
    return create_app(data_dir=tmp_path / "no-data", cases_dir=cases, news_db=tmp_path / "absent.duckdb")


def _secured(r):
    assert "default-src 'self'" in r.headers.get("content-security-policy", ""), r.headers
    assert r.headers.get("x-content-type-options") == "nosniff", r.headers


def test_413_carries_csp_and_nosniff(app):
    with TestClient(app) as c:
        r = c.post("/api/events/code", content=b"x" * (MAX_BODY_BYTES + 1), headers={"content-type": "application/json"})
    assert r.status_code == 413
    _secured(r)


def test_500_carries_csp_and_nosniff(app):
    def boom():
        raise RuntimeError("kaputt")

    app.add_api_route("/api/boom", boom, include_in_schema=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/boom")
    assert r.status_code == 500
    assert "kaputt" not in r.text  # the details stay in the server log
    _secured(r)


def test_ordinary_responses_keep_their_headers(app):
    with TestClient(app) as c:
        r = c.get("/api/health")
    assert r.status_code == 200
    _secured(r)
    assert r.headers.get("referrer-policy") == "no-referrer"
    assert r.headers["content-security-policy"].count("default-src") == 1  # not added twice


@pytest.mark.parametrize("path", ["/api/health", "/api/cases", "/"])
def test_head_answers_like_get_without_a_body(app, path):
    with TestClient(app) as c:
        g = c.get(path)
        h = c.head(path)
    assert g.status_code == 200 and h.status_code == 200, (g.status_code, h.status_code)
    assert h.content == b""
    assert h.headers["content-type"] == g.headers["content-type"]
    assert h.headers.get("content-length") == g.headers.get("content-length")
    _secured(h)


def test_head_on_an_unknown_path_is_404_not_405(app):
    with TestClient(app) as c:
        assert c.head("/api/no-such-thing").status_code == 404


def test_allowed_hosts_default_to_loopback_and_the_listen_address():
    assert allowed_hosts("127.0.0.1") == ["127.0.0.1", "localhost", "[::1]"]
    assert allowed_hosts("::1") == ["127.0.0.1", "localhost", "[::1]"]
    assert allowed_hosts("0.0.0.0", ["Pactwatch.Example"]) == ["127.0.0.1", "localhost", "[::1]", "0.0.0.0",
                                                               "pactwatch.example"]
    assert allowed_hosts("fe80::1") [-1] == "[fe80::1]"


@pytest.mark.parametrize("host,status", [
    ("127.0.0.1:8000", 200), ("localhost:8000", 200), ("[::1]:8000", 200), ("LOCALHOST", 200),
    ("pactwatch.example", 200),
    ("evil.example", 400), ("evil.example:8000", 400), ("127.0.0.1.evil.example", 400), ("", 400),
])
def test_host_header_is_checked_against_dns_rebinding(tmp_path, host, status):
    app = create_app(data_dir=tmp_path, cases_dir=tmp_path, allowed_hosts=allowed_hosts("127.0.0.1", ["pactwatch.example"]))
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        r = c.get("/api/health", headers={"host": host})
    assert r.status_code == status, (host, r.status_code, r.text)
    _secured(r)


def test_without_allowed_hosts_create_app_checks_no_host(tmp_path):
    with TestClient(create_app(data_dir=tmp_path, cases_dir=tmp_path)) as c:  # Host: testserver
        assert c.get("/api/health").status_code == 200
