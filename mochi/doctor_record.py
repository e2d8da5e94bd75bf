"""`mochi doctor`'s checks of the record: where it is, its schema, and the key its credentials need.

Read-only and bounded in time: a database that is down costs its connect timeout once, and doctor
never migrates a database that is behind (see mochi/doctor.py for the other checks).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mochi.doctor import Check, split_fix
from mochi.errors import MochiError
from mochi.store.bounded import RECORD_TIMEOUT_S, _bounded

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mochi.settings import Settings


@dataclass
class Record:
    """What the record's probe found: where it is, its schema, the credentials stored encrypted."""

    check: Check
    readable: bool = False  # at this mochi's schema: the stored default model and Jira can be read
    encrypted: list[tuple[str, str]] | None = None  # (what, Fernet token); None: not known


def probe_record(
    url: str | None, *, enabled: bool | None, from_env: bool, timeout_s: float = RECORD_TIMEOUT_S
) -> Record:
    """Where the record goes and whether it is usable, read-only (a review migrates it; this does not)."""
    if url is None:
        return Record(Check("database", "skip", "no record in CI without MOCHI_DATABASE_URL"), encrypted=[])
    from mochi.store.db import safe_url

    sqlite = url.startswith("sqlite:")
    kind = "PostgreSQL" if url.startswith("postgres") else "the database"
    where = "SQLite " + url.removeprefix("sqlite:///") if sqlite else f"{kind} {safe_url(url)}"
    off = enabled is False
    where += " (the record is off: nothing is recorded)" if off else ""
    if sqlite and not Path(url.removeprefix("sqlite:///")).expanduser().is_file():
        note = "not created" if off else "created on the first review"
        return Record(Check("database", "skip" if off else "ok", f"{where}: {note}"), encrypted=[])
    try:
        revision, encrypted = _bounded(lambda: _read_record(url), timeout_s, "read the record")
    except Exception as exc:
        from mochi.store.db import describe

        unset = ", or unset MOCHI_DATABASE_URL" if from_env else ""
        if isinstance(exc, MochiError):  # the URL itself, or the driver's extra
            reason, fix = split_fix(str(exc))
            fix = fix or f"correct the URL{unset}"
        else:
            reason, fix = describe(exc), f"start it{unset} (reviews still run without the record)"
            if sqlite:
                fix = "check the file and its directory's permissions, or set MOCHI_DATA_DIR"
        return Record(Check("database", "warn" if off else "fail", f"{where}: not usable: {reason}", fix))
    return Record(_schema_line(where, revision), revision == _head(), encrypted)


def _schema_line(where: str, revision: str | None) -> Check:
    line, head = partial(Check, "database"), _head()
    if revision == head:
        return line("ok", f"{where}: schema {revision}, up to date")
    if revision is None:
        return line("ok", f"{where}: empty, the schema is created on the first review")
    from mochi.store import migrate

    if migrate.is_known(revision):
        fix = "run `mochi db upgrade` (the next review upgrades it too)"
        return line("warn", f"{where}: schema {revision}, this mochi's is {head}", fix)
    return line("fail", f"{where}: schema {revision} is newer than this mochi's ({head})", "upgrade mochi")


# What is stored encrypted, at this schema and at the ones before revision 0003 renamed the
# integrations' columns (doctor reads a record that no review has upgraded yet; it never migrates).
_MODEL_KEYS = "SELECT name, api_key_encrypted FROM ai_model_configs"
_INTEGRATION_CREDENTIALS = (
    "SELECT type, name, credentials_encrypted FROM integration_configs",
    "SELECT kind, kind, credentials_encrypted FROM integration_configs",  # 0001, 0002
)


def _read_record(url: str) -> tuple[str | None, list[tuple[str, str]] | None]:
    """The schema revision, and what is stored encrypted (None: a schema this mochi does not know)."""
    from sqlalchemy.exc import SQLAlchemyError

    from mochi.store.db import make_engine, schema_revision

    engine = make_engine(url)
    try:
        revision = schema_revision(engine)
        if revision is None:
            return None, []
        try:
            models, integrations = _read_encrypted(engine)
        except SQLAlchemyError:
            if revision == _head():
                raise
            return revision, None  # another schema: what it holds is not known
        found = [(f"model '{name}'s API key", token) for name, token in models if token]
        return revision, found + [
            (f"the {_integration(kind, name)} integration's credentials", token)
            for kind, name, token in integrations
            if token
        ]
    finally:
        engine.dispose()


def _read_encrypted(engine: Engine) -> tuple[list[Any], list[Any]]:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    with engine.connect() as conn:
        models = list(conn.execute(text(_MODEL_KEYS)).all())
    failure: SQLAlchemyError | None = None
    for query in _INTEGRATION_CREDENTIALS:
        try:
            with engine.connect() as conn:  # a failed query ends its (PostgreSQL) transaction
                return models, list(conn.execute(text(query)).all())
        except SQLAlchemyError as exc:
            failure = exc
    assert failure is not None
    raise failure


def _integration(kind: str, name: str) -> str:
    return kind if name in (kind, "") else f"{kind} '{name}'"


def _head() -> str:
    from mochi.store.db import SCHEMA_REVISION

    return SCHEMA_REVISION


def check_secret_key(settings: Settings, encrypted: list[tuple[str, str]] | None) -> Check:
    """MOCHI_SECRET_KEY is a valid key that decrypts what is stored; unset, nothing must need it."""
    from mochi.store.errors import KEY_HOWTO
    from mochi.store.session import cipher_for

    line, stored = partial(Check, "secret key"), ", ".join(what for what, _ in encrypted or [])
    if settings.record.secret_key is None:
        if encrypted:
            fix = "set MOCHI_SECRET_KEY to the key they were stored with"
            return line("fail", f"MOCHI_SECRET_KEY is not set: the record's {stored} cannot be read", fix)
        unknown = "" if encrypted is not None else "; what the record holds is not known"
        uses = "`mochi models add --api-key`, `mochi integrations set`"
        return line("ok", f"MOCHI_SECRET_KEY is not set: needed only to store credentials ({uses}){unknown}")
    try:
        cipher = cipher_for(settings)
    except MochiError as exc:
        detail, how = split_fix(str(exc))
        return line("fail", detail, how or KEY_HOWTO)
    keys = len([k for k in settings.record.secret_key.get_secret_value().split(",") if k.strip()])
    head = "MOCHI_SECRET_KEY is a valid key" if keys == 1 else f"MOCHI_SECRET_KEY holds {keys} valid keys"
    if not encrypted:
        return line("ok", head + ("; nothing is stored encrypted yet" if encrypted == [] else ""))
    bad = []
    for what, token in encrypted:
        try:
            cipher.decrypt(token)
        except MochiError:
            bad.append(what)
    if bad:
        fix = "set the key they were stored with (comma-separated keys rotate), or store them again"
        return line("fail", f"{head}, but it does not decrypt {', '.join(bad)}: stored with another key", fix)
    return line("ok", f"{head}; it decrypts {stored}")
