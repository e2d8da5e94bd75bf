"""JavaScript / TypeScript pack (.js .jsx .mjs .cjs .ts .tsx), on tree-sitter syntax trees."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from tree_sitter import Node

from mochi.models import FindingType, Severity
from mochi.providers.builtin.js_console import deliberate_output, reports_caught_error
from mochi.providers.builtin.rule import Check, Hit, Options, Rule, lint_aware, unless
from mochi.providers.builtin.source import SourceFile
from mochi.providers.builtin.syntax import JS_LANGUAGES, TS_LANGUAGES, ancestors, first_line, last_line, text

_JSX_LANGUAGES = frozenset({"javascript", "tsx"})  # the plain TypeScript grammar has no JSX
_TOOLING_DIRS = frozenset({"scripts", "script", "bin", "tools"})
# command-line programs run by hand or by a migration runner: their console output is their interface
_CLI_DIRS = frozenset({"migration", "migrations"})


def replace_span(source: SourceFile, node: Node, replacement: str) -> str | None:
    """The line holding `node` with the node's text replaced (None when the node spans lines)."""
    if node.start_point.row != node.end_point.row:
        return None
    raw = source.line(first_line(node)).encode("utf-8")
    start, end = node.start_point.column, node.end_point.column  # byte columns
    return (raw[:start] + replacement.encode("utf-8") + raw[end:]).decode("utf-8", "replace")


# --------------------------------------------------------------------------- XSS and code injection


Q_PAIRS = "(pair key: (property_identifier) @key) @prop"
Q_JSX_ATTRIBUTES = "(jsx_attribute (property_identifier) @name) @attr"


def _dangerously_set_inner_html(source: SourceFile, _: Options) -> Iterator[Hit]:
    if "dangerouslySetInnerHTML" not in source.text:
        return
    nodes = source.query(Q_PAIRS).get("prop", [])
    if source.language in _JSX_LANGUAGES:
        nodes += source.query(Q_JSX_ATTRIBUTES).get("attr", [])
    for node in nodes:
        name = node.child_by_field_name("key") or (node.named_children[0] if node.named_children else None)
        if text(name) != "dangerouslySetInnerHTML":
            continue
        if _sanitized(source, node):
            continue  # DOMPurify.sanitize(...) (or a value assigned from it): the safe pattern
        yield Hit(
            first_line(node),
            end_line=last_line(node),
            message="dangerouslySetInnerHTML inserts raw HTML: if any part of it comes from users or an API, "
            "it is a cross-site scripting hole. Render the content as React children, or sanitize it first "
            "(DOMPurify.sanitize(html)) and keep the sanitizing next to this line.",
        )


_SANITIZE = re.compile(r"(?i)\b(?:DOMPurify\.sanitize|sanitize\w*|purify\w*|xss|escapeHtml|he\.encode)\s*\(")


def _sanitized(source: SourceFile, node: Node) -> bool:
    """The HTML is a sanitizer's output: in the attribute itself, or in the variable it names."""
    value = text(node)
    if _SANITIZE.search(value):
        return True
    names = set(re.findall(r"__html\s*:\s*([A-Za-z_$][\w$]*)\s*[,}]", value))
    sanitizer = _SANITIZE.pattern.removeprefix("(?i)")
    return any(re.search(rf"\b{re.escape(n)}\s*=[^;\n]*{sanitizer}", source.text, re.I) for n in names)


Q_CALLS = "(call_expression function: (_) @fn) @call"
Q_NEW = "(new_expression constructor: (_) @ctor) @new"


def _eval(source: SourceFile, _: Options) -> Iterator[Hit]:
    if "eval" not in source.text and "Function" not in source.text:
        return
    for call in source.query(Q_CALLS).get("call", []):
        if text(call.child_by_field_name("function")) in ("eval", "window.eval", "globalThis.eval"):
            yield Hit(
                first_line(call),
                end_line=last_line(call),
                message="eval() runs a string as code: anything that reaches it can execute in your page or "
                "process, and it defeats CSP and optimizers. Parse data with JSON.parse, or look the "
                "operation up in a map of functions.",
            )
    for new in source.query(Q_NEW).get("new", []):
        if text(new.child_by_field_name("constructor")) in (
            "Function",
            "window.Function",
            "globalThis.Function",
        ):
            yield Hit(
                first_line(new),
                end_line=last_line(new),
                message="new Function(...) compiles a string into code, like eval(): anything that reaches "
                "it can execute. Write the function in the source instead.",
            )


