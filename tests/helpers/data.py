"""Helpers for the data-store tests: a symlinked copy of the data directory that single files can be damaged in,
a local HTTP server (127.0.0.1 only), and a way to run the real CLI entry point in-process."""
from __future__ import annotations

import os
import shutil
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest


def mirror_data_dir(src: Path, dst: Path, only: list[str] | None = None) -> Path:
    """Symlink every file of ``src`` (or only the relative paths in ``only``) into ``dst``."""
    for p in src.rglob("*"):
        if p.is_file():
            rel = p.relative_to(src).as_posix()
            if only is not None and rel not in only:
                continue
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            os.symlink(p, dst / rel)
    return dst


def damage(root: Path, rel: str, fn) -> Path:
    """Replace the symlink ``root/rel`` by a real file holding ``fn(original bytes)``."""
    p = root / rel
    data = p.read_bytes()
    p.unlink()
    p.write_bytes(fn(data))
    return p


def copy_real(src: Path, dst: Path, rel: str) -> Path:
    (dst / rel).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src / rel, dst / rel)
    return dst / rel


def url_path(url: str) -> str:
    return unquote(urlsplit(url).path)


class Server:
    """Serve ``routes`` {path: bytes | ("truncate", bytes) | ("flaky", n_failures, bytes)} on 127.0.0.1:random."""

    def __init__(self):
        self.routes: dict[str, object] = {}
        self.log: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802
                path = unquote(urlsplit(self.path).path)
                outer.log.append(path)
                r = outer.routes.get(path)
                if r is None:
                    body = b"not found"
                    self.send_response(404)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if isinstance(r, tuple) and r[0] == "truncate":
                    body = r[1]
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if isinstance(r, tuple) and r[0] == "flaky":
                    _, n, body = r
                    if outer.log.count(path) <= n:
                        self.send_response(503)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    r = body
                self.send_response(200)
                self.send_header("Content-Length", str(len(r)))
                self.end_headers()
                self.wfile.write(r)

            def log_message(self, *args):
                pass

        class Quiet(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                # A client that hangs up on a kept-alive connection (as httpx does after an error) is not a
                # test failure; keep the server's traceback out of the captured CLI output.
                outer.errors.append(sys.exc_info()[1])

        self.errors: list[BaseException] = []
        self.httpd = Quiet(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def run_cli(args: list[str], capsys, monkeypatch) -> tuple[int, str, str]:
    """Run ``pactwatch ARGS`` through pactwatch.cli.main() (with its error handling); return (code, stdout, stderr)."""
    from pactwatch.cli import main

    monkeypatch.setattr(sys, "argv", ["pactwatch", *[str(a) for a in args]])
    monkeypatch.setenv("COLUMNS", "200")
    capsys.readouterr()
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


def leftovers(root: Path) -> list[str]:
    """Temporary files a fetch or build must not leave behind."""
    return [p.name for p in root.rglob("*") if p.name.startswith((".part-", ".pactwatch-fetch-")) or ".tmp-" in p.name]


needs_data = pytest.mark.usefixtures("data_dir")
