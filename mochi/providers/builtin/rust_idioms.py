"""Unwraps no request can make fail, for rust.unwrap-in-handler: lock poisoning, serialising the
program's own values, start-up wiring, rendering registered templates, parsing what it formatted."""

from __future__ import annotations

import re

from tree_sitter import Node

from mochi.providers.builtin.rust_sql import COMMENTS
from mochi.providers.builtin.syntax import ancestors, text

_INFALLIBLE_SERDE = re.compile(r"^(?:::)?serde_json::to_(?:string|string_pretty|vec|vec_pretty|value)$")


def infallible_idiom(receiver: Node | None) -> bool:
    """An unwrap that no request can trigger: `.lock()`/`.read()`/`.write()` of a Mutex or RwLock (it
    fails only when poisoned by an earlier panic), serde_json::to_string/to_vec/to_string_pretty of a
    value the program built (serialising a derived struct does not fail), `req.app_data::<T>()` (set
    up at start-up: None is a wiring bug, not bad input), `hb.render("name", &data)` of a registered
    template (it fails on a template bug, the same for every request)."""
    if receiver is None or receiver.type != "call_expression":
        return False
    function = receiver.child_by_field_name("function")
    if function is not None and function.type == "generic_function":
        function = function.child_by_field_name("function")
    if function is None:
        return False
    if function.type == "field_expression":
        method = text(function.child_by_field_name("field"))
        args = receiver.child_by_field_name("arguments")
        bare = args is None or not [a for a in args.named_children if a.type not in COMMENTS]
        if method == "render":  # a template engine rendering the program's own template and data
            return True
        return method == "app_data" or (bare and method in ("lock", "read", "write"))
    return _INFALLIBLE_SERDE.match(text(function)) is not None


def parses_own_format(receiver: Node | None, call: Node) -> bool:
    """`let addr = format!("{}", ip); addr.parse().unwrap()`: the handler parses a string it formatted
    itself (into a HeaderValue, an address): its own output, not the client's input."""
    if receiver is None or receiver.type != "call_expression":
        return False
    function = receiver.child_by_field_name("function")
    if function is None or function.type != "field_expression":
        return False
    if text(function.child_by_field_name("field")) != "parse":
        return False
    value = function.child_by_field_name("value")
    if value is None or value.type != "identifier":
        return False
    name = text(value)
    body = next((a for a in ancestors(call) if a.type == "block"), None)
    return (
        body is not None and re.search(rf"\blet\s+(?:mut\s+)?{name}\s*=\s*format!\(", text(body)) is not None
    )
