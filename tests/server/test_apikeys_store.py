"""api_keys in the record (migration 0004): only a hash is stored, the role is checked."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from mochi.store import apikeys
from mochi.store.db import open_engine
from tests.store.pg import db_url, pg_database  # noqa: F401 (fixtures)


def test_a_key_is_stored_hashed_and_a_bad_role_is_refused(db_url: str) -> None:  # noqa: F811
    engine = open_engine(db_url)
    _, key = apikeys.create_key(engine, "ops", "admin")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT key_hash FROM api_keys")).scalar_one()
    assert stored == hashlib.sha256(key.encode()).hexdigest() and key not in stored
    assert apikeys.authenticate(engine, key) is not None
    assert apikeys.authenticate(engine, key + "x") is None
    assert apikeys.has_active_keys(engine)
    apikeys.revoke_key(engine, "ops")
    assert apikeys.authenticate(engine, key) is None and not apikeys.has_active_keys(engine)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO api_keys (name, key_hash, role, created_at) "
                "VALUES ('x', 'h', 'owner', CURRENT_TIMESTAMP)"
            )
        )
    engine.dispose()
