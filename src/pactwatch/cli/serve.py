"""`pactwatch serve`: the web app and REST API on this machine (FastAPI + uvicorn).

Mount in cli/__init__.py:
    from pactwatch.cli import serve as serve_cli
    app.command("serve", help="The web app and REST API, on 127.0.0.1 by default.")(serve_cli.serve)

Connections (so that idle or slow clients cannot starve real requests; each one is a `serve` option):

- ``--header-timeout`` (10 s): a connection must send a request's complete headers within this time of starting to
  send it (or of connecting); otherwise it is closed. uvicorn itself has no such deadline: a client that opens a
  socket and sends one header line a minute holds it forever.
- ``--keep-alive`` (5 s): an idle keep-alive connection is closed after this time (uvicorn's ``timeout_keep_alive``).
- ``--max-connections`` (500): open connections. When a new one would pass the limit, the connections that have
  waited longest for a request's headers are closed first; only when every connection is busy with a request does a
  new request get 503 (uvicorn's ``limit_concurrency``, which counts idle connections too: with the old limit of 256,
  300 idle sockets made every request 503).
- the listen backlog is 2048 (uvicorn's ``backlog``) and request headers are limited to 16 KiB
  (``h11_max_incomplete_event_size``; larger headers get 400).
- Host header: only ``127.0.0.1``, ``localhost``, ``[::1]``, the ``--host`` address and each ``--allow-host`` are
  answered (400 otherwise), so a web page elsewhere cannot reach the app through DNS rebinding.
"""
from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Optional, Sequence

import typer

from pactwatch.cli.common import DataDirOpt, DbOpt, console_err
from pactwatch.errors import PactwatchError


HEADER_TIMEOUT_S = 10.0
KEEP_ALIVE_S = 5
MAX_CONNECTIONS = 500
BACKLOG = 2048
MAX_HEADER_BYTES = 16 * 1024
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def allowed_hosts(host: str, extra: Sequence[str] = ()) -> list[str]:
    """Host header values the server answers: loopback names, the address it listens on, and ``extra``."""
    def norm(h: str) -> str:
        h = h.strip().lower()
        try:
            return f"[{h}]" if ipaddress.ip_address(h).version == 6 else h
        except ValueError:
            return h
    out = []
    for h in (*LOOPBACK_HOSTS, host, *extra):
        if h.strip() and norm(h) not in out:
            out.append(norm(h))
    return out


def guarded_protocol(header_timeout: float = HEADER_TIMEOUT_S, max_connections: int = MAX_CONNECTIONS):
    """uvicorn's h11 protocol with a deadline for request headers and eviction of the longest-waiting idle connection
    when ``max_connections`` would be exceeded (see the module docstring)."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(H11Protocol):
        _deadline = None
        _waiting_since = 0.0

        def _waiting(self) -> bool:
            """No request in progress: the connection waits for (the rest of) a request's headers."""
            return self.cycle is None or self.cycle.response_complete

        def _arm(self) -> None:
            if self._deadline is None:
                self._waiting_since = self.loop.time()
                self._deadline = self.loop.call_later(header_timeout, self._timed_out)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _timed_out(self) -> None:
            self._deadline = None
            if self._waiting() and not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._arm()
            over = len(self.connections) - (max_connections - 1)
            if over > 0:
                idle = sorted((c for c in self.connections if c is not self and isinstance(c, GuardedH11Protocol)
                               and c._waiting() and not c.transport.is_closing()), key=lambda c: c._waiting_since)
                for c in idle[:over]:
                    c.transport.close()

        def data_received(self, data: bytes) -> None:
            if self._waiting():
                self._arm()
            super().data_received(data)
            if not self._waiting():
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._waiting_since = self.loop.time()  # idle from now on (uvicorn's keep-alive timer runs)

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

    return GuardedH11Protocol


def serve(host: Annotated[str, typer.Option("--host", help="Address to listen on. Anything but loopback exposes the app to the network.")] = "127.0.0.1",
          port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port (0: any free port).")] = 8000,
          data_dir: DataDirOpt = None, db: DbOpt = None,
          cases_dir: Annotated[Optional[Path], typer.Option("--cases-dir", help="Folder of case YAML files (default $PACTWATCH_CASES_DIR or the checkout's cases/).")] = None,
          events_dir: Annotated[Optional[Path], typer.Option("--events-dir", help="Events reference directory (as for `pactwatch events`).")] = None,
          news_db: Annotated[Optional[Path], typer.Option("--news-db", help="News store for the dyad monitor (default $PACTWATCH_NEWS_DB or ~/.pactwatch/news.duckdb).")] = None,
          workers: Annotated[int, typer.Option("--workers", min=1, max=16, help="Worker threads for page and API requests.")] = 8,
          log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level: critical, error, warning, info, debug.")] = "info",
          allow_host: Annotated[Optional[list[str]], typer.Option("--allow-host", help="Also answer requests whose Host header is this name (repeatable; loopback names and --host are always allowed; '*' allows any).")] = None,
          header_timeout: Annotated[float, typer.Option("--header-timeout", min=0.1, help="Seconds a connection may take to send a request's headers before it is closed.")] = HEADER_TIMEOUT_S,
          keep_alive: Annotated[int, typer.Option("--keep-alive", min=1, help="Seconds an idle keep-alive connection stays open.")] = KEEP_ALIVE_S,
          max_connections: Annotated[int, typer.Option("--max-connections", min=2, help="Open connections; past it the longest-idle ones are closed, and requests get 503 only when all are busy.")] = MAX_CONNECTIONS) -> None:
    """Serve pactwatch's pages (cases, alliance explorer, reader) and its REST API (/api, /openapi.json).

    Idle or slow connections are closed after --header-timeout / --keep-alive and evicted past --max-connections, so
    they cannot starve real requests; only Host headers naming loopback, --host or an --allow-host are answered."""
    import anyio.to_thread
    import uvicorn

    from pactwatch.web.app import create_app

    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        console_err.print(f"[yellow]warning:[/] listening on {host}: the app is reachable from other machines "
                          "(it is read-only and has no authentication); clients must use a Host name given with "
                          "--allow-host", highlight=False)
    if cases_dir is not None and not cases_dir.is_dir():
        raise PactwatchError(f"--cases-dir {cases_dir}: no such folder")
    hosts = allowed_hosts(host, allow_host or ())
    app = create_app(data_dir=data_dir, db=db, cases_dir=cases_dir, events_dir=events_dir, news_db=news_db,
                     allowed_hosts=hosts)

    @app.on_event("startup")
    async def _threads() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = workers

    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=log_level == "debug",
                            http=guarded_protocol(header_timeout, max_connections),
                            limit_concurrency=max_connections, timeout_keep_alive=keep_alive, backlog=BACKLOG,
                            h11_max_incomplete_event_size=MAX_HEADER_BYTES)
    server = uvicorn.Server(config)
    try:
        server.run()
    except OSError as exc:
        raise PactwatchError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


if __name__ == "__main__":  # python -m pactwatch.cli.serve (tests and benchmarks start the server this way)
    import sys

    try:
        typer.run(serve)
    except PactwatchError as exc:
        console_err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(exc.exit_code)
