"""The FastAPI application frame every service shares: health, readiness, metrics, errors, logs.

Each app also serves its API's documentation: ``/openapi.json``, where every ``/v1/`` operation
declares the bearer scheme and its 401/403 (and 404 when it names a resource by id), and ``/docs``,
Swagger UI served from the ``fastapi-swagger`` package's files rather than a CDN, so it works on an
offline provincial network.

Request latency is measured by a plain ASGI middleware (`LatencyMiddleware`), not
``@app.middleware("http")``: Starlette's `BaseHTTPMiddleware` costs about 0.4 ms of CPU per
request (a task and memory streams per call), more than a whole ingest request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry, Histogram
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dunghan_common.auth import bearer
from dunghan_common.metrics import exposition
from dunghan_common.settings import MetricsSettings, secret_matches

log = logging.getLogger(__name__)
ReadinessCheck = tuple[str, Callable[[], Awaitable[None]]]
# A client may send any method name; only these become label values (bounded).
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: Where /docs loads Swagger UI's script, style and icon from: files of the fastapi-swagger package.
DOCS_ASSETS = "/docs/assets"
BEARER = "bearer"
_BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "`Authorization: Bearer <token>`: a query-API token from configuration (role "
    "ops, unit or dost); ingest's push endpoints take the sending source's API key the same way.",
}
_ACCESS_ERRORS = {
    "401": "Missing or unknown bearer token (`WWW-Authenticate: Bearer`).",
    "403": "The token's role or unit may not use this endpoint or see this resource.",
}
_NOT_FOUND = "No such resource (unknown id)."


def create_app(
    title: str,
    registry: CollectorRegistry,
    readiness: Sequence[ReadinessCheck],
    description: str = "",
    metrics: MetricsSettings | None = None,
    **kwargs: Any,
) -> FastAPI:
    """Create an app with ``/healthz``, ``/readyz``, ``/metrics``, JSON errors and offline docs.

    ``docs_url`` (default ``/docs``) or ``openapi_url`` None: no Swagger UI. ReDoc, which FastAPI
    would load from a CDN, is not served. ``/metrics`` wants the bearer token of
    ``metrics.token_hash`` when one is set.
    """
    docs_url = kwargs.pop("docs_url", "/docs")
    kwargs.setdefault("redoc_url", None)
    app = FastAPI(title=title, description=description, version="0.1.0", docs_url=None, **kwargs)
    latency = Histogram(
        "dunghan_http_request_duration_seconds",
        "HTTP request latency by route template, method and status class.",
        ["route", "method", "status"],
        registry=registry,
        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    )
    app.state.latency = latency  # for a service serving a hot route ahead of the app
    _add_probes(app, registry, readiness, metrics or MetricsSettings(token_hash=None))
    _add_error_handlers(app)
    _document_access(app)
    if docs_url is not None and app.openapi_url is not None:
        _add_offline_docs(app, docs_url, app.openapi_url)

    app.add_middleware(RejectNulMiddleware)
    app.add_middleware(LatencyMiddleware, latency=latency)
    return app


def create_ops_app(
    title: str,
    registry: CollectorRegistry,
    readiness: Sequence[ReadinessCheck],
    metrics: MetricsSettings | None = None,
) -> FastAPI:
    """Create the HTTP face of a worker role: only ``/healthz``, ``/readyz`` and ``/metrics``.

    Worker roles (consumers, relays, ticks) serve no business routes; this lets Kubernetes probe
    them over HTTP and Prometheus scrape their registry. No OpenAPI document: nothing to document.
    """
    return create_app(
        title,
        registry,
        readiness,
        description="Operations endpoints of a worker role.",
        metrics=metrics,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )


class RejectNulMiddleware:
    """Answers 400 to a path or query carrying U+0000: PostgreSQL text cannot hold it (a 500)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse the request before routing, or pass it on."""
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope["query_string"]):
            body = JSONResponse({"detail": "NUL (%00) is not accepted in the path or query"}, 400)
            await body(scope, receive, send)
            return
        await self._app(scope, receive, send)


class LatencyMiddleware:
    """Observes every HTTP request: route template (``unmatched`` if none), method, status class."""

    def __init__(self, app: ASGIApp, latency: Histogram) -> None:
        self._app = app
        self._latency = latency
        self._children: dict[tuple[str, str, int], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request until the app returns (its response sent), whatever happens."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # if the app raises before answering, the error middleware answers 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, send_and_note)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"] if scope["method"] in _METHODS else "other"
            key = (route, method, status // 100)
            child = self._children.get(key)
            if child is None:  # `labels()` costs a few µs; the label sets are few and bounded
                child = self._children[key] = self._latency.labels(route, method, f"{key[2]}xx")
            child.observe(time.perf_counter() - start)


def _add_probes(
    app: FastAPI,
    registry: CollectorRegistry,
    checks: Sequence[ReadinessCheck],
    settings: MetricsSettings,
) -> None:
    @app.get("/healthz", tags=["operations"], summary="Process alive (no dependencies)")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="Kafka and database reachable")
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks:
            try:
                await check()
                results[name] = "ok"
            except Exception as exc:
                results[name] = f"unavailable: {type(exc).__name__}"
        ready = all(v == "ok" for v in results.values())
        body = {"status": "ready" if ready else "not_ready", "checks": results}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics")
    async def metrics(request: Request) -> Response:
        if settings.token_hash is not None:
            _require_metrics_token(request, settings.token_hash)
        body, content_type = exposition(registry)
        return Response(body, media_type=content_type)


def _add_offline_docs(app: FastAPI, docs_url: str, openapi_url: str) -> None:
    assets = StaticFiles(packages=[("fastapi_swagger", "resources")])
    app.mount(DOCS_ASSETS, assets, name="swagger-ui-assets")

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title}: API",
            swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon-32x32.png",
        )


def _document_access(app: FastAPI) -> None:
    """Make the app's OpenAPI document declare the bearer scheme and the access errors."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = with_access(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def with_access(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare, on every ``/v1/`` operation, the bearer scheme, 401, 403 and, by id, 404.

    Every business route of the services takes a bearer token (the contract's query tokens, or
    ingest's source keys); the probes and ``/metrics`` take none. Responses an operation already
    documents itself are kept.
    """
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})[BEARER] = _BEARER_SCHEME
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/v1/"):
            continue
        for operation in operations.values():
            operation.setdefault("security", [{BEARER: []}])
            responses = operation.setdefault("responses", {})
            for status, text in _ACCESS_ERRORS.items():
                responses.setdefault(status, _error(text))
            if _names_a_resource(operation):
                responses.setdefault("404", _error(_NOT_FOUND))
    return schema


def _names_a_resource(operation: dict[str, Any]) -> bool:
    return any(
        p.get("in") == "path" and p.get("name", "").endswith("id")
        for p in operation.get("parameters", [])
    )


def _error(description: str) -> dict[str, Any]:
    body = {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}}
    return {"description": description, "content": {"application/json": {"schema": body}}}


def _require_metrics_token(request: Request, token_hash: str) -> None:
    """401 unless the request carries the metrics bearer token."""
    if not secret_matches(bearer(request), token_hash):
        raise StarletteHTTPException(401, "unknown bearer token", {"WWW-Authenticate": "Bearer"})


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("body",)),
                "message": e.get("msg", "invalid"),
            }
            for e in exc.errors()
        ]
        return JSONResponse({"errors": errors}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = getattr(exc, "headers", None)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc, extra={"path": request.url.path})
        return JSONResponse({"detail": "internal error"}, status_code=500)
