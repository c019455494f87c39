"""`pactwatch serve`: the web app and REST API on this machine (FastAPI + uvicorn).

Mount in cli/__init__.py:
    from pactwatch.cli import serve as serve_cli
    app.command("serve", help="The web app and REST API, on 127.0.0.1 by default.")(serve_cli.serve)
"""
from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Optional

import typer

from pactwatch.cli.common import DataDirOpt, DbOpt, console_err
from pactwatch.errors import PactwatchError


def serve(host: Annotated[str, typer.Option("--host", help="Address to listen on. Anything but loopback exposes the app to the network.")] = "127.0.0.1",
          port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port (0: any free port).")] = 8000,
          data_dir: DataDirOpt = None, db: DbOpt = None,
          cases_dir: Annotated[Optional[Path], typer.Option("--cases-dir", help="Folder of case YAML files (default $PACTWATCH_CASES_DIR or the checkout's cases/).")] = None,
          events_dir: Annotated[Optional[Path], typer.Option("--events-dir", help="Events reference directory (as for `pactwatch events`).")] = None,
          news_db: Annotated[Optional[Path], typer.Option("--news-db", help="News store for the dyad monitor (default $PACTWATCH_NEWS_DB or ~/.pactwatch/news.duckdb).")] = None,
          workers: Annotated[int, typer.Option("--workers", min=1, max=16, help="Worker threads for page and API requests.")] = 8,
          log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level: critical, error, warning, info, debug.")] = "info") -> None:
    """Serve pactwatch's pages (cases, alliance explorer, reader) and its REST API (/api, /openapi.json)."""
    import anyio.to_thread
    import uvicorn

    from pactwatch.web.app import create_app

    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        console_err.print(f"[yellow]warning:[/] listening on {host}: the app is reachable from other machines "
                          "(it is read-only and has no authentication)", highlight=False)
    if cases_dir is not None and not cases_dir.is_dir():
        raise PactwatchError(f"--cases-dir {cases_dir}: no such folder")
    app = create_app(data_dir=data_dir, db=db, cases_dir=cases_dir, events_dir=events_dir, news_db=news_db)

    @app.on_event("startup")
    async def _threads() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = workers

    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=log_level == "debug",
                            limit_concurrency=256, timeout_keep_alive=30)
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
