"""When a console call is not a leftover, for js.console-log: it reports a caught error, it is a
server's start-up line, or it is the body of a function whose job is logging."""

from __future__ import annotations

import re

from tree_sitter import Node

from mochi.providers.builtin.syntax import ancestors, text

_ERROR_NAMES = frozenset({"err", "error", "ex", "exc", "exception", "reason"})
_FUNCTIONS = frozenset({"arrow_function", "function_expression", "function_declaration", "method_definition"})


def reports_caught_error(call: Node) -> bool:
    """The call logs the error of the catch clause or error callback (`(error) => {...}`) around it
    (`e` counts in a catch clause only: in a callback it is usually an event)."""
    args = call.child_by_field_name("arguments")
    logged = {text(a) for a in args.named_children} if args is not None else set()
    for parent in ancestors(call):
        if parent.type == "catch_clause":
            param = parent.child_by_field_name("parameter")
            return param is not None and text(param) in logged
        if parent.type in _FUNCTIONS:
            params = parent.child_by_field_name("parameters") or parent.child_by_field_name("parameter")
            if params is None:
                return False
            if params.type == "identifier":  # `error => ...`
                names = {text(params)}
            else:
                names = {text(p).split(":")[0].strip() for p in params.named_children}
            return bool(names & _ERROR_NAMES & logged)
    return False


_LOGGING_NAMES = re.compile(r"(?i)^(?:log|logger|logging|debug\w*|trace\w*)$|(?:logger|_log|Log)$")


def deliberate_output(call: Node) -> bool:
    """Printing is the point: a server's start-up line in the callback of `.listen(...)`, or the body of a
    function named for logging (`const logger = store => next => action => {...}`)."""
    for parent in ancestors(call):
        if parent.type == "variable_declarator" or parent.type in _FUNCTIONS:
            name = parent.child_by_field_name("name")
            if name is not None and _LOGGING_NAMES.search(text(name)):
                return True
        if parent.type == "arguments" and parent.parent is not None:
            callee = parent.parent.child_by_field_name("function")
            if callee is not None and callee.type == "member_expression":
                prop = callee.child_by_field_name("property")
                if prop is not None and text(prop) == "listen":
                    return True
    return False
