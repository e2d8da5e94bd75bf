"""@Transactional pitfalls: methods the Spring proxy cannot intercept, and self-invocation."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from mochi.providers.builtin.java_syntax import annotation_names, keywords, modifiers_of
from mochi.providers.builtin.rule import Hit, Options
from mochi.providers.builtin.source import SourceFile
from mochi.providers.builtin.syntax import ancestors, first_line, last_line, text

# --------------------------------------------------------------------------- @Transactional


Q_METHODS = "(method_declaration (modifiers) @mods) @method"
Q_INVOCATIONS = "(method_invocation name: (identifier) @name) @call"


def transactional_private_final(source: SourceFile, _: Options) -> Iterator[Hit]:
    if "Transactional" not in source.text:
        return
    for method in source.query(Q_METHODS).get("method", []):
        mods = modifiers_of(method)
        if "Transactional" not in annotation_names(mods):
            continue
        bad = sorted(keywords(mods) & {"private", "final", "static"})
        if not bad:
            continue
        name = method.child_by_field_name("name")
        yield Hit(
            first_line(method),
            end_line=first_line(name) if name is not None else None,
            message=f"@Transactional on a {' '.join(bad)} method has no effect: Spring applies it through a "
            f"proxy that cannot override {'/'.join(bad)} methods, so `{text(name)}` runs without a "
            "transaction. Make it public (and not final or static), or move the transaction boundary to a "
            "public method of another bean.",
        )


def _arguments(annotation: Node | None) -> str:
    """A @Transactional's arguments without spaces ('' for a bare @Transactional)."""
    if annotation is None or annotation.type != "annotation":
        return ""
    return "".join(text(annotation.child_by_field_name("arguments")).split()).strip("()")


def _transactional_methods(class_body: Node) -> dict[str, str]:
    """Name -> its @Transactional's arguments, for the @Transactional methods of a class."""
    found: dict[str, str] = {}
    for member in class_body.named_children:
        if member.type != "method_declaration":
            continue
        annotation = annotation_names(modifiers_of(member)).get("Transactional")
        if annotation is not None:
            found[text(member.child_by_field_name("name"))] = _arguments(annotation)
    return found


def _settings_lost(callee: str, caller: str) -> bool:
    """Whether the callee's own settings matter when it joins the caller's transaction: not when it
    has none, the caller's, or only readOnly=true (a hint; the caller's transaction does the work)."""
    if not callee or callee == caller:
        return False
    return callee.replace("readOnly=true", "").strip(",") != ""


def self_invocation(source: SourceFile, _: Options) -> Iterator[Hit]:
    if "Transactional" not in source.text:
        return
    by_class: dict[int, dict[str, str]] = {}
    for m in source.matches(Q_INVOCATIONS):
        call, name = m["call"], m["name"]
        target = call.child_by_field_name("object")
        if target is not None and target.type != "this":
            continue
        class_body = next((a for a in ancestors(call) if a.type in ("class_body", "enum_body")), None)
        if (
            class_body is None
            or class_body.parent is None
            or class_body.parent.type == "object_creation_expression"
        ):
            continue
        if class_body.id not in by_class:
            by_class[class_body.id] = _transactional_methods(class_body)
        callee = text(name)
        if callee not in by_class[class_body.id]:
            continue
        caller = next(
            (a for a in ancestors(call) if a.type in ("method_declaration", "constructor_declaration")), None
        )
        if caller is None or text(caller.child_by_field_name("name")) == callee:
            continue
        own = annotation_names(modifiers_of(caller)).get("Transactional")
        outer = own or annotation_names(modifiers_of(class_body.parent)).get("Transactional")
        if outer is not None and not _settings_lost(by_class[class_body.id][callee], _arguments(outer)):
            continue  # it runs in the caller's transaction, and its own settings would change nothing
        yield Hit(
            first_line(call),
            end_line=last_line(call),
            message=f"`{callee}` is @Transactional but is called from the same class: the call does not go "
            "through Spring's proxy, so its transaction settings are ignored. Move it to another bean and "
            "inject that, or run the work with TransactionTemplate.",
        )