# --------------------------------------------------------------------------- leftovers


_MOCK = re.compile(r"(?i)(?:^|[._/-])(?:mocks?|msw)(?:[._/-]|$)")


def _is_tooling(source: SourceFile) -> bool:
    """Tests, scripts, migrations and development tools (a mock API server, mocks/), and programs run
    from a shell (`#!/usr/bin/env node`), where printing is the point."""
    return (
        source.is_test
        or bool((_TOOLING_DIRS | _CLI_DIRS).intersection(p.lower() for p in source.parts[:-1]))
        or bool(_MOCK.search(source.path))
        or source.line(1).startswith("#!")
    )


def _generated(source: SourceFile) -> bool:
    return source.is_generated


def _test_or_generated(source: SourceFile) -> bool:
    return source.is_test or source.is_generated


# a condition true only in development (isDevEnv(), __DEV__, NODE_ENV !== 'production', options.debug)
_DEV = re.compile(
    r"__DEV__|\b(?:is|in)_?[Dd]ev(?:elopment)?(?:[A-Z_]\w*)?\b|\bIS_DEV\w*|\b[dD]ev(?:elopment)?Mode\b|\.DEV\b|"
    # a debug flag: debug, isDebug, this.debug, DEBUG, enableDebug, __APP_DEBUG_PERF__, debug_mode
    r"(?<![A-Za-z0-9])DEBUG(?![a-z])|(?<![A-Za-z])[dD]ebug|(?<=[a-z0-9])Debug|"
    r"\bverbose\b|[\"']development[\"']|!==?[ \t]*[\"']production[\"']|"
    r"[\"']production[\"'][ \t]*!=="
)
_PROD = re.compile(
    r"__PROD__|\bis_?[Pp]rod\w*|\bIS_PROD\w*|\.PROD\b|(?<![!=])===?[ \t]*[\"']production[\"']|"
    r"[\"']production[\"'][ \t]*===?"
)


def _dev_when(condition: Node) -> bool | None:
    """True when the condition holds only in development, False when only in production, else None."""
    raw = text(condition).strip("() \t\n")
    negated = raw.startswith("!") and not raw.startswith("!=")
    raw = raw[1:] if negated else raw
    dev, prod = bool(_DEV.search(raw)), bool(_PROD.search(raw))
    if dev == prod:
        return None
    return dev != negated


def _inside(node: Node, outer: Node | None) -> bool:
    return outer is not None and outer.start_byte <= node.start_byte and node.end_byte <= outer.end_byte


def _dev_only(call: Node) -> bool:
    """Inside the development-only branch of an if, ?: or `&&` (`if (isDevEnv()) { ... }`)."""
    for parent in ancestors(call):
        condition = parent.child_by_field_name("condition")
        if parent.type in ("if_statement", "ternary_expression") and condition is not None:
            when = _dev_when(condition)
            branch = "consequence" if when else "alternative"
            if when is not None and _inside(call, parent.child_by_field_name(branch)):
                return True
        elif parent.type == "binary_expression" and text(parent.child_by_field_name("operator")) == "&&":
            left = parent.child_by_field_name("left")
            if left is not None and not _inside(call, left) and _dev_when(left):
                return True
    return False


_CONSOLE_METHODS = frozenset({"log", "debug", "trace", "dir", "table"})


Q_MEMBER_CALLS = (
    "(call_expression function: (member_expression object: (identifier) @obj"
    " property: (property_identifier) @prop)) @call"
)


_CONVENTION = 3  # console calls the file keeps that make console output its convention, not a leftover


def _console_log(source: SourceFile, _: Options) -> Iterator[Hit]:
    if "console." not in source.text or _is_tooling(source):
        return
    calls = [
        m
        for m in source.matches(Q_MEMBER_CALLS)
        if text(m["obj"]) == "console" and text(m["prop"]) in _CONSOLE_METHODS
    ]
    kept = [m for m in calls if first_line(m["call"]) not in source.added]
    if source.complete and len(kept) >= _CONVENTION:
        return  # the file already logs with console.log (a Node server without a logger): its way
    for m in calls:
        call, prop = m["call"], m["prop"]
        if _dev_only(call):
            continue
        if reports_caught_error(call):
            continue  # `catch (err) { console.log(err) }`: deliberate error reporting, not a leftover
        if deliberate_output(call):
            continue
        yield Hit(
            first_line(call),
            end_line=last_line(call),
            message=f"Leftover console.{text(prop)}(): debugging output ships to every user's console (and "
            "may leak data). Remove it, or use the project's logger.",
        )


