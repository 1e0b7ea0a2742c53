"""The FastAPI application frame every service shares: health, readiness, metrics, errors, logs."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CollectorRegistry, Histogram
from starlette.exceptions import HTTPException as StarletteHTTPException

from dunghan_common.metrics import exposition

log = logging.getLogger(__name__)
ReadinessCheck = tuple[str, Callable[[], Awaitable[None]]]


def create_app(
    title: str,
    registry: CollectorRegistry,
    readiness: Sequence[ReadinessCheck],
    description: str = "",
    **kwargs: Any,
) -> FastAPI:
    """Create an app with ``/healthz``, ``/readyz``, ``/metrics`` and JSON error bodies."""
    app = FastAPI(title=title, description=description, version="0.1.0", **kwargs)
    latency = Histogram(
        "dunghan_http_request_duration_seconds",
        "HTTP request latency by route template, method and status class.",
        ["route", "method", "status"],
        registry=registry,
        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    )
    _add_probes(app, registry, readiness)
    _add_error_handlers(app)

    @app.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        start = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        status = f"{response.status_code // 100}xx"
        latency.labels(route=template, method=request.method, status=status).observe(
            time.perf_counter() - start
        )
        return response

    return app


def _add_probes(
    app: FastAPI, registry: CollectorRegistry, checks: Sequence[ReadinessCheck]
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
    async def metrics() -> Response:
        body, content_type = exposition(registry)
        return Response(body, media_type=content_type)


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
        log.exception("unhandled error", extra={"path": request.url.path})
        return JSONResponse({"detail": "internal error"}, status_code=500)
