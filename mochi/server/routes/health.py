"""Health and metrics: no key needed (a load balancer and Prometheus have none).

GET /healthz   200 while the process is up
GET /readyz    200 when the database answers and is at this mochi's schema revision; else 503
GET /metrics   Prometheus text format (see mochi.server.metrics)
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from mochi.store.db import SCHEMA_REVISION, describe, schema_revision

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> JSONResponse:
    """The process is up."""
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """The database is reachable and at the current schema revision."""
    try:
        revision = schema_revision(request.app.state.engine)
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "reason": describe(exc)}, status_code=503)
    if revision != SCHEMA_REVISION:
        reason = f"the schema is at revision {revision}, this mochi needs {SCHEMA_REVISION}"
        return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
    return JSONResponse({"status": "ready", "schema_revision": revision})


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus metrics."""
    return Response(generate_latest(request.app.state.registry), media_type=CONTENT_TYPE_LATEST)
