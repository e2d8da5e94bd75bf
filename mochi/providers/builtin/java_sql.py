"""java.sql-concatenation: SQL built from strings reaching JdbcTemplate, JPA or JDBC."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from mochi.providers.builtin.rule import Hit, Options
from mochi.providers.builtin.source import SourceFile
from mochi.providers.builtin.syntax import ancestors, descendants, first_line, last_line, text

# --------------------------------------------------------------------------- SQL injection

_SQL_METHODS = frozenset(
    [
        "query",
        "queryForObject",
        "queryForList",
        "queryForMap",
        "queryForRowSet",
        "queryForStream",
        "queryForLong",
        "queryForInt",
        "update",
        "batchUpdate",
        "execute",
        "createQuery",
        "createNativeQuery",
        "executeQuery",
        "executeUpdate",
        "prepareStatement",
        "addBatch",
    ]
)
_SQL_TYPES = frozenset(
    [
        "JdbcTemplate",
        "NamedParameterJdbcTemplate",
        "JdbcOperations",
        "NamedParameterJdbcOperations",
        "EntityManager",
        "Session",
        "Statement",
        "Connection",
        "JdbcClient",
    ]
)
_SQL_RECEIVER = re.compile(
    r"(?i)(jdbc|template|entitymanager|^em$|session|statement|^stmt$|^conn|connection)"
)
_CONSTANT = re.compile(r"^[A-Z][A-Z0-9_]*$")
_LITERALS = frozenset(
    {
        "string_literal",
        "text_block",
        "decimal_integer_literal",
        "character_literal",
        "true",
        "false",
        "null_literal",
    }
)


def _operands(node: Node) -> Iterator[Node]:
    if node.type == "parenthesized_expression" and node.named_children:
        yield from _operands(node.named_children[0])
    elif node.type == "binary_expression" and text(node.child_by_field_name("operator")) == "+":
        for side in ("left", "right"):
            child = node.child_by_field_name(side)
            if child is not None:
                yield from _operands(child)
    else:
        yield node


def _is_constant(node: Node) -> bool:
    last = text(node).rsplit(".", 1)[-1]
    return node.type in _LITERALS or (
        node.type in ("identifier", "field_access") and bool(_CONSTANT.match(last))
    )


def _is_dynamic_sql(node: Node) -> bool:
    """String concatenation or formatting with at least one non-constant part."""
    if node.type in ("binary_expression", "parenthesized_expression"):
        parts = list(_operands(node))
        return (
            len(parts) > 1
            and any(p.type in ("string_literal", "text_block") for p in parts)
            and not all(_is_constant(p) for p in parts)
        )
    if node.type == "method_invocation":
        name = text(node.child_by_field_name("name"))
        args = node.child_by_field_name("arguments")
        values = args.named_children if args is not None else []
        if name == "format" and text(node.child_by_field_name("object")) == "String":
            return any(not _is_constant(v) for v in values[1:])
        if name in ("formatted", "concat"):
            return any(not _is_constant(v) for v in values)
    return False


def _enclosing_body(node: Node) -> Node | None:
    for parent in ancestors(node):
        if parent.type in ("method_declaration", "constructor_declaration", "lambda_expression"):
            return parent.child_by_field_name("body")
    return None


def _dynamic_definition(name: str, call: Node) -> Node | None:
    """The declaration or `+=` in the enclosing method that builds variable `name` dynamically."""
    body = _enclosing_body(call)
    if body is None:
        return None
    kinds = frozenset({"variable_declarator", "assignment_expression"})
    for node in descendants(body, kinds, stop=frozenset({"class_body"})):
        if node.start_byte > call.start_byte:
            break
        if node.type == "variable_declarator":
            value = node.child_by_field_name("value")
            if (
                text(node.child_by_field_name("name")) == name
                and value is not None
                and _is_dynamic_sql(value)
            ):
                return node
        elif text(node.child_by_field_name("left")) == name:
            value = node.child_by_field_name("right")
            operator = text(node.child_by_field_name("operator"))
            if value is not None and (
                _is_dynamic_sql(value) or (operator == "+=" and not _is_constant(value))
            ):
                return node
    return None


Q_DECLARED_TYPES = """
(field_declaration type: (_) @type declarator: (variable_declarator name: (identifier) @name))
(local_variable_declaration type: (_) @type declarator: (variable_declarator name: (identifier) @name))
(formal_parameter type: (_) @type name: (identifier) @name)
"""
Q_SQL_CALLS = (
    "(method_invocation object: (_) @recv name: (identifier) @name"
    " arguments: (argument_list . (_) @arg)) @call"
)


def _declared_types(source: SourceFile) -> dict[str, str]:
    types: dict[str, str] = {}
    for m in source.matches(Q_DECLARED_TYPES):
        types[text(m["name"])] = text(m["type"]).split("<", 1)[0].rsplit(".", 1)[-1]
    return types


def sql_concatenation(source: SourceFile, _: Options) -> Iterator[Hit]:
    types: dict[str, str] | None = None
    for m in source.matches(Q_SQL_CALLS):
        call, recv, name, arg = m["call"], m["recv"], m["name"], m["arg"]
        if text(name) not in _SQL_METHODS:
            continue
        receiver = text(recv).rsplit(".", 1)[-1].split("(", 1)[0]
        types = types if types is not None else _declared_types(source)
        if types.get(receiver) not in _SQL_TYPES and not _SQL_RECEIVER.search(receiver):
            continue
        extra: tuple[int, ...] = ()
        if arg.type == "identifier":
            definition = _dynamic_definition(text(arg), call)
            if definition is None:
                continue
            extra = tuple(range(first_line(definition), last_line(definition) + 1))
        elif not _is_dynamic_sql(arg):
            continue
        yield Hit(
            first_line(call),
            end_line=last_line(call),
            extra_lines=extra,
            message=f"SQL built by string concatenation/formatting is passed to `{text(name)}`: a value that "
            "reaches it can change the statement (SQL injection). Keep the SQL constant and pass the values "
            "as bind parameters (`?` or `:name` with JdbcTemplate, `setParameter(...)` with JPA).",
        )
