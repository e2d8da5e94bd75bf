"""GitHub and Jira integrations (integration_configs): credentials stored encrypted, returned masked.

GET /api/integrations          reader
GET /api/integrations/{type}   reader    `?name=` for another than the one named after its type
PUT /api/integrations/{type}   admin     create or replace (credentials included)
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, case, select
from sqlalchemy.orm import Session

from mochi.server.auth import admin, reader
from mochi.server.envelope import ApiError, ok
from mochi.server.reads import read
from mochi.store import integrations
from mochi.store.errors import NotFoundError
from mochi.store.models import IntegrationRow

router = APIRouter(prefix="/api/integrations", tags=["integrations"])

Type = Literal["github", "jira"]


class IntegrationIn(BaseModel):
    """The whole integration (PUT replaces it)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=128, description="Default: the type.")
    api_endpoint: str | None = Field(None, description="Default for github: https://api.github.com")
    credentials: dict[str, str] = Field(default_factory=dict, description="Stored encrypted; never returned.")
    config: dict[str, Any] = Field(default_factory=dict)
    is_active: bool = True


def _find(engine: Engine, type_: str, name: str | None) -> dict[str, Any]:
    query = select(IntegrationRow).where(IntegrationRow.type == type_)
    if name is not None:
        query = query.where(IntegrationRow.name == name)
    query = query.order_by(case((IntegrationRow.name == type_, 0), else_=1), IntegrationRow.id).limit(1)
    with Session(engine) as session:
        row = session.scalar(query)
        if row is None:
            raise NotFoundError(f"there is no {type_} integration" + (f" named '{name}'" if name else ""))
        return integrations.integration_dict(row)


@router.get("", dependencies=[reader])
async def list_integrations(request: Request) -> JSONResponse:
    """Every integration, credentials masked."""
    return ok({"integrations": await read(request, integrations.list_integrations)})


@router.get("/{type_}", dependencies=[reader])
async def get_integration(
    request: Request, type_: Type, name: Annotated[str | None, Query()] = None
) -> JSONResponse:
    """The integration of this type, credentials masked."""
    return ok(await read(request, _find, type_, name))


@router.put("/{type_}", dependencies=[admin])
def put_integration(request: Request, type_: Type, body: IntegrationIn) -> JSONResponse:
    """Create or replace an integration."""
    state = request.app.state
    endpoint = body.api_endpoint or integrations.DEFAULT_URLS.get(type_)
    if not endpoint:
        raise ApiError(400, f"a {type_} integration needs its api_endpoint", details=[{"loc": ["body"]}])
    integrations.set_integration(
        state.engine,
        state.cipher,
        type_,
        api_endpoint=endpoint,
        credentials=body.credentials,
        config=body.config,
        name=body.name,
        is_active=body.is_active,
    )
    return ok(_find(state.engine, type_, (body.name or type_).strip()))
