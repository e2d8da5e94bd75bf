"""React pack: hooks and list rendering, on tree-sitter JavaScript/TSX syntax trees."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from mochi.models import FindingType, Severity
from mochi.providers.builtin.rule import Hit, Options, Rule
from mochi.providers.builtin.source import SourceFile
from mochi.providers.builtin.syntax import JS_LANGUAGES, ancestors, descendants, first_line, last_line, text

_FUNCTIONS = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "function_expression",
        "function",
        "arrow_function",
        "method_definition",
        "generator_function",
    }
)
_HOOK = re.compile(r"^use[A-Z0-9]")
_COMPONENT = re.compile(r"^[A-Z]")
# higher-order components: `memo(...)`, `withRouter(...)`, `connect(mapState)(...)` return a component
_WRAPPERS = frozenset({"memo", "forwardRef", "observer", "connect", "compose", "inject"})
_HOC_NAME = re.compile(r"^with[A-Z0-9_]")
_IMPORTED = re.compile(r"""(?:\bfrom|\bimport|\brequire\()[ \t]*\(?[ \t]*["']([^"'\n]+)["']""")
# a file whose `use*` calls are React hooks imports React or its ecosystem
_REACT_MODULE = re.compile(
    r"^(?:p?react(?:-dom|-native)?|preact/hooks|next|swr)(?:/|$)|^(?:@[\w.-]+/)?p?react-|^@[\w.-]+/react(?:[-/]|$)"
)
# Vue, Pinia and vue-query have `use*` composables that are not bound by the rules of hooks
_OTHER_MODULE = re.compile(
    r"^(?:vue|pinia|vuex|vue-router|vue-query|nuxt|svelte|solid-js|#app|#imports)(?:/|$)"
    r"|^@(?:vue|vueuse|pinia)/|^@tanstack/(?:vue|solid|svelte)-query"
)
_OTHER_DEFINE = re.compile(r"\b(?:defineStore|defineComponent|defineNuxtComponent)[ \t]*\(")
_EFFECTS = frozenset({"useEffect", "useLayoutEffect", "React.useEffect", "React.useLayoutEffect"})
_STATE_HOOKS = frozenset({"useState", "React.useState"})


# --------------------------------------------------------------------------- effects that set state


Q_STATE = "(variable_declarator name: (array_pattern) @pattern value: (call_expression function: (_) @fn))"
Q_CALLS_WITH_ARGS = "(call_expression function: (_) @fn arguments: (arguments) @args) @call"


def _state_setters(source: SourceFile) -> set[str]:
    setters = set()
    for m in source.matches(Q_STATE):
        pattern_node, fn = m["pattern"], m["fn"]
        elements = pattern_node.named_children
        if text(fn) in _STATE_HOOKS and len(elements) > 1 and elements[1].type == "identifier":
            setters.add(text(elements[1]))
    return setters


def _effect_without_deps(source: SourceFile, _: Options) -> Iterator[Hit]:
    if "Effect" not in source.text:
        return
    setters: set[str] | None = None
    for call in source.query(Q_CALLS_WITH_ARGS).get("call", []):
        if text(call.child_by_field_name("function")) not in _EFFECTS:
            continue
        args = call.child_by_field_name("arguments")
        if args is None or args.named_child_count != 1 or args.named_children[0].type not in _FUNCTIONS:
            continue
        setters = _state_setters(source) if setters is None else setters
        called = {
            text(c.child_by_field_name("function"))
            for c in descendants(args.named_children[0], frozenset({"call_expression"}))
        }
        setter = next((s for s in sorted(called) if s in setters), None)
        if setter is None:
            continue
        yield Hit(
            first_line(call),
            end_line=last_line(call),
            message=f"This effect calls `{setter}` and has no dependency array, so it runs after every "
            "render and each state update renders again: an endless render loop (and a request per "
            "render if it fetches). Pass the dependencies as the second argument (`[]` to run once).",
        )


# --------------------------------------------------------------------------- keys in lists


def _returned_jsx(node: Node) -> Iterator[Node]:
    """The JSX elements a callback body can produce (through parentheses, ?:, && and returns)."""
    if node.type in ("jsx_element", "jsx_self_closing_element"):
        yield node
    elif node.type == "parenthesized_expression" and node.named_children:
        yield from _returned_jsx(node.named_children[-1])
    elif node.type == "ternary_expression":
        for field in ("consequence", "alternative"):
            branch = node.child_by_field_name(field)
            if branch is not None:
                yield from _returned_jsx(branch)
    elif node.type == "binary_expression":
        right = node.child_by_field_name("right")
        if right is not None:
            yield from _returned_jsx(right)
    elif node.type == "statement_block":
        for ret in descendants(node, frozenset({"return_statement"}), stop=_FUNCTIONS):
            if ret.named_children:
                yield from _returned_jsx(ret.named_children[0])


def _key_problem(element: Node) -> str | None:
    """Why the element has no key, or None when it has one (or may get one from a spread)."""
    tag = element.child_by_field_name("open_tag") if element.type == "jsx_element" else element
    if tag is None:
        return None
    if tag.child_by_field_name("name") is None:
        return "a fragment `<>` cannot take a key: use `<React.Fragment key={...}>`"
    for attribute in tag.named_children:
        if (
            attribute.type == "jsx_attribute"
            and attribute.named_children
            and text(attribute.named_children[0]) == "key"
        ):
            return None
        if attribute.type == "jsx_expression" and any(
            c.type == "spread_element" for c in attribute.named_children
        ):
            return None  # {...props} may carry the key
    return f"`<{text(tag.child_by_field_name('name'))}>` has no `key` prop"


Q_METHOD_CALLBACKS = (
    "(call_expression function: (member_expression property: (property_identifier) @method)"
    " arguments: (arguments . (_) @callback)) @call"
)


def _missing_key(source: SourceFile, _: Options) -> Iterator[Hit]:
    if source.language not in ("javascript", "tsx") or ".map(" not in source.text:
        return
    for m in source.matches(Q_METHOD_CALLBACKS):
        method, callback = m["method"], m["callback"]
        if text(method) != "map" or callback.type not in _FUNCTIONS:
            continue
        body = callback.child_by_field_name("body")
        if body is None:
            continue
        for element in _returned_jsx(body):
            problem = _key_problem(element)
            if problem is None:
                continue
            yield Hit(
                first_line(element),
                end_line=last_line(element),
                message=f"Elements rendered from .map() need a stable `key`: {problem}. Without one React "
                "re-creates or mixes up items when the list changes (lost input state, wrong animations). "
                "Use a unique id from the data (`key={item.id}`), not the array index.",
            )


# --------------------------------------------------------------------------- rules of hooks

_LOOPS = frozenset({"for_statement", "for_in_statement", "while_statement", "do_statement"})


def is_react_file(source: SourceFile) -> bool:
    """True when `use*` calls in the file are React hooks: a .jsx/.tsx file, or one importing React
    (preact, react-*, next...), and in neither case a Vue/Pinia/Svelte/Solid file."""
    modules = [match.group(1) for match in _IMPORTED.finditer(source.text)]
    if _OTHER_DEFINE.search(source.text) or any(_OTHER_MODULE.match(m) for m in modules):
        return False
    return source.name.lower().endswith((".jsx", ".tsx")) or any(_REACT_MODULE.match(m) for m in modules)


def _is_hoc(callee: Node | None) -> bool:
    """`memo`, `React.forwardRef`, `withRouter`, `connect(mapState)`: a call that wraps a component."""
    while callee is not None and callee.type == "call_expression":
        callee = callee.child_by_field_name("function")  # connect(mapState)(Component)
    name = text(callee).rsplit(".", 1)[-1]
    return name in _WRAPPERS or bool(_HOC_NAME.match(name))


def _function_name(fn: Node) -> str | None:
    """The component/hook name a function is bound to, '' for a default export or a function given to
    a higher-order component (`withX(() => ...)`, `memo(forwardRef(...))`), None if anonymous."""
    name = fn.child_by_field_name("name")
    if name is not None:
        return text(name)
    parent = fn.parent
    wrapped = False
    while (
        parent is not None
        and parent.type == "arguments"
        and parent.parent is not None
        and _is_hoc(parent.parent.child_by_field_name("function"))
    ):
        parent, wrapped = parent.parent.parent, True
    if parent is None:
        return None
    if parent.type == "variable_declarator":
        return text(parent.child_by_field_name("name"))
    if parent.type == "export_statement":
        return ""
    if parent.type in ("assignment_expression", "pair"):
        target = parent.child_by_field_name("left") or parent.child_by_field_name("key")
        return text(target).rsplit(".", 1)[-1]
    return "" if wrapped else None


def _has_return(node: Node) -> bool:
    if node.type in _FUNCTIONS:
        return False  # `function draw() { if (!x) return; }` declared in the component returns from draw
    return node.type == "return_statement" or any(
        True for _ in descendants(node, frozenset({"return_statement"}), stop=_FUNCTIONS)
    )


def _why_conditional(call: Node, source: SourceFile) -> str | None:
    previous = call
    for parent in ancestors(call):
        if parent.type in _FUNCTIONS:
            if not source.known(first_line(parent)):
                return None  # the header was rebuilt from a hunk's section line: cannot tell
            name = _function_name(parent)
            if name is None or not (name == "" or _COMPONENT.match(name) or _HOOK.match(name)):
                return "inside a nested function that is neither a component nor a hook"
            return None
        condition = parent.child_by_field_name("condition")
        if parent.type in ("if_statement", "ternary_expression") and previous != condition:
            return "conditionally (inside an if or ?:)"
        if (
            parent.type == "binary_expression"
            and previous == parent.child_by_field_name("right")
            and text(parent.child_by_field_name("operator")) in ("&&", "||", "??")
        ):
            return "conditionally (on the right of &&, || or ??)"
        if parent.type in _LOOPS:
            return "inside a loop"
        if parent.type in ("switch_case", "switch_default", "catch_clause"):
            return "conditionally (inside a switch or catch)"
        if parent.type == "statement_block":
            for sibling in parent.named_children:
                if sibling == previous:
                    break
                if _has_return(sibling):
                    return "after an early return"
        previous = parent
    if not source.complete:
        return None  # the enclosing function's header is above the hunk
    return "outside a component or hook"


Q_HOOK_CALLS = """
(call_expression function: (identifier) @fn) @call
(call_expression
  function: (member_expression object: (identifier) @obj property: (property_identifier) @fn)) @call
"""


def _conditional_hook(source: SourceFile, _: Options) -> Iterator[Hit]:
    if "use" not in source.text or not is_react_file(source) or source.is_test:
        return  # tests call hooks through renderHook(() => useX()), which is how hooks are tested
    for m in source.matches(Q_HOOK_CALLS):
        call, fn = m["call"], m["fn"]
        name = text(fn)
        target = call.child_by_field_name("function")
        if not _HOOK.match(name) or (
            target is not None
            and target.type == "member_expression"
            and not text(target).startswith("React.")
        ):
            continue
        why = _why_conditional(call, source)
        if why is None:
            continue
        yield Hit(
            first_line(call),
            end_line=last_line(call),
            message=f"`{name}` is called {why}. React matches hooks to state by call order, so a hook must "
            "run unconditionally at the top level of a component or custom hook. Move it up, before any "
            "early return, and put the condition inside the hook (or in the effect) instead.",
        )


RULES = (
    Rule(
        id="react.effect-sets-state-without-deps",
        languages=JS_LANGUAGES,
        severity=Severity.HIGH,
        type=FindingType.BUG,
        category="performance",
        message="useEffect sets state and has no dependency array (render loop).",
        doc="useEffect/useLayoutEffect with only a callback, where the callback (or a function inside it) "
        "calls a setter from a useState of the file.",
        check=_effect_without_deps,
        queries=(Q_CALLS_WITH_ARGS, Q_STATE),
        suggestion="Pass a dependency array as the second argument.",
    ),
    Rule(
        id="react.missing-key",
        languages=("javascript", "tsx"),
        severity=Severity.MEDIUM,
        type=FindingType.BUG,
        category="correctness",
        message="Elements rendered from .map() have no key.",
        doc="The JSX element a .map() callback returns has no `key` prop (a `{...props}` spread counts as "
        "giving one); a short fragment `<>` cannot take one.",
        check=_missing_key,
        queries=(Q_METHOD_CALLBACKS,),
        suggestion="key={item.id}",
    ),
    Rule(
        id="react.conditional-hook",
        languages=JS_LANGUAGES,
        severity=Severity.HIGH,
        type=FindingType.BUG,
        category="correctness",
        message="A hook is called conditionally.",
        doc="A call to useX() (or React.useX()) inside an if/?:/&&/loop/switch, after an early return, or "
        "in a nested function that is not a component (Capitalized, or wrapped in memo/forwardRef/"
        "withX(...)) or hook (useX). Only where React is the file's framework (.jsx/.tsx, or a file "
        "importing react/preact/next...), never in Vue/Pinia/vue-query files; in a diff without the "
        "file, only when the enclosing function's header is in the hunk.",
        check=_conditional_hook,
        queries=(Q_HOOK_CALLS,),
        suggestion="Call hooks unconditionally at the top of the component.",
    ),
)
