"""Rust SQL injection: SQL text built with format! or + and handed to sqlx/diesel at run time; and
the compile-time constants both it and rust.unwrap-in-handler let through."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from mochi.providers.builtin.rule import Hit, Options
from mochi.providers.builtin.source import SourceFile
from mochi.providers.builtin.syntax import ancestors, descendants, first_line, last_line, text

_SQL_FUNCTIONS = frozenset(
    {"query", "query_as", "query_scalar", "query_with", "query_as_with", "query_scalar_with", "sql_query"}
)


def _strip(node: Node) -> Node:
    """`&x`, `x.as_str()`, `&*x` -> x."""
    while True:
        if node.type in ("reference_expression", "unary_expression") and node.named_children:
            node = node.named_children[-1]
        elif node.type == "call_expression":
            fn = node.child_by_field_name("function")
            if (
                fn is None
                or fn.type != "field_expression"
                or text(fn.child_by_field_name("field")) not in ("as_str", "as_ref", "to_string", "to_owned")
            ):
                return node
            node = fn.child_by_field_name("value") or node
        else:
            return node


# TABLE, Self::TABLE, crate::db::COLUMNS: constants (identifiers cannot be bound, so a table or column
# name spliced from a constant is how SQL gets them); literals: "orders", 10
_CONSTANT = re.compile(r'^&?(?:(?:[A-Za-z_]\w*::)*[A-Z][A-Z0-9_]*|b?r?#*"[^"]*"#*|-?\d[\w.]*|true|false)$')
_NAMED_ARGUMENT = re.compile(r"^([A-Za-z_]\w*)[ \t]*=(?!=)[ \t]*(.*)$", re.DOTALL)
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}:]*)(?::[^{}]*)?\}")


_LITERALS = frozenset(
    {
        "string_literal",
        "raw_string_literal",
        "integer_literal",
        "float_literal",
        "boolean_literal",
        "char_literal",
    }
)
_CONSTANT_NAME = re.compile(r"^(?:\w+::)*[A-Z][A-Z0-9_]*$")
COMMENTS = frozenset({"line_comment", "block_comment"})


def _constant(node: Node) -> bool:
    """A literal or an UPPER_CASE constant (`404`, `"127.0.0.1"`, `Self::DEFAULT_PORT`, `&LIMIT`)."""
    while node.type == "reference_expression" and node.named_children:
        node = node.named_children[-1]
    return node.type in _LITERALS or (
        node.type in ("identifier", "scoped_identifier") and bool(_CONSTANT_NAME.match(text(node)))
    )


# calls whose outcome depends on the machine, not on their (constant) arguments: files, the
# environment, the network, other processes
_ENVIRONMENT = re.compile(
    r"(?:^|::)(?:fs|env|net|io|process|File|OpenOptions|TcpStream|TcpListener|UdpSocket|Command|"
    r"Path|PathBuf)::|(?:^|::|\.)(?:read_to_string|read_dir|read|open|create|connect|bind|var|metadata|"
    r"canonicalize|output|spawn)$"
)


def constant_conversion(receiver: Node | None) -> bool:
    """`StatusCode::from_u16(404)`, `"127.0.0.1".parse::<IpAddr>()`, `Regex::new("^a+$")`,
    `ClientRequest::get(URL).finish()`: a call on constants only, which fails the same way on every
    request (a test catches it), not on bad input."""
    if receiver is None or receiver.type != "call_expression":
        return False
    args = receiver.child_by_field_name("arguments")
    if args is None or not all(_constant(a) for a in args.named_children if a.type not in COMMENTS):
        return False
    function = receiver.child_by_field_name("function")
    if function is not None and function.type == "generic_function":
        function = function.child_by_field_name("function")
    if function is None or _ENVIRONMENT.search(text(function)):
        return False  # `fs::read_to_string("/var/log/x")`: the same arguments, but the machine decides
    if function.type == "field_expression":  # a method: its receiver must be constant too
        if text(function.child_by_field_name("field")) in ("unwrap", "expect"):
            return False  # `env::var("LIMIT").unwrap().parse()`: the unwrapped value is not a constant
        value = function.child_by_field_name("value")  # a constant, or a call on constants (a builder)
        return value is not None and (_constant(value) or constant_conversion(value))
    return function.type in ("scoped_identifier", "identifier")


def _macro_arguments(macro: Node) -> list[str]:
    """The comma-separated arguments of a macro call, as texts (nested brackets stay whole)."""
    tree = next((c for c in macro.named_children if c.type == "token_tree"), None)
    if tree is None:
        return []
    raw = text(tree).encode("utf-8")
    groups: list[list[Node]] = [[]]
    for child in tree.children[1:-1]:  # inside the brackets
        if child.type == ",":
            groups.append([])
        else:
            groups[-1].append(child)
    return [
        raw[g[0].start_byte - tree.start_byte : g[-1].end_byte - tree.start_byte].decode("utf-8", "replace")
        for g in groups
        if g
    ]


def _constant_format(macro: Node) -> bool:
    """True when every value a format! splices in is a compile-time constant or a literal."""
    arguments = _macro_arguments(macro)
    if not arguments or not arguments[0].lstrip("r#").startswith('"'):
        return False
    named: dict[str, str] = {}
    values = []
    for argument in arguments[1:]:
        match = _NAMED_ARGUMENT.match(argument.strip())
        if match:
            named[match.group(1)] = match.group(2).strip()
        else:
            values.append(argument.strip())
    for match in _PLACEHOLDER.finditer(arguments[0]):
        name = (match.group(1) or "").strip()
        if name and not name.isdigit() and name not in named:
            values.append(name)  # an inline capture: format!("{TABLE}") reads the variable TABLE
    return all(_CONSTANT.match(v) for v in (*values, *named.values()))


def _is_dynamic(node: Node) -> bool:
    node = _strip(node)
    if node.type == "macro_invocation":
        return (
            text(node.child_by_field_name("macro")) == "format"
            and "{" in text(node).replace("{{", "")
            and not _constant_format(node)
        )
    return node.type == "binary_expression" and text(node.child_by_field_name("operator")) == "+"


def enclosing_fn(node: Node) -> Node | None:
    return next((a for a in ancestors(node) if a.type == "function_item"), None)


def _dynamic_let(name: str, call: Node) -> Node | None:
    fn = enclosing_fn(call)
    if fn is None:
        return None
    for let in descendants(fn, frozenset({"let_declaration"})):
        value = let.child_by_field_name("value")
        if (
            let.start_byte < call.start_byte
            and text(let.child_by_field_name("pattern")).removeprefix("mut ") == name
            and value is not None
            and _is_dynamic(value)
        ):
            return let
    return None


Q_FIRST_ARGUMENT = "(call_expression function: (_) @fn arguments: (arguments . (_) @arg)) @call"


def sql_format(source: SourceFile, _: Options) -> Iterator[Hit]:
    if "sqlx" not in source.text and "diesel" not in source.text:
        return
    for m in source.matches(Q_FIRST_ARGUMENT):
        fn = m["fn"]
        if fn.type == "generic_function":
            fn = fn.child_by_field_name("function") or fn
        name = text(fn).rsplit("::", 1)[-1]
        if name not in _SQL_FUNCTIONS or fn.type == "field_expression":
            continue
        arg = _strip(m["arg"])
        extra: tuple[int, ...] = ()
        if arg.type == "identifier":
            let = _dynamic_let(text(arg), m["call"])
            if let is None:
                continue
            extra = tuple(range(first_line(let), last_line(let) + 1))
        elif not _is_dynamic(arg):
            continue
        if source.in_test_code(first_line(m["call"])):
            continue  # no attacker reaches a test
        yield Hit(
            first_line(m["call"]),
            end_line=last_line(m["call"]),
            extra_lines=extra,
            message=f"SQL built with format!/string concatenation is passed to `{name}`: a value that "
            "reaches it can change the statement (SQL injection). Keep the SQL constant and bind the values "
            '(`sqlx::query("... WHERE id = $1").bind(id)`, or the checked `sqlx::query!` macro; '
            "diesel: `sql_query(...).bind::<Integer, _>(id)`).",
        )
