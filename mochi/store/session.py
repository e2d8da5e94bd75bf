"""What the store gives a review, composed once by cli.py: the database, the default model, the
stored templates and the recorder.

Where the record goes:

- `database_url` (MOCHI_DATABASE_URL) when it is set, locally and in CI;
- otherwise, locally, `<data_dir>/mochi.db` (SQLite; `data_dir` is MOCHI_DATA_DIR or the user's data
  directory), created and migrated on first use;
- otherwise (in CI without a URL) nowhere: CI machines are thrown away, a SQLite file with them.
- `record = false` (MOCHI_RECORD, `--no-record`) writes nothing; the default model and the stored
  templates are still read from an existing database.

Nothing here fails a review: an unreachable database is one warning, and the review goes on with
the settings as given.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mochi.errors import MochiError
from mochi.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mochi.store.crypto import Cipher
    from mochi.store.recorder import Recorder

logger = logging.getLogger(__name__)


def data_dir(settings: Settings) -> Path:
    if settings.record.data_dir:
        return Path(settings.record.data_dir).expanduser()
    from mochi.store.paths import default_data_dir

    return default_data_dir()


def database_url(settings: Settings, *, in_ci: bool = False) -> str | None:
    """The URL of the record (see the module docstring); None when there is none."""
    if settings.record.database_url is not None:
        return settings.record.database_url.get_secret_value()
    if in_ci and settings.record.enabled is not True:
        return None
    from mochi.store.paths import sqlite_url

    return sqlite_url(data_dir(settings))


def open_store(settings: Settings) -> Engine:
    """The migrated database for the management commands (`mochi reviews`, `models`, ...). StoreError."""
    from mochi.store.db import open_engine

    url = database_url(settings)
    assert url is not None
    return open_engine(url)


def cipher_for(settings: Settings) -> Cipher:
    """The Cipher for MOCHI_SECRET_KEY (CredentialError when the key is malformed)."""
    from mochi.store.crypto import Cipher

    return Cipher(settings.record.secret_key.get_secret_value() if settings.record.secret_key else None)


@dataclass
class ReviewStore:
    """The store's contributions to one review."""

    settings: Settings
    origin: dict[str, str]
    templates: dict[str, str] = field(default_factory=dict)
    recorder: Recorder | None = None


def open_for_review(
    settings: Settings,
    origin: Mapping[str, str],
    *,
    in_ci: bool,
    record: bool = True,
    resume_id: int | None = None,
) -> ReviewStore:
    """Open the record for a review: apply the default model when nothing chose one, read the
    stored templates, and build the recorder (None when the record is off or unreachable).

    Never raises: whatever goes wrong (a database that is down, a broken installation) is one
    warning, and the review goes on with the settings as given.
    """
    result = ReviewStore(settings=settings, origin=dict(origin))
    from mochi.store.bounded import RECORD_TIMEOUT_S, _bounded

    try:
        # a database that hangs (not down: a dead host, a hung proxy) must not hold the review
        return _bounded(
            lambda: _open_for_review(result, in_ci=in_ci, record=record, resume_id=resume_id),
            RECORD_TIMEOUT_S,
            "open the review record",
        )
    except Exception as exc:
        logger.warning("the review record is not available (%s); the review goes on without it", exc)
        return ReviewStore(settings=settings, origin=dict(origin))


def _open_for_review(result: ReviewStore, *, in_ci: bool, record: bool, resume_id: int | None) -> ReviewStore:
    settings = result.settings
    url = database_url(settings, in_ci=in_ci)
    if url is None:
        return result
    recording = record and settings.record.enabled is not False
    from mochi.store.paths import DB_FILE

    if not recording and url.startswith("sqlite:///") and url.endswith(DB_FILE) and not _exists(url):
        return result  # nothing recorded yet, nothing to read, nothing to create
    from mochi.store.db import safe_url

    where = safe_url(url)
    try:
        from mochi.store.db import open_engine

        engine = open_engine(url)
    except MochiError as exc:
        logger.warning("%s; the review goes on without the record", exc)
        return result
    except Exception as exc:  # an unexpected driver failure must not fail the review either
        logger.warning(
            "the database %s is not usable (%s); the review goes on without the record", where, exc
        )
        return result
    try:
        apply_default_model(engine, result)
        apply_jira(engine, result)
        from mochi.store.templates import active_templates

        result.templates = active_templates(engine)
    except MochiError as exc:
        logger.warning("%s; using the settings as given", exc)
    except Exception as exc:
        from mochi.store.db import describe

        logger.warning("could not read the stored configuration from %s (%s)", where, describe(exc))
    if recording:
        from mochi.store.recorder import Recorder
        from mochi.store.reviews import fail_stale_reviews

        try:
            fail_stale_reviews(engine)
        except Exception as exc:  # tidying old rows must not cost this review its record
            logger.info("could not close stale reviews in %s: %s", where, exc)

        result.recorder = Recorder(engine, resume_id=resume_id, where=where)
    return result


def apply_default_model(engine: Engine, result: ReviewStore) -> None:
    """The stored default model (`mochi models set-default`) when nothing else chose one (also used by
    the server for each review it composes)."""
    if "provider" in result.origin or "model" in result.origin:
        return  # a flag, the environment or .mochi.toml chose: they win
    from mochi.store import model_configs

    config = model_configs.default_model(engine)
    if config is None:
        return
    api_key = None
    encrypted = model_configs.encrypted_key(engine, int(config["id"]))
    if encrypted:
        api_key = cipher_for(result.settings).decrypt(encrypted)
    result.settings = model_configs.settings_for(result.settings, config, api_key)
    where = f"default model '{config['name']}'"
    for key in ("provider", "model", *config.get("config", {})):
        result.origin[key] = where


def apply_jira(engine: Engine, result: ReviewStore) -> None:
    """`mochi integrations set jira` feeds the review's Jira context unless JIRA_* / flags say otherwise."""
    if result.settings.jira.url or "jira_url" in result.origin:
        return
    from pydantic import SecretStr

    from mochi.store.integrations import load_integration

    jira = load_integration(engine, cipher_for(result.settings), "jira", active_only=True)
    if jira is None or not jira.api_endpoint:
        return
    update: dict[str, object] = {"jira_url": jira.api_endpoint}
    if jira.credentials.get("pat"):
        update["jira_pat"] = SecretStr(jira.credentials["pat"])
    elif jira.credentials.get("token"):
        update["jira_api_token"] = SecretStr(jira.credentials["token"])
        if jira.config.get("email"):
            update["jira_email"] = str(jira.config["email"])
    result.settings = result.settings.with_values(update)
    label = "jira" if jira.name in ("", "jira") else f"jira/{jira.name}"
    for key in update:
        result.origin[key] = f"stored integration '{label}'"


def _exists(url: str) -> bool:
    return Path(url.removeprefix("sqlite:///")).is_file()
