"""Repository functions for review_templates: prompt templates per language and framework.

An active stored template replaces the packaged file template of the same language and framework
(see `template_name`), ahead of a repository's `.mochi/prompts/` override.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mochi.errors import ConfigError
from mochi.store.errors import NotFoundError, StoreError
from mochi.store.models import TemplateRow


def template_name(language: str, framework: str) -> str:
    """The file template a stored one replaces: `frameworks/<fw>.md.j2`, else `languages/<lang>.md.j2`."""
    if framework:
        return f"frameworks/{framework}.md.j2"
    return f"languages/{language}.md.j2"


def check_syntax(content: str, name: str) -> None:
    """ConfigError, naming the line, when `content` is not valid Jinja."""
    from jinja2 import TemplateSyntaxError
    from jinja2.sandbox import SandboxedEnvironment

    try:
        SandboxedEnvironment().parse(content)
    except TemplateSyntaxError as exc:
        raise ConfigError(
            f"template '{name}', line {exc.lineno}, is not valid Jinja: {exc.message}"
        ) from None


def add_template(
    engine: Engine, *, name: str, language: str, framework: str = "", content: str, active: bool = True
) -> int:
    language, framework = _norm(language), _norm(framework)
    check_syntax(content, name)
    try:
        with Session(engine) as session, session.begin():
            if active:
                _check_free(session, language, framework, None)
            row = TemplateRow(
                name=name, language=language, framework=framework, content=content, active=active
            )
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        raise StoreError(
            f"a template named '{name}' exists already, or another active template covers "
            f"{template_name(language, framework)}: `mochi templates list`"
        ) from None


def update_template(
    engine: Engine,
    ref: str,
    *,
    name: str | None = None,
    language: str | None = None,
    framework: str | None = None,
    content: str | None = None,
    active: bool | None = None,
) -> None:
    if content is not None:
        check_syntax(content, name or ref)
    try:
        with Session(engine) as session, session.begin():
            row = _find(session, ref)
            if name is not None:
                row.name = name
            if language is not None:
                row.language = _norm(language)
            if framework is not None:
                row.framework = _norm(framework)
            if content is not None:
                row.content = content
            if active is not None:
                row.active = active
            if row.active:
                _check_free(session, row.language, row.framework, row.id)
    except IntegrityError:
        raise StoreError(f"the template name '{name}' is taken: choose another") from None


def remove_template(engine: Engine, ref: str) -> None:
    with Session(engine) as session, session.begin():
        session.delete(_find(session, ref))


def list_templates(engine: Engine) -> list[dict[str, Any]]:
    with Session(engine) as session:
        rows = session.scalars(
            select(TemplateRow).order_by(TemplateRow.language, TemplateRow.framework, TemplateRow.id)
        )
        return [template_dict(r, content=False) for r in rows]


def get_template(engine: Engine, ref: str) -> dict[str, Any]:
    with Session(engine) as session:
        return template_dict(_find(session, ref))


def active_templates(engine: Engine) -> dict[str, str]:
    """Template file name -> content, for PromptRenderer(stored=...)."""
    with Session(engine) as session:
        rows = session.scalars(
            select(TemplateRow).where(TemplateRow.active.is_(True)).order_by(TemplateRow.id)
        )
        return {template_name(r.language, r.framework): r.content for r in rows}


def template_dict(row: TemplateRow, *, content: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "language": row.language,
        "framework": row.framework or None,
        "replaces": template_name(row.language, row.framework),
        "active": row.active,
        "updated_at": row.updated_at.isoformat(),
    }
    if content:
        data["content"] = row.content
    return data


# ------------------------------------------------------------------ internals


def _norm(value: str) -> str:
    return value.strip().lower()


def _check_free(session: Session, language: str, framework: str, own_id: int | None) -> None:
    """One active template per file template: a framework template replaces the same file whatever
    its language, so two active ones for one framework would silently shadow each other."""
    wanted = template_name(language, framework)
    for other in session.scalars(select(TemplateRow).where(TemplateRow.active.is_(True))):
        if other.id != own_id and template_name(other.language, other.framework) == wanted:
            raise StoreError(
                f"the active template '{other.name}' (id {other.id}) already replaces {wanted}: "
                f"deactivate it first (`mochi templates update {other.id} --inactive`)"
            )


def _find(session: Session, ref: str) -> TemplateRow:
    row = session.get(TemplateRow, int(ref)) if ref.isdigit() else None
    if row is None:
        row = session.scalar(select(TemplateRow).where(TemplateRow.name == ref))
    if row is None:
        raise NotFoundError(f"there is no template '{ref}': `mochi templates list` shows them")
    return row
