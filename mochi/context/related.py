"""Related files: the repository files a changed file imports, as short signatures.

A reviewer reading `orderService.refund(order, amount)` wants to know what `refund` takes and
returns. For each changed Java, JavaScript/TypeScript or Rust file, its imports are resolved to
files of the repository (Java imports under `src/main/java`, relative JS/TS imports, Rust `mod x;`
and `use crate::...`), and each such file is summarised with tree-sitter as its class, method
and function signatures without bodies. The whole is capped (`max_chars`, `per_file_chars`,
`max_files`) so it never crowds out the diff.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath

from tree_sitter import Node

from mochi.models import Diff, FileDiff, RelatedFile
from mochi.providers.builtin.syntax import Syntax, language_of

ReadFile = Callable[[str], "str | None"]

MAX_CHARS = 8000
PER_FILE_CHARS = 1500
MAX_FILES = 20

_JAVA_IMPORT = re.compile(r"^\s*import\s+(static\s+)?([\w.]+?)(\.\*)?\s*;", re.MULTILINE)
_JS_IMPORT = re.compile(
    r"""(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"](\.{1,2}/[^'"]+)['"]""", re.MULTILINE
)
_RUST_MOD = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", re.MULTILINE)
_RUST_USE = re.compile(r"\buse\s+crate::([\w:]+)")
_JS_EXTENSIONS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".d.ts")

# Declarations whose signature is kept; the value says whether to look inside (class bodies).
_DECLARATIONS: dict[str, dict[str, bool]] = {
    "java": {"class_declaration": True, "interface_declaration": True, "enum_declaration": True,
             "record_declaration": True, "method_declaration": False, "constructor_declaration": False,
             "field_declaration": False, "annotation_type_declaration": False},
    "js": {"class_declaration": True, "function_declaration": False, "method_definition": False,
           "interface_declaration": True, "type_alias_declaration": False, "enum_declaration": False,
           "abstract_class_declaration": True, "generator_function_declaration": False,
           "public_field_definition": False, "method_signature": False, "property_signature": False,
           "lexical_declaration": False},
    "rust": {"struct_item": False, "enum_item": False, "trait_item": True, "impl_item": True,
             "function_item": False, "function_signature_item": False, "type_item": False,
             "const_item": False},
}  # fmt: skip
_VALUE_TYPES = frozenset({"field_declaration", "public_field_definition", "const_item", "static_item"})
_BODY_TYPES = frozenset({"class_body", "interface_body", "enum_body", "declaration_list", "object_type",
                         "block", "statement_block", "constructor_body", "field_declaration_list",
                         "enum_variant_list"})  # fmt: skip


def related_files(
    diff: Diff,
    read_changed: ReadFile,
    read_repo: ReadFile,
    *,
    syntax: Syntax | None = None,
    max_chars: int = MAX_CHARS,
    per_file_chars: int = PER_FILE_CHARS,
    max_files: int = MAX_FILES,
) -> tuple[RelatedFile, ...]:
    """The repository files the changed files import, with their signatures (see the module doc)."""
    syntax = syntax or Syntax()
    changed = {f.path for f in diff.files}
    importers: dict[str, list[str]] = {}
    for f in diff.files:
        source = read_changed(f.path) or _from_diff(f)
        for target in imports_of(f.path, source, read_repo):
            if target != f.path:
                importers.setdefault(target, []).append(f.path)
    out: list[RelatedFile] = []
    used = 0
    for path, by in importers.items():
        if path in changed or len(out) >= max_files:
            continue
        text = read_repo(path)
        if not text:
            continue
        sigs = signatures(path, text, syntax)
        if not sigs:
            continue
        if len(sigs) > per_file_chars:
            cut = sigs.rfind("\n", 0, per_file_chars)
            sigs = sigs[: cut if cut > 0 else per_file_chars] + "\n…"
        if used + len(sigs) > max_chars:
            continue
        used += len(sigs)
        out.append(RelatedFile(path=path, imported_by=tuple(dict.fromkeys(by)), signatures=sigs))
    return tuple(out)


def _from_diff(f: FileDiff) -> str:
    return "\n".join(ln.text for h in f.hunks for ln in h.lines if ln.new_no is not None)


def imports_of(path: str, source: str, exists: ReadFile) -> list[str]:
    """Repository paths that `source` (the file at `path`) imports and that exist."""
    grammar = language_of(path)
    if grammar == "java":
        candidates = _java(path, source)
    elif grammar in ("javascript", "typescript", "tsx"):
        candidates = _js(path, source)
    elif grammar == "rust":
        candidates = _rust(path, source)
    else:
        return []
    found: list[str] = []
    for options in candidates:
        hit = next((c for c in options if exists(c) is not None), None)
        if hit is not None and hit not in found:
            found.append(hit)
    return found