Q_DEBUGGER = "(debugger_statement) @d"


def _debugger(source: SourceFile, _: Options) -> Iterator[Hit]:
    if "debugger" not in source.text or _is_tooling(source):
        return
    for node in source.query(Q_DEBUGGER).get("d", []):
        yield Hit(
            first_line(node),
            message="Leftover `debugger` statement: it pauses every user's browser that has dev tools open. "
            "Remove it.",
        )


# --------------------------------------------------------------------------- types and equality

_TYPE_WALL = frozenset(
    {"statement_block", "class_body", "program", "variable_declarator", "public_field_definition"}
)
_PARAMETERS = frozenset({"required_parameter", "optional_parameter"})


def _signature_part(node: Node) -> str | None:
    """'parameter' or 'return type' when the type node is part of a function signature."""
    for parent in ancestors(node):
        if parent.type in _TYPE_WALL:
            return None
        if parent.type in _PARAMETERS:
            return "parameter"
        if parent.type == "type_annotation" and parent.parent is not None:
            ret = parent.parent.child_by_field_name("return_type")
            if ret is not None and ret == parent:
                return "return type"
    return None


Q_PREDEFINED_TYPES = "(predefined_type) @t"


def _any_in_signature(source: SourceFile, _: Options) -> Iterator[Hit]:
    if "any" not in source.text or source.is_test:
        return  # test doubles and fixtures are typed loosely on purpose
    by_line: dict[int, list[tuple[Node, str]]] = {}
    for node in source.query(Q_PREDEFINED_TYPES).get("t", []):
        part = _signature_part(node) if text(node) == "any" else None
        if part is not None:
            by_line.setdefault(first_line(node), []).append((node, part))
    for line, found in by_line.items():
        parts = " and ".join(sorted({part for _, part in found}))
        raw = source.line(line).encode("utf-8")
        for node, _part in reversed(found):  # right to left, so earlier byte columns stay valid
            raw = raw[: node.start_point.column] + b"unknown" + raw[node.end_point.column :]
        owner = found[0][0].parent.parent if found[0][0].parent is not None else None
        one_line = owner is not None and owner.start_point.row == owner.end_point.row
        yield Hit(
            line,
            evidence=text(owner) if one_line else None,  # `event: any`: the old line may have had it
            message=f"`any` in a {parts} turns off type checking for every caller. Use the real type, a "
            "generic, or `unknown` (which forces a check before use).",
            suggestion=raw.decode("utf-8", "replace"),
        )


Q_LOOSE_EQUALITY = '[(binary_expression operator: "==") (binary_expression operator: "!=")] @e'


def _loose_equality(source: SourceFile, _: Options) -> Iterator[Hit]:
    if "==" not in source.text and "!=" not in source.text:
        return
    for expr in source.query(Q_LOOSE_EQUALITY).get("e", []):
        left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
        if any(side is not None and (side.type in ("null", "undefined") or text(side) == "undefined")
               for side in (left, right)):  # fmt: skip
            continue  # `x == null` (or `== undefined`) is the idiom for "null or undefined"
        operator = expr.child_by_field_name("operator")
        assert operator is not None
        strict = text(operator) + "="
        yield Hit(
            first_line(expr),
            end_line=last_line(expr),
            evidence=text(expr),
            message=f"`{text(operator)}` converts types before comparing (`0 == ''` and `'1' == 1` are "
            f"true). Use `{strict}`; compare with `== null` only when you mean null or undefined.",
            suggestion=replace_span(source, operator, strict),
        )


def _checked(check: Check, lint_rules: tuple[str, ...], skip: Callable[[SourceFile], bool]) -> Check:
    """`check` silent where `skip` says (generated, test code) and where eslint's `lint_rules` are off."""
    return unless(skip, lint_aware(frozenset(lint_rules), check))


