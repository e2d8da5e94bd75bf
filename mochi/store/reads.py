"""Fast reads for the API's hot paths: Core rows instead of ORM instances, statements built once.

`read_connection(engine)` is a connection for such reads: on PostgreSQL without a transaction
(autocommit), which saves the BEGIN and ROLLBACK round trips of every request and changes nothing
a read sees (under READ COMMITTED each statement takes its own snapshot either way).
`columns(Model)` selects every mapped column labelled with its attribute name, so the dict
builders (review_dict, comment_dict, model_dict...) read a Core row as they read an ORM instance,
without the identity map and instance state (a third of the cost of a read). `statement(key,
build)` builds a select once per process, with bound parameters: building a select of every
column and its cache key costs more than running it (half of a review's read, measured).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, Select, inspect

_COLUMNS: dict[type[Any], list[Any]] = {}
_STATEMENTS: dict[tuple[Any, ...], Select[Any]] = {}


def columns(model: type[Any]) -> list[Any]:
    """Every mapped column of `model`, labelled with its attribute name."""
    found = _COLUMNS.get(model)
    if found is None:
        found = _COLUMNS[model] = [getattr(model, c.key).label(c.key) for c in inspect(model).column_attrs]
    return found


def statement(key: tuple[Any, ...], build: Callable[[], Select[Any]]) -> Select[Any]:
    """The read statement `key`, built by `build` on first use."""
    found = _STATEMENTS.get(key)
    if found is None:
        found = _STATEMENTS[key] = build()
    return found


def read_connection(engine: Engine) -> Connection:
    """A connection for reads (see the module docstring): autocommit on PostgreSQL."""
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        return connection.execution_options(isolation_level="AUTOCOMMIT")
    return connection
