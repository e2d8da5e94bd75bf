from tests.store.pg import db_url, pg_database, pg_url  # noqa: F401 (fixtures)
