"""Prompt templates per language and framework (review_templates).

GET    /api/templates          reader    without their content
POST   /api/templates          admin     201; the content must be valid Jinja
GET    /api/templates/{ref}    reader    with the content; ref: the id or the name
PUT    /api/templates/{ref}    admin     the fields given change
DELETE /api/templates/{ref}    admin
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from mochi.server.auth import admin, reader
from mochi.server.envelope import ok
from mochi.server.reads import read
from mochi.store import templates

router = APIRouter(prefix="/api/templates", tags=["templates"])


class TemplateIn(BaseModel):
    """A new template."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=128)
    language: str = Field(min_length=1, max_length=64)
    framework: str = Field("", max_length=64)
    content: str
    active: bool = True


class TemplateUpdate(BaseModel):
    """The fields to change (absent or null: unchanged)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=128)
    language: str | None = Field(None, min_length=1, max_length=64)
    framework: str | None = Field(None, max_length=64)
    content: str | None = None
    active: bool | None = None


@router.get("", dependencies=[reader])
async def list_templates(request: Request) -> JSONResponse:
    """Every template (without its content)."""
    return ok({"templates": await read(request, templates.list_templates)})


@router.post("", dependencies=[admin], status_code=201)
def add_template(request: Request, body: TemplateIn) -> JSONResponse:
    """Store a template."""
    engine = request.app.state.engine
    template_id = templates.add_template(engine, **body.model_dump())
    return ok(templates.get_template(engine, str(template_id)), status=201)


@router.get("/{ref}", dependencies=[reader])
async def get_template(request: Request, ref: str) -> JSONResponse:
    """One template with its content."""
    return ok(await read(request, templates.get_template, ref))


@router.put("/{ref}", dependencies=[admin])
def update_template(request: Request, ref: str, body: TemplateUpdate) -> JSONResponse:
    """Change a template."""
    engine = request.app.state.engine
    template_id = templates.get_template(engine, ref)["id"]
    templates.update_template(engine, str(template_id), **body.model_dump())
    return ok(templates.get_template(engine, str(template_id)))


@router.delete("/{ref}", dependencies=[admin])
def delete_template(request: Request, ref: str) -> JSONResponse:
    """Delete a template."""
    engine = request.app.state.engine
    template_id = templates.get_template(engine, ref)["id"]
    templates.remove_template(engine, str(template_id))
    return ok({"deleted": True, "id": template_id})
