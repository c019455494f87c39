"""The pactwatch web app: pages for analysts and a REST API, served locally (``pactwatch serve``).

    >>> from pactwatch.web.app import create_app
    >>> app = create_app(data_dir="../shared/data")          # an ASGI app: uvicorn, or FastAPI's TestClient

Everything is read-only and offline: no page loads anything from another host (a Content-Security-Policy of 'self'
enforces it), charts are SVG drawn on the server, and errors are RFC 9457 problems (``application/problem+json``) under
``/api`` and HTML error pages elsewhere. Request bodies over 1 MB are refused with 413 before they are read in full.
Every response (413 and 500 included) carries the CSP and ``nosniff`` headers; HEAD is answered like GET without the
body; with ``allowed_hosts`` (``pactwatch serve`` always passes them) other Host headers get 400 (DNS rebinding).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from pactwatch.errors import DataMissingError, PactwatchError
from pactwatch.web.services import WebError, WebState, default_cases_dir

HERE = Path(__file__).resolve().parent
MAX_BODY_BYTES = 1_000_000
PROBLEM = "application/problem+json"
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def problem(status: int, title: str, detail: str, type_: str = "about:blank", **extra) -> JSONResponse:
    return JSONResponse({"type": type_, "title": title, "status": status, "detail": detail, **extra},
                        status_code=status, media_type=PROBLEM)


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with a 413 problem: by Content-Length when given, else while reading
    (chunked uploads). The body is buffered (at most ``limit`` bytes) and replayed to the app."""

    def __init__(self, app, limit: int = MAX_BODY_BYTES):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        cl = headers.get(b"content-length")
        too_big = None
        if cl is not None:
            try:
                if int(cl) > self.limit:
                    too_big = int(cl)
            except ValueError:
                return await self._send(scope, send, problem(400, "Bad Content-Length", f"Content-Length {cl!r} is not a number"))
        chunks, size = [], 0
        if too_big is None:
            more = True
            while more:
                msg = await receive()
                if msg["type"] == "http.disconnect":
                    return
                body = msg.get("body", b"")
                size += len(body)
                if size > self.limit:
                    too_big = size
                    break
                chunks.append(body)
                more = msg.get("more_body", False)
        if too_big is not None:
            return await self._send(scope, send, problem(
                413, "Request body too large",
                f"the request body has {'at least ' if cl is None else ''}{too_big:,} bytes; the limit is {self.limit:,} bytes"))
        data = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": data, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    async def _send(self, scope, send, resp):
        async def _noreceive():
            return {"type": "http.disconnect"}
        await resp(scope, _noreceive, send)


