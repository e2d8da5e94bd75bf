"""`mochi db`: the record's schema, migrated with the Alembic migrations shipped in mochi."""

from __future__ import annotations

import click

from mochi.commands.store import emit, handling, json_option, load_settings


@click.group()
def db() -> None:
    """The record's database schema (Alembic migrations shipped with mochi)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@json_option
def db_upgrade(revision: str, as_json: bool) -> None:
    """Apply the migrations (first use does this automatically)."""
    with handling():
        from mochi.store import migrate
        from mochi.store.db import make_engine, safe_url
        from mochi.store.session import database_url

        url = database_url(load_settings())
        assert url is not None
        engine = make_engine(url)
        before = migrate.current(engine)
        migrate.upgrade(engine, revision)
        after = migrate.current(engine)
        data = {"database": safe_url(url), "from": before, "to": after, "head": migrate.head()}
        emit(data, as_json, lambda: click.echo(f"{safe_url(url)}: {before or 'empty'} -> {after}"))


@db.command("downgrade")
@click.argument("revision", default="-1")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
def db_downgrade(revision: str, yes: bool, as_json: bool) -> None:
    """Revert migrations: one step by default, `base` for all (this deletes the recorded data)."""
    with handling():
        from mochi.store import migrate
        from mochi.store.db import make_engine, safe_url
        from mochi.store.session import database_url

        url = database_url(load_settings())
        assert url is not None
        if not yes:
            click.confirm(
                f"Downgrade {safe_url(url)} to {revision}? Tables it removes lose their data", abort=True
            )
        engine = make_engine(url)
        before = migrate.current(engine)
        migrate.downgrade(engine, revision)
        after = migrate.current(engine)
        data = {"database": safe_url(url), "from": before, "to": after, "head": migrate.head()}
        emit(data, as_json, lambda: click.echo(f"{safe_url(url)}: {before or 'empty'} -> {after or 'empty'}"))


@db.command("current")
@json_option
def db_current(as_json: bool) -> None:
    """The revision the database is at, and the newest this mochi knows."""
    with handling():
        from mochi.store import migrate
        from mochi.store.db import make_engine, safe_url
        from mochi.store.session import database_url

        url = database_url(load_settings())
        assert url is not None
        current = migrate.current(make_engine(url))
        head = migrate.head()
        data = {"database": safe_url(url), "current": current, "head": head, "up_to_date": current == head}
        state = "up to date" if current == head else "run `mochi db upgrade`"
        emit(
            data, as_json, lambda: click.echo(f"{safe_url(url)}: {current or 'empty'} (head {head}; {state})")
        )