RULES = (
    Rule(
        id="js.dangerously-set-inner-html",
        languages=JS_LANGUAGES,
        severity=Severity.HIGH,
        type=FindingType.BUG,
        category="security",
        message="dangerouslySetInnerHTML can inject scripts (XSS).",
        doc="A dangerouslySetInnerHTML JSX attribute or createElement prop (not in test files or stories, "
        "nor where `react/no-danger` is disabled by an eslint comment).",
        check=_checked(_dangerously_set_inner_html, ("react/no-danger",), _test_or_generated),
        queries=(Q_PAIRS, Q_JSX_ATTRIBUTES),
        suggestion="Render children, or sanitize with DOMPurify.",
    ),
    Rule(
        id="js.eval",
        languages=JS_LANGUAGES,
        severity=Severity.HIGH,
        type=FindingType.BUG,
        category="security",
        message="eval()/new Function() runs strings as code.",
        doc="Calls to eval (also window./globalThis.eval) and new Function(...), outside test files and "
        "where no eslint comment disables no-eval/no-new-func.",
        check=_checked(_eval, ("no-eval", "no-new-func", "no-implied-eval"), _test_or_generated),
        queries=(Q_CALLS, Q_NEW),
        suggestion="JSON.parse, or a map of functions.",
    ),
    Rule(
        id="js.console-log",
        # opt-in: judged blind on the held-out samples of bench/precision, 18 of 27 right (< 80%)
        enabled_by_default=False,
        languages=JS_LANGUAGES,
        severity=Severity.LOW,
        type=FindingType.SUGGESTION,
        category="maintainability",
        message="Leftover console.log().",
        doc="console.log/debug/trace/dir/table calls, except in test files, under scripts/, bin/, tools/, "
        "migration(s)/, in files with a shebang, in development-only branches (`if (isDev...)`, "
        "`if (__DEV__)`, `NODE_ENV !== 'production'`) or behind a debug flag (`if (debug)`), and "
        "where an eslint-disable comment turns no-console off.",
        check=_checked(_console_log, ("no-console",), _generated),
        queries=(Q_MEMBER_CALLS,),
        suggestion="Remove it or use a logger.",
    ),
    Rule(
        id="js.debugger",
        languages=JS_LANGUAGES,
        severity=Severity.MEDIUM,
        type=FindingType.BUG,
        category="correctness",
        message="Leftover debugger statement.",
        doc="A `debugger` statement, except in test files, under scripts/, bin/, tools/, and where an "
        "eslint-disable comment turns no-debugger off.",
        check=_checked(_debugger, ("no-debugger",), _generated),
        queries=(Q_DEBUGGER,),
        suggestion="Remove it.",
    ),
    Rule(
        id="ts.any-in-signature",
        languages=TS_LANGUAGES,
        severity=Severity.LOW,
        type=FindingType.SUGGESTION,
        category="maintainability",
        message="`any` in a function signature.",
        doc="`any` in a parameter or return type annotation (also nested: Promise<any>, any[]). Variables "
        "and fields typed any are not reported, nor test files, generated files, or lines where an eslint "
        "comment disables @typescript-eslint/no-explicit-any.",
        check=_checked(_any_in_signature, ("@typescript-eslint/no-explicit-any",), _generated),
        queries=(Q_PREDEFINED_TYPES,),
        suggestion="Use the real type, a generic or unknown.",
        # opt-in: on real projects most `any`s are deliberate (generic constraints, library callback
        # types, projects with no-explicit-any off): 2 of 33 findings were right (bench/precision)
        enabled_by_default=False,
    ),
    Rule(
        id="js.loose-equality",
        languages=JS_LANGUAGES,
        severity=Severity.LOW,
        type=FindingType.SUGGESTION,
        category="correctness",
        message="Loose equality (== / !=).",
        doc="== or != with neither side the literal null (`x == null` is the idiom for null or undefined). "
        "Not in test files, nor where an eslint comment disables eqeqeq.",
        check=_checked(_loose_equality, ("eqeqeq",), _test_or_generated),
        queries=(Q_LOOSE_EQUALITY,),
        suggestion="Use === / !==.",
        # opt-in: eqeqeq is a linter's rule, enforced (or deliberately not) by the project's own
        # config; in 940 real commits its only finding compared two numbers (debatable)
        enabled_by_default=False,
    ),
)
