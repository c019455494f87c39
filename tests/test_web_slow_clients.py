"""`pactwatch serve` under idle and slow clients (issue 11, section 3): the real server (uvicorn, in a subprocess, on
127.0.0.1 and a free port) while a few hundred sockets send request headers slowly. Bounded: at most 300 sockets, every
wait has a timeout, loopback only; no timing assertions beyond "answers within the timeout"."""
from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("uvicorn")

ANSWER_TIMEOUT_S = 15.0  # a normal request must be answered within this (it takes milliseconds when it works)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str = "/api/health", host: str | None = None) -> int:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=ANSWER_TIMEOUT_S)
    try:
        c.request("GET", path, headers={"Host": host} if host is not None else {})
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


@contextlib.contextmanager
def server(tmp_path: Path, *args: str):
    """`python -m pactwatch.cli.serve` with no datasets (the health and Host checks need none)."""
    port = _free_port()
    (tmp_path / "cases").mkdir(exist_ok=True)
    cmd = [sys.executable, "-m", "pactwatch.cli.serve", "--host", "127.0.0.1", "--port", str(port),
           "--data-dir", str(tmp_path), "--cases-dir", str(tmp_path / "cases"), "--news-db", str(tmp_path / "no.duckdb"),
           "--log-level", "error", *args]
    log = open(tmp_path / f"server-{port}.log", "wb")
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 60
        while True:
            if p.poll() is not None:
                pytest.fail(f"server exited {p.returncode}: {(tmp_path / f'server-{port}.log').read_text()[-2000:]}")
            try:
                if _get(port) == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("server did not start within 60 s")
            time.sleep(0.2)
        yield port
    finally:
        p.terminate()
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=15)
        log.close()


@contextlib.contextmanager
def slow_clients(port: int, n: int):
    """``n`` connections that each sent the start of a request and then nothing more (a slowloris)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=ANSWER_TIMEOUT_S)
            s.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            socks.append(s)
        time.sleep(0.5)  # let the server accept them all
        yield socks
    finally:
        for s in socks:
            s.close()


def _closed_by_server(s: socket.socket) -> bool:
    """True once the server closes the connection (reads what it may still send first); a timeout raises."""
    s.settimeout(ANSWER_TIMEOUT_S)
    try:
        while s.recv(65536):
            pass
        return True
    except ConnectionResetError:
        return True


def test_300_slow_sockets_do_not_starve_a_real_request(tmp_path):
    with server(tmp_path) as port, slow_clients(port, 300):
        assert _get(port) == 200  # the old settings (limit_concurrency=256 counting idle sockets) answered 503
        assert _get(port, "/api/cases") == 200


def test_past_max_connections_the_longest_idle_socket_makes_room(tmp_path):
    with server(tmp_path, "--max-connections", "20") as port, slow_clients(port, 60) as socks:
        assert _get(port) == 200
        assert _closed_by_server(socks[0])  # the oldest idle connection was closed to make room


def test_a_socket_that_never_finishes_its_headers_is_closed(tmp_path):
    with server(tmp_path, "--header-timeout", "1") as port, slow_clients(port, 5) as socks:
        assert all(_closed_by_server(s) for s in socks)
        assert _get(port) == 200


def test_a_keep_alive_connection_that_starts_a_second_request_slowly_is_closed(tmp_path):
    with server(tmp_path, "--header-timeout", "1", "--keep-alive", "30") as port:
        s = socket.create_connection(("127.0.0.1", port), timeout=ANSWER_TIMEOUT_S)
        with s:
            s.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            first = s.recv(65536)
            assert first.startswith(b"HTTP/1.1 200")
            s.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # ... and never the blank line
            assert _closed_by_server(s)


def test_the_server_answers_only_loopback_and_allowed_host_names(tmp_path):
    with server(tmp_path, "--allow-host", "pactwatch.example") as port:
        assert _get(port, host=f"127.0.0.1:{port}") == 200
        assert _get(port, host=f"localhost:{port}") == 200
        assert _get(port, host="pactwatch.example") == 200
        assert _get(port, host="attacker.example") == 400  # a DNS-rebinding page names its own host
