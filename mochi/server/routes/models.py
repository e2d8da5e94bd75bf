"""AI model configurations (ai_model_configs); API keys stored encrypted and returned masked.

GET    /api/models                 reader
POST   /api/models                 admin     201
GET    /api/models/{ref}           reader    ref: the id or the name
PUT    /api/models/{ref}           admin     the fields given change; the others stay
DELETE /api/models/{ref}           admin
POST   /api/models/{ref}/default   admin     the default model (used when nothing else chooses)
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from mochi.server.auth import admin, reader
from mochi.server.envelope import ok
from mochi.server.reads import read
from mochi.store import model_configs

router = APIRouter(prefix="/api/models", tags=["models"])


class ModelIn(BaseModel):
    """A new model configuration."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    name: str = Field(min_length=1, max_length=128)
    provider: str = Field(description="ollama, openai, azure or anthropic")
    model_name: str = Field(min_length=1, max_length=255)
    api_endpoint: str | None = None
    api_key: str | None = Field(None, description="Stored encrypted; never returned.")
    config: dict[str, Any] = Field(default_factory=dict)
    is_active: bool = True
    is_default: bool = False
    prompt_price_per_1k: Decimal | None = Field(None, ge=0)
    completion_price_per_1k: Decimal | None = Field(None, ge=0)


class ModelUpdate(BaseModel):
    """The fields to change (absent or null: unchanged)."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    name: str | None = Field(None, min_length=1, max_length=128)
    provider: str | None = None
    model_name: str | None = Field(None, min_length=1, max_length=255)
    api_endpoint: str | None = None
    api_key: str | None = None
    clear_api_key: bool = False
    config: dict[str, Any] | None = None
    is_active: bool | None = None
    prompt_price_per_1k: Decimal | None = Field(None, ge=0)
    completion_price_per_1k: Decimal | None = Field(None, ge=0)


@router.get("", dependencies=[reader])
async def list_models(request: Request) -> JSONResponse:
    """Every model configuration."""
    return ok({"models": await read(request, model_configs.list_models)})


@router.post("", dependencies=[admin], status_code=201)
def add_model(request: Request, body: ModelIn) -> JSONResponse:
    """Store a model configuration."""
    state = request.app.state
    model_id = model_configs.add_model(
        state.engine,
        state.cipher,
        name=body.name,
        provider=body.provider,
        model_name=body.model_name,
        api_endpoint=body.api_endpoint,
        api_key=body.api_key,
        config=body.config,
        prompt_price_per_1k=body.prompt_price_per_1k,
        completion_price_per_1k=body.completion_price_per_1k,
        default=body.is_default,
        is_active=body.is_active,
    )
    return ok(model_configs.get_model(state.engine, str(model_id)), status=201)


@router.get("/{ref}", dependencies=[reader])
async def get_model(request: Request, ref: str) -> JSONResponse:
    """One model configuration, by id or name."""
    return ok(await read(request, model_configs.get_model, ref))


@router.put("/{ref}", dependencies=[admin])
def update_model(request: Request, ref: str, body: ModelUpdate) -> JSONResponse:
    """Change a model configuration."""
    state = request.app.state
    fields = body.model_dump(exclude={"api_key", "clear_api_key"})
    model_configs.update_model(
        state.engine, state.cipher, ref, api_key=body.api_key, clear_api_key=body.clear_api_key, **fields
    )
    new_ref = body.name if body.name is not None and not ref.isdigit() else ref
    return ok(model_configs.get_model(state.engine, new_ref))


@router.delete("/{ref}", dependencies=[admin])
def delete_model(request: Request, ref: str) -> JSONResponse:
    """Delete a model configuration."""
    engine = request.app.state.engine
    model_id = model_configs.get_model(engine, ref)["id"]
    model_configs.remove_model(engine, ref)
    return ok({"deleted": True, "id": model_id})


@router.post("/{ref}/default", dependencies=[admin])
def make_default(request: Request, ref: str) -> JSONResponse:
    """Make this model the default."""
    engine = request.app.state.engine
    model_id = model_configs.set_default(engine, ref)
    return ok(model_configs.get_model(engine, str(model_id)))