SECURITY_HEADERS = ((b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"))


class Edge:
    """The outermost layer, around Starlette's own error handling, so that it sees every response: adds
    :data:`SECURITY_HEADERS` where a response lacks them (the 413 of :class:`BodyLimit` and the 500 of an unhandled
    error included), and answers HEAD as GET without the body (RFC 9110: same headers, Content-Length included)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}

        async def send_secured(msg):
            if msg["type"] == "http.response.start":
                have = {k.lower() for k, _ in msg.get("headers", [])}
                msg = {**msg, "headers": [*msg.get("headers", []), *(h for h in SECURITY_HEADERS if h[0] not in have)]}
            elif head and msg["type"] == "http.response.body":
                msg = {**msg, "body": b""}
            await send(msg)

        return await self.app(scope, receive, send_secured)


class PactwatchApp(FastAPI):
    """FastAPI with :class:`Edge` (and, when ``allowed_hosts`` is set, Starlette's TrustedHostMiddleware) wrapped
    around the whole middleware stack, Starlette's 500 handler included."""

    allowed_hosts: Sequence[str] | None = None

    def build_middleware_stack(self):
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        inner = super().build_middleware_stack()
        if self.allowed_hosts is not None:
            inner = TrustedHostMiddleware(inner, allowed_hosts=list(self.allowed_hosts), www_redirect=False)
        return Edge(inner)


def _wants_problem(request: Request) -> bool:
    return request.url.path.startswith("/api") or request.url.path == "/openapi.json"


def create_app(data_dir: str | Path | None = None, db: str | Path | None = None, cases_dir: str | Path | None = None,
               events_dir: str | Path | None = None, news_db: str | Path | None = None,
               allowed_hosts: Sequence[str] | None = None) -> FastAPI:
    """The app over ``data_dir`` (default $PACTWATCH_DATA_DIR), the store ``db`` (default: the built store if any),
    ``cases_dir`` (default $PACTWATCH_CASES_DIR or the checkout's ``cases/``), the events reference directory and the
    news store (their defaults as in ``pactwatch events``). Nothing is loaded until a page needs it.

    ``allowed_hosts``: Host header values answered (e.g. ``["127.0.0.1", "localhost", "[::1]"]``; ``"*"`` any; an IPv6
    address in brackets); others get 400. None (the default, for tests and embedding) checks nothing; ``pactwatch
    serve`` always passes loopback, its ``--host`` and each ``--allow-host``."""
    from pactwatch.web import api, pages

    app = PactwatchApp(
        title="pactwatch",
        summary="Alliance durability forecasts, the ATOP alliance explorer and an event reader, served locally.",
        description=("Read-only. Errors are RFC 9457 problem details (`application/problem+json`). Request bodies are "
                     f"limited to {MAX_BODY_BYTES:,} bytes. Datasets: ATOP 5.1 (alliances to 31 Dec 2018), COW state list."),
        version=_version(),
        docs_url=None, redoc_url=None,  # Swagger UI / ReDoc load from a CDN; the offline reference is /api-docs
    )
    app.allowed_hosts = list(allowed_hosts) if allowed_hosts is not None else None
    app.state.web = WebState(data_dir=Path(data_dir) if data_dir else None, db=Path(db) if db else None,
                             cases_dir=Path(cases_dir) if cases_dir else default_cases_dir(),
                             events_dir=Path(events_dir) if events_dir else None,
                             news_db=Path(news_db) if news_db else None)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(WebError)
    async def _web_error(request: Request, exc: WebError):
        if _wants_problem(request):
            return problem(exc.status, exc.title, exc.detail, exc.type)
        return pages.error_page(request, exc.status, exc.title, exc.detail)

    @app.exception_handler(PactwatchError)
    async def _pw_error(request: Request, exc: PactwatchError):
        status, title = (503, "Data not available") if isinstance(exc, DataMissingError) else (422, "Invalid input")
        if _wants_problem(request):
            return problem(status, title, str(exc))
        return pages.error_page(request, status, title, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errs = [{"loc": [str(x) for x in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type", "")}
                for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(e['loc'][1:]) or e['loc'][0] if e['loc'] else 'request'}: {e['msg']}" for e in errs)
        if _wants_problem(request):
            return problem(422, "Invalid input", detail or "the request is not valid", errors=errs)
        return pages.error_page(request, 422, "Invalid input", detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        titles = {400: "Bad request", 404: "Not found", 405: "Method not allowed"}
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"nothing at {request.url.path}"
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path} (the API is read-only)"
        if _wants_problem(request):
            resp = problem(exc.status_code, titles.get(exc.status_code, "Error"), detail)
        else:
            resp = pages.error_page(request, exc.status_code, titles.get(exc.status_code, "Error"), detail)
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        return resp

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception):
        import logging

        logging.getLogger("pactwatch.web").exception("unhandled error on %s", request.url.path)
        msg = f"internal error ({type(exc).__name__}); the server log has the details"
        if _wants_problem(request):
            return problem(500, "Internal error", msg)
        return pages.error_page(request, 500, "Internal error", msg)

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    return app


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("pactwatch")
    except Exception:  # noqa: BLE001 - not installed (running from a checkout)
        return "0"


def _openapi(app: FastAPI) -> dict:
    """FastAPI's document with every error response declared as an RFC 9457 problem (``application/problem+json``),
    413 declared on bodies, and the page routes left out (they are HTML for people, not API)."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    doc = get_openapi(title=app.title, version=app.version, summary=app.summary, description=app.description,
                      routes=app.routes)  # the page routes are include_in_schema=False
    comps = doc.setdefault("components", {}).setdefault("schemas", {})
    from pactwatch.web.api import Problem

    comps["Problem"] = Problem.model_json_schema()
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, ops in doc.get("paths", {}).items():
        for method, op in ops.items():
            resp = op.setdefault("responses", {})
            if method == "post":
                resp.setdefault("400", {"description": "The body is not valid JSON"})
                resp.setdefault("413", {"description": "Request body too large"})
            if op.get("parameters") or op.get("requestBody"):
                resp.setdefault("422", {"description": "Invalid input"})
            for code, r in resp.items():
                if code.isdigit() and int(code) >= 400:
                    r["content"] = {PROBLEM: {"schema": ref}}
    for unused in ("HTTPValidationError", "ValidationError"):
        comps.pop(unused, None)
    app.openapi_schema = doc
    return doc
