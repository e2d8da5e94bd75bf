"""Packages a change imports whole from another repository, rather than writes.

When a change adds a new package directory (its own Cargo.toml or package.json) and, in the same
change, re-points a dependency of that very name from a git or registry source to a local path that
is the new directory (`quantization = { git = "..." }` becomes `{ path = "../quantization" }`), the
package's files are existing code moved into the repository, reviewed where it came from. Like code
moved within the repository, they are not what the change introduces. A new package that no
dependency used before (the author's new crate) is new code and is reviewed as usual.
"""

from __future__ import annotations

import json
import posixpath
import re
import tomllib
from collections.abc import Callable, Iterable

from mochi.models import ChangeKind, Diff, FileDiff, LineKind

_CARGO = "Cargo.toml"
_NPM = "package.json"
_MANIFESTS = (_CARGO, _NPM)
# a Cargo.toml line `name = ...` or `name.path = ...` (the dependency tables are often above the hunk,
# so any such line counts: only the new package's own name is looked up)
_CARGO_LINE = re.compile(r"^\s*\"?([A-Za-z0-9_\-]+)\"?\s*(?:\.\s*([a-z\-]+)\s*)?=\s*(.*?)\s*$")
_CARGO_PATH = re.compile(r"\bpath\s*=\s*\"([^\"]+)\"")
# `[dependencies.name]`, `[workspace.dependencies.name]`: the source keys follow on their own lines
_CARGO_TABLE = re.compile(r"^\s*\[(?:[^\]]*\.)?(?:dev-|build-)?dependencies\.\"?([A-Za-z0-9_\-]+)\"?\]")
_CARGO_SOURCE_KEYS = frozenset({"path", "git", "version", "registry"})
# `"name": "file:../x"` (or link:, portal:) in a package.json
_NPM_LINE = re.compile(r"^\s*\"(@?[\w.\-/]+)\"\s*:\s*\"([^\"]*)\"\s*,?\s*$")
_NPM_LOCAL = re.compile(r"^(?:file|link|portal):(.+)$")


def _name_key(name: str) -> str:
    return name.replace("_", "-").lower()  # Cargo treats `a_b` and `a-b` as the same crate


def _package_name(manifest: FileDiff, text: str) -> str | None:
    """The package's own name, from the new manifest's text."""
    try:
        if manifest.path.endswith(_CARGO):
            package = tomllib.loads(text).get("package")
            name = package.get("name") if isinstance(package, dict) else None
        else:
            data = json.loads(text)
            name = data.get("name") if isinstance(data, dict) else None
    except ValueError:  # tomllib.TOMLDecodeError and json.JSONDecodeError are ValueErrors
        return None
    return name if isinstance(name, str) and name else None


def _local_target(manifest: FileDiff, value: str) -> str | None:
    """The directory a dependency value points at, relative to the repository root, or None when the
    value is not a local path (a version, a git URL, `{ workspace = true }`)."""
    match = _CARGO_PATH.search(value) if manifest.path.endswith(_CARGO) else _NPM_LOCAL.match(value)
    if match is None:
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(manifest.path), match.group(1)))


def _dependency_lines(manifest: FileDiff, kind: LineKind) -> Iterable[tuple[str, str]]:
    """(dependency name, value) on the manifest's added or removed lines."""
    cargo = manifest.path.endswith(_CARGO)
    table: str | None = None  # the dependency a `[dependencies.name]` table is about
    for line in (ln for hunk in manifest.hunks for ln in hunk.lines):
        if cargo and line.text.lstrip().startswith("["):
            header = _CARGO_TABLE.match(line.text)
            table = header.group(1) if header else None
            continue
        if line.kind is not kind:
            continue
        if not cargo:
            npm = _NPM_LINE.match(line.text)
            if npm is not None:
                yield npm.group(1), npm.group(2)
            continue
        match = _CARGO_LINE.match(line.text)
        if match is None:
            continue
        name, sub, value = match.groups()
        if table is not None and sub is None and name in _CARGO_SOURCE_KEYS:
            name, sub = table, name  # `git = "..."` / `path = "..."` inside `[dependencies.name]`
        yield name, (f"{{ {sub} = {value} }}" if sub else value)


def imported_directories(diff: Diff, read_file: Callable[[str], str | None]) -> frozenset[str]:
    """The directories of packages `diff` imports whole (see the module's docstring)."""
    new_manifests = [
        f for f in diff.files if f.change is ChangeKind.ADDED and posixpath.basename(f.path) in _MANIFESTS
    ]
    if not new_manifests:
        return frozenset()
    changed = [
        f
        for f in diff.files
        if posixpath.basename(f.path) in _MANIFESTS and f.change is not ChangeKind.DELETED and f.hunks
    ]
    # a dependency the change stops taking from elsewhere: (name) -> removed with a non-local value
    dropped = {
        _name_key(name)
        for f in changed
        if f.change is not ChangeKind.ADDED
        for name, value in _dependency_lines(f, LineKind.REMOVED)
        if _local_target(f, value) is None
    }
    # ... and now takes from a directory of the repository: (name, directory)
    local = {
        (_name_key(name), target)
        for f in changed
        for name, value in _dependency_lines(f, LineKind.ADDED)
        if (target := _local_target(f, value)) is not None
    }
    found = set()
    for manifest in new_manifests:
        text = read_file(manifest.path)
        if text is None:
            text = "\n".join(ln.text for ln in manifest.added_lines())
        name = _package_name(manifest, text)
        key = _name_key(name) if name is not None else None
        directory = posixpath.dirname(manifest.path)
        if key in dropped and (key, directory) in local and directory:
            found.add(directory)
    return frozenset(found)


def is_imported(file: FileDiff, directories: frozenset[str]) -> bool:
    """A file added whole under the directory of an imported package."""
    return file.change is ChangeKind.ADDED and any(file.path.startswith(d + "/") for d in directories)
