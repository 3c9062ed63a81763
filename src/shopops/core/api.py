"""Platform endpoints: health and version."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection
from ninja import Router, Schema

router = Router(tags=["platform"])


class HealthOut(Schema):
    status: str
    database: str
    cache: str


@router.get("/health", response=HealthOut, auth=None, summary="Liveness and dependency check")
def health(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    cache.set("health:ping", "1", timeout=5)
    return {
        "status": "ok",
        "database": connection.vendor,
        "cache": "ok" if cache.get("health:ping") == "1" else "down",
    }


@router.get("/ping", auth=None, summary="Trivial JSON endpoint (the framework ceiling in benchmarks)")
def ping(request):
    return {"pong": True}
