"""Repository functions for api_keys: the keys clients of `mochi serve` authenticate with.

A key is `mochi_` + 32 random url-safe bytes, shown once when it is created; the table keeps only
its SHA-256 (a key has 256 bits of entropy, so a fast hash is enough: there is nothing to brute
force). `authenticate` finds a key by its hash and compares in constant time. A revoked key stays
listed (who had access, until when) but no longer authenticates.

Roles, each allowing what the one before it does: reader (GET), reviewer (also create and delete
reviews), admin (also models, templates, integrations and keys).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mochi.errors import UsageError
from mochi.store.errors import NotFoundError, StoreError
from mochi.store.models import ROLES, ApiKeyRow, utcnow

PREFIX = "mochi_"


def role_rank(role: str) -> int:
    """0 for reader, 1 for reviewer, 2 for admin."""
    return ROLES.index(role)


def hash_key(key: str) -> str:
    """The SHA-256 hex digest the table keeps instead of the key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def check_role(role: str) -> str:
    name = role.strip().lower()
    if name not in ROLES:
        raise UsageError(f"unknown role '{role}': use one of {', '.join(ROLES)}")
    return name


def create_key(engine: Engine, name: str, role: str) -> tuple[int, str]:
    """A new key named `name` with `role`; returns (id, the key). The key is not stored."""
    role = check_role(role)
    name = name.strip()
    if not name or len(name) > 128:
        raise UsageError("a key needs a name of 1 to 128 characters")
    key = PREFIX + secrets.token_urlsafe(32)
    try:
        with Session(engine) as session, session.begin():
            row = ApiKeyRow(name=name, key_hash=hash_key(key), role=role)
            session.add(row)
            session.flush()
            return row.id, key
    except IntegrityError:
        raise StoreError(
            f"a key named '{name}' exists already: choose another name (`mochi apikeys list`)"
        ) from None


def list_keys(engine: Engine) -> list[dict[str, Any]]:
    """Every key, oldest first, without any secret."""
    with Session(engine) as session:
        return [key_dict(r) for r in session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id))]


def revoke_key(engine: Engine, name: str, *, now: datetime | None = None) -> None:
    """The key no longer authenticates (revoking twice keeps the first time)."""
    with Session(engine) as session, session.begin():
        row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.name == name))
        if row is None:
            raise NotFoundError(f"there is no API key '{name}': `mochi apikeys list` shows them")
        if row.revoked_at is None:
            row.revoked_at = now or utcnow()


def has_active_keys(engine: Engine) -> bool:
    """Whether any key can authenticate (`mochi serve` listens beyond loopback only then)."""
    with Session(engine) as session:
        found = session.scalar(select(ApiKeyRow.id).where(ApiKeyRow.revoked_at.is_(None)).limit(1))
        return found is not None


LAST_USED_EVERY = timedelta(seconds=60)


def authenticate(engine: Engine, key: str, *, now: datetime | None = None) -> dict[str, Any] | None:
    """The key's `key_dict` when `key` is a valid, unrevoked key (its last use is recorded); else None."""
    if not key.startswith(PREFIX) or len(key) > 256:
        return None
    digest = hash_key(key)
    now = now or utcnow()
    with Session(engine) as session, session.begin():
        row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == digest))
        # the lookup is by hash (a timing leak there tells nothing about the key); compare anyway
        if row is None or not hmac.compare_digest(row.key_hash, digest) or row.revoked_at is not None:
            return None
        last = row.last_used_at
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=UTC)  # SQLite gives the stored UTC time back naive
        # a write per request would serialise every read on SQLite: the last use is kept to the minute
        if last is None or now - last >= LAST_USED_EVERY:
            row.last_used_at = now
        return key_dict(row)


def key_dict(row: ApiKeyRow) -> dict[str, Any]:
    """The `--json` shape of a key: never the key or its hash."""
    return {
        "id": row.id,
        "name": row.name,
        "role": row.role,
        "user_id": row.user_id,
        "created_at": _iso(row.created_at),
        "last_used_at": _iso(row.last_used_at),
        "revoked_at": _iso(row.revoked_at),
        "revoked": row.revoked_at is not None,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
