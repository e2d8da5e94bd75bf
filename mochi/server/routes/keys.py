"""API keys over HTTP (admin): the same as `mochi apikeys`.

GET    /api/keys          admin   no secrets: name, role, created, last used, revoked
POST   /api/keys          admin   201; the key is in this response and nowhere else, ever
DELETE /api/keys/{name}   admin   revoke (the row stays, for the record)
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from mochi.server.auth import admin
from mochi.server.envelope import ok
from mochi.store import apikeys

router = APIRouter(prefix="/api/keys", tags=["keys"], dependencies=[admin])


class KeyIn(BaseModel):
    """A new key."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=128)
    role: Literal["reader", "reviewer", "admin"]


@router.get("")
def list_keys(request: Request) -> JSONResponse:
    """Every key, without secrets."""
    return ok({"keys": apikeys.list_keys(request.app.state.engine)})


@router.post("", status_code=201)
def create_key(request: Request, body: KeyIn) -> JSONResponse:
    """A new key, shown once."""
    key_id, key = apikeys.create_key(request.app.state.engine, body.name, body.role)
    return ok({"id": key_id, "name": body.name.strip(), "role": body.role, "key": key}, status=201)


@router.delete("/{name}")
def revoke_key(request: Request, name: str) -> JSONResponse:
    """Revoke a key."""
    state = request.app.state
    apikeys.revoke_key(state.engine, name, now=state.clock())
    if getattr(state, "key_cache", None) is not None:
        state.key_cache.clear()  # the revoked key stops here at once (other servers: within the cache's ttl)
    return ok({"revoked": True, "name": name})
