"""Repository functions for integration_configs: GitHub and Jira URLs and credentials.

Credentials (tokens, a GitHub App's private key) are one encrypted JSON object per integration;
non-secret config (Jira email, GitHub App id) is plain JSON. An integration is named, uniquely per
type; `mochi integrations set` names it after its type ("jira") unless told otherwise. An inactive
one is kept but not used by reviews. `load_integration` is what a GitHub or Jira client builder
calls to get one back decrypted.

The `--json` dicts use the design's names (the columns'); until version 2 of the output they also
carry the earlier names (`ALIASES`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, case, select
from sqlalchemy.orm import Session

from mochi.errors import UsageError
from mochi.store.crypto import Cipher, mask
from mochi.store.models import INTEGRATION_TYPES, IntegrationRow

DEFAULT_URLS = {"github": "https://api.github.com"}
# old `--json` name -> the design's name; the old names go in version 2 of the output
ALIASES = {"kind": "type", "url": "api_endpoint", "settings": "config"}


@dataclass(frozen=True)
class Integration:
    """A decrypted integration configuration.

    The fields keep their first names (`kind`, `url`, `settings`: callers build one from the
    environment too); `type`, `api_endpoint` and `config` are the design's names for them.
    """

    kind: str
    url: str
    credentials: dict[str, str] = field(default_factory=dict, repr=False)
    settings: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    is_active: bool = True

    @property
    def type(self) -> str:
        return self.kind

    @property
    def api_endpoint(self) -> str:
        return self.url

    @property
    def config(self) -> dict[str, Any]:
        return self.settings


def check_type(type_: str) -> str:
    if type_ not in INTEGRATION_TYPES:
        raise UsageError(f"unknown integration '{type_}': use one of {', '.join(INTEGRATION_TYPES)}")
    return type_


check_kind = check_type  # its name before the design's


def set_integration(
    engine: Engine,
    cipher: Cipher,
    type_: str,
    *,
    api_endpoint: str,
    credentials: dict[str, str],
    config: dict[str, Any] | None = None,
    name: str | None = None,
    is_active: bool = True,
) -> int:
    """Create or replace the integration `name` (default: the type) of `type_`; the credentials
    are stored encrypted."""
    check_type(type_)
    name = (name or type_).strip()
    if not name:
        raise UsageError("an integration needs a name: drop --name, or give one")
    encrypted = cipher.encrypt(json.dumps(credentials)) if credentials else None
    with Session(engine) as session, session.begin():
        row = session.scalar(
            select(IntegrationRow).where(IntegrationRow.type == type_, IntegrationRow.name == name[:128])
        )
        if row is None:
            row = IntegrationRow(type=type_, name=name[:128], api_endpoint=api_endpoint, config={})
            session.add(row)
        row.api_endpoint = api_endpoint.rstrip("/")
        row.credentials_encrypted = encrypted
        row.config = dict(config or {})
        row.is_active = is_active
        session.flush()
        return row.id


def integration_dict(row: IntegrationRow) -> dict[str, Any]:
    """The `--json` shape: credentials masked (whether any are stored, never what)."""
    data: dict[str, Any] = {
        "id": row.id,
        "type": row.type,
        "name": row.name,
        "api_endpoint": row.api_endpoint,
        "credentials": mask(row.credentials_encrypted),
        "config": row.config,
        "is_active": row.is_active,
        "user_id": row.user_id,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }
    for old, new in ALIASES.items():
        data[old] = data[new]
    return data


def list_integrations(engine: Engine) -> list[dict[str, Any]]:
    """Every integration, credentials masked."""
    with Session(engine) as session:
        rows = session.scalars(select(IntegrationRow).order_by(IntegrationRow.type, IntegrationRow.name))
        return [integration_dict(r) for r in rows]


def load_integration(
    engine: Engine, cipher: Cipher, type_: str, *, name: str | None = None, active_only: bool = False
) -> Integration | None:
    """The integration `name` of `type_`, decrypted; without a name, the one named after its type,
    else the oldest. `active_only`: as a review uses it (an inactive one is not there). None when
    there is none; CredentialError on a wrong key."""
    check_type(type_)
    query = select(IntegrationRow).where(IntegrationRow.type == type_)
    if name is not None:
        query = query.where(IntegrationRow.name == name)
    if active_only:
        query = query.where(IntegrationRow.is_active.is_(True))
    query = query.order_by(case((IntegrationRow.name == type_, 0), else_=1), IntegrationRow.id).limit(1)
    with Session(engine) as session:
        row = session.scalar(query)
        if row is None:
            return None
        url, token, config = row.api_endpoint, row.credentials_encrypted, dict(row.config)
        found_name, active = row.name, row.is_active
    credentials: dict[str, str] = json.loads(cipher.decrypt(token)) if token else {}
    return Integration(
        kind=type_, url=url, credentials=credentials, settings=config, name=found_name, is_active=active
    )
