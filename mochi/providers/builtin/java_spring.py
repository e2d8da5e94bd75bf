"""Spring checks that need more than the line: the class's injection style, the request body's class.

java.field-injection reports field injection only where the change goes against what the class
itself shows: it replaces constructor injection, or mixes field injection into a class that
injects through its constructor. A class that injects every dependency into fields (a code base
whose convention that is) gives no finding: that is a project-wide decision, not this change's.

java.request-body-not-validated reports a @RequestBody without @Valid only when the bound class
has Bean Validation constraints to check, read from the repository (same package, or imported);
a class without constraints (a generated model) or one that cannot be read: no finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from tree_sitter import Node

from mochi.models import LineKind
from mochi.providers.builtin.java_syntax import annotation_names, is_test_source, modifiers_of
from mochi.providers.builtin.rule import Hit, Options
from mochi.providers.builtin.source import SourceFile
from mochi.providers.builtin.syntax import ancestors, descendants, first_line, last_line, text

Q_FIELDS = "(field_declaration (modifiers) @mods) @field"
Q_PARAMS = "(formal_parameter (modifiers) @mods) @param"

_ASSIGN_FROM_PARAM = re.compile(r"\bthis\.(\w+)\s*=\s*(\w+)\s*;")
_CONSTRUCTOR_LOMBOK = re.compile(r"@(?:RequiredArgsConstructor|AllArgsConstructor)\b")
_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)\s*;", re.MULTILINE)
_CONSTRAINT = re.compile(
    r"@(?:NotNull|NotBlank|NotEmpty|Size|Min|Max|Positive|PositiveOrZero|Negative|NegativeOrZero|Email|"
    r"Pattern|Past|PastOrPresent|Future|FutureOrPresent|DecimalMin|DecimalMax|Digits|AssertTrue|"
    r"AssertFalse|Null|Valid|Length|Range|URL)\b|\b(?:jakarta|javax)\.validation\.constraints\b"
)
_WRAPPERS = frozenset({"List", "Set", "Collection", "Iterable", "Optional", "ArrayList", "HashSet"})


_CONSTRUCTOR_HEAD = re.compile(r"^\s*(?:public|protected|private)?\s*([A-Z]\w*)\s*\(")
_CLASSES = frozenset({"class_declaration", "enum_declaration", "record_declaration"})
# a nested or anonymous class's constructor is not the outer class's injection
_NESTED = _CLASSES | {"interface_declaration"}


def _constructor_injected(owner: Node) -> bool:
    """The class's own constructor (not a nested class's) assigns a field from a parameter of the same
    name (`this.x = x;`)."""
    body = owner.child_by_field_name("body")
    if body is None:
        return False
    constructors = descendants(body, frozenset({"constructor_declaration"}), stop=_NESTED)
    return any(m.group(1) == m.group(2) for c in constructors for m in _ASSIGN_FROM_PARAM.finditer(text(c)))


def _removed_constructor_injection(source: SourceFile) -> tuple[set[str], set[str]]:
    """(classes whose constructor the change removes, fields such a constructor assigned)."""
    removed = [ln.text for h in source.diff.hunks for ln in h.lines if ln.kind is LineKind.REMOVED]
    classes = {m.group(1) for line in removed if (m := _CONSTRUCTOR_HEAD.match(line))}
    found = (m for line in removed for m in _ASSIGN_FROM_PARAM.finditer(line))
    return classes, {m.group(1) for m in found if m.group(1) == m.group(2)}


def field_injection(source: SourceFile, _: Options) -> Iterator[Hit]:
    if ("@Autowired" not in source.text and "@Inject" not in source.text) or is_test_source(source):
        return  # in tests, @Autowired fields are the natural way to get beans (Spring's own docs)
    removed_classes, removed_fields = _removed_constructor_injection(source)
    for field in source.query(Q_FIELDS).get("field", []):
        names = annotation_names(modifiers_of(field))
        annotation = "Autowired" if "Autowired" in names else "Inject" if "Inject" in names else None
        if annotation is None:
            continue
        declarator = field.child_by_field_name("declarator")
        name = text(declarator.child_by_field_name("name")) if declarator is not None else "field"
        owner = next((a for a in ancestors(field) if a.type in _CLASSES), None)
        owner_text = text(owner) if owner is not None else source.text
        owner_name = text(owner.child_by_field_name("name")) if owner is not None else ""
        replaced = name in removed_fields and owner_name in removed_classes
        mixed = (_constructor_injected(owner) if owner is not None else False) or bool(
            _CONSTRUCTOR_LOMBOK.search(owner_text)
        )
        if not replaced and not mixed:
            continue  # the class injects into fields throughout: its convention, not this change's choice
        why = (
            f"this change replaces the constructor injection of `{name}`"
            if replaced
            else "the class otherwise injects through its constructor"
        )
        yield Hit(
            first_line(field),
            end_line=last_line(field),
            message=f"Field injection with @{annotation} on `{name}` ({why}): the dependency is hidden, the "
            "field cannot be final and the class cannot be built in a unit test without Spring. Use "
            f"constructor injection: declare `private final {text(field.child_by_field_name('type'))} "
            f"{name};` and take it as a constructor parameter (a single constructor needs no @Autowired; "
            "Lombok's @RequiredArgsConstructor writes it for you).",
        )


def _body_class(type_text: str) -> str | None:
    """`List<OrderDto>` -> OrderDto; `OrderDto` -> OrderDto; `Map<..>`, `String`, arrays -> None."""
    match = re.fullmatch(r"\s*(?:[\w.]+\.)?(\w+)\s*(?:<\s*(?:[\w.]+\.)?(\w+)\s*>)?\s*", type_text)
    if match is None:
        return None
    outer, inner = match.group(1), match.group(2)
    name = inner if inner and outer in _WRAPPERS else None if inner else outer
    if name is None or name in ("String", "Object", "Integer", "Long", "Map", "JsonNode", "byte"):
        return None
    return name


def _class_source(source: SourceFile, name: str) -> str | None:
    """The text of class `name` as the repository has it: this file, the same package or an import."""
    if re.search(rf"\b(?:class|record|interface)\s+{name}\b", source.text):
        return source.text
    package = _PACKAGE.search(source.text)
    here = PurePosixPath(source.path)
    if package is None:
        return None
    depth = len(package.group(1).split("."))
    if len(here.parts) <= depth:
        return None
    root = PurePosixPath(*here.parts[: len(here.parts) - 1 - depth])
    imported = re.search(rf"^\s*import\s+([\w.]+)\.{name}\s*;", source.text, re.MULTILINE)
    qualified = f"{imported.group(1)}.{name}" if imported else f"{package.group(1)}.{name}"
    return source.read_repo(str(root / (qualified.replace(".", "/") + ".java")))


def request_body_not_validated(source: SourceFile, _: Options) -> Iterator[Hit]:
    if "RequestBody" not in source.text or is_test_source(source):
        return
    for param in source.query(Q_PARAMS).get("param", []):
        names = annotation_names(modifiers_of(param))
        if "RequestBody" not in names or "Valid" in names or "Validated" in names:
            continue
        body = _body_class(text(param.child_by_field_name("type")))
        body_text = _class_source(source, body) if body else None
        if body_text is None or not _CONSTRAINT.search(body_text):
            continue  # nothing to validate, or the class cannot be read: @Valid may be a no-op
        annotation = names["RequestBody"]
        line = source.line(first_line(annotation))
        suggestion = (
            line.replace(text(annotation), "@Valid " + text(annotation), 1)
            if first_line(annotation) == last_line(annotation)
            else None
        )
        yield Hit(
            first_line(param),
            end_line=last_line(param),
            message=f"`{text(param.child_by_field_name('name'))}` is bound from the request body without "
            f"@Valid: the Bean Validation constraints of {body} (@NotNull, @Size...) are never checked. "
            "Annotate the parameter with @Valid (or @Validated for groups).",
            suggestion=suggestion,
        )
