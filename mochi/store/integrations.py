"""Repository functions for integration_configs: GitHub and Jira URLs and credentials.

Credentials (tokens, a GitHub App's private key) are one encrypted JSON object per integration;
non-secret settings (Jira email, GitHub App id) are plain JSON. `load_integration` is what a
GitHub or Jira client builder calls to get them back decrypted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mochi.errors import UsageError
from mochi.store.crypto import Cipher, mask
from mochi.store.models import INTEGRATION_KINDS, IntegrationRow

DEFAULT_URLS = {"github": "https://api.github.com"}


@dataclass(frozen=True)
class Integration:
    """A decrypted integration configuration."""

    kind: str
    url: str
    credentials: dict[str, str] = field(default_factory=dict, repr=False)
    settings: dict[str, Any] = field(default_factory=dict)


def check_kind(kind: str) -> str:
    if kind not in INTEGRATION_KINDS:
        raise UsageError(f"unknown integration '{kind}': use one of {', '.join(INTEGRATION_KINDS)}")
    return kind


def set_integration(
    engine: Engine,
    cipher: Cipher,
    kind: str,
    *,
    url: str,
    credentials: dict[str, str],
    settings: dict[str, Any] | None = None,
) -> int:
    """Create or replace the configuration of `kind`; the credentials are stored encrypted."""
    check_kind(kind)
    encrypted = cipher.encrypt(json.dumps(credentials)) if credentials else None
    with Session(engine) as session, session.begin():
        row = session.scalar(select(IntegrationRow).where(IntegrationRow.kind == kind))
        if row is None:
            row = IntegrationRow(kind=kind, url=url, settings={})
            session.add(row)
        row.url = url.rstrip("/")
        row.credentials_encrypted = encrypted
        row.settings = dict(settings or {})
        session.flush()
        return row.id


def list_integrations(engine: Engine) -> list[dict[str, Any]]:
    """Every integration, credentials masked (names of the stored fields only)."""
    with Session(engine) as session:
        rows = session.scalars(select(IntegrationRow).order_by(IntegrationRow.kind))
        return [
            {
                "id": r.id,
                "kind": r.kind,
                "url": r.url,
                "credentials": mask(r.credentials_encrypted),
                "settings": r.settings,
                "updated_at": r.updated_at.isoformat(),
            }
            for r in rows
        ]


def load_integration(engine: Engine, cipher: Cipher, kind: str) -> Integration | None:
    """The configuration of `kind`, decrypted; None when none is stored. CredentialError on a wrong key."""
    check_kind(kind)
    with Session(engine) as session:
        row = session.scalar(select(IntegrationRow).where(IntegrationRow.kind == kind))
        if row is None:
            return None
        url, token, settings = row.url, row.credentials_encrypted, dict(row.settings)
    credentials: dict[str, str] = json.loads(cipher.decrypt(token)) if token else {}
    return Integration(kind=kind, url=url, credentials=credentials, settings=settings)