def _java(path: str, source: str) -> list[list[str]]:
    marker = "src/main/java/"
    prefix = path[: path.index(marker) + len(marker)] if marker in path else ""
    roots = list(dict.fromkeys([prefix, prefix.replace("src/main/java/", "src/test/java/"),
                                "src/main/java/", "src/test/java/", ""]))  # fmt: skip
    out: list[list[str]] = []
    for m in _JAVA_IMPORT.finditer(source):
        if m.group(3):
            continue  # a wildcard names a package, not a file
        name = m.group(2)
        if m.group(1):
            name = name.rsplit(".", 1)[0]  # static import: the member's class
        rel = name.replace(".", "/") + ".java"
        out.append([r + rel for r in roots])
    return out


def _js(path: str, source: str) -> list[list[str]]:
    base = posixpath.dirname(path)
    out: list[list[str]] = []
    for m in _JS_IMPORT.finditer(source):
        target = posixpath.normpath(posixpath.join(base, m.group(1)))
        if target.startswith(".."):
            continue
        options = [target] if PurePosixPath(target).suffix in _JS_EXTENSIONS else []
        stem = re.sub(r"\.(js|jsx|mjs|cjs)$", "", target)  # TS imports './x.js' for './x.ts'
        options += [stem + ext for ext in _JS_EXTENSIONS]
        options += [f"{target}/index{ext}" for ext in _JS_EXTENSIONS]
        out.append(list(dict.fromkeys(options)))
    return out


def _rust(path: str, source: str) -> list[list[str]]:
    p = PurePosixPath(path)
    here = str(p.parent) if p.name in ("main.rs", "lib.rs", "mod.rs") else str(p.parent / p.stem)
    here = "" if here == "." else here + "/"
    out = [[f"{here}{m.group(1)}.rs", f"{here}{m.group(1)}/mod.rs"] for m in _RUST_MOD.finditer(source)]
    src = path[: path.index("src/") + 4] if "src/" in path else "src/"
    for m in _RUST_USE.finditer(source):
        parts = [s for s in m.group(1).split("::") if s]
        options: list[str] = []
        for n in range(len(parts), 0, -1):
            stem = src + "/".join(parts[:n])
            options += [stem + ".rs", stem + "/mod.rs"]
        out.append(options)
    return out


# --------------------------------------------------------------------------- signatures


def signatures(path: str, source: str, syntax: Syntax) -> str:
    """The declarations of a Java/JS/TS/Rust file as one signature a line, bodies left out."""
    grammar = language_of(path)
    if grammar is None:
        return ""
    family = "js" if grammar in ("javascript", "typescript", "tsx") else grammar
    wanted = _DECLARATIONS.get(family, {})
    tree = syntax.parse(grammar, source.encode("utf-8"))
    lines: list[str] = []
    _walk(tree.root_node, wanted, 0, lines)
    return "\n".join(lines)


def _walk(node: Node, wanted: dict[str, bool], depth: int, out: list[str]) -> None:
    for child in node.named_children:
        kind = child.type
        if kind in wanted:
            if kind == "lexical_declaration" and not _is_function_binding(child):
                continue
            out.append("    " * depth + _head(child))
            if wanted[kind]:
                body = child.child_by_field_name("body")
                if body is not None:
                    _walk(body, wanted, depth + 1, out)
        elif kind in ("export_statement", "program", "source_file", "mod_item", "declaration_list",
                      "ambient_declaration") or kind.endswith("_body"):  # fmt: skip
            _walk(child, wanted, depth if kind != "mod_item" else depth + 1, out)


def _is_function_binding(node: Node) -> bool:
    return any(
        (v := d.child_by_field_name("value")) is not None
        and v.type in ("arrow_function", "function_expression")
        for d in node.named_children
        if d.type == "variable_declarator"
    )


def _head(node: Node) -> str:
    """The node's text up to its body (or up to an arrow function's body), on one line."""
    body = node.child_by_field_name("body")
    if node.type == "lexical_declaration":
        for d in node.named_children:
            value = d.child_by_field_name("value")
            if value is not None and value.child_by_field_name("body") is not None:
                body = value.child_by_field_name("body")
                break
    src = node.text or b""
    if (body is not None and body.type in _BODY_TYPES) or (
        body is not None and node.type == "lexical_declaration"
    ):
        src = src[: body.start_byte - node.start_byte]
    text = " ".join(src.decode("utf-8", "replace").split())
    if node.type in _VALUE_TYPES:  # never an initializer: it may hold a secret the diff does not show
        text = re.split(r"\s*=(?!=|>)", text, maxsplit=1)[0].rstrip(";") + ";"
    text = re.sub(r"\s*=>\s*$", " => …", text) if node.type == "lexical_declaration" else text
    return text if len(text) <= 200 else text[:200] + " …"


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
