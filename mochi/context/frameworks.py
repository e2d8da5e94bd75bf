"""Which frameworks a change is written against, from evidence in the repository.

Evidence is of two kinds:

- manifests (pom.xml, build.gradle[.kts], package.json, Cargo.toml) at the repository root and in
  every parent directory of a changed file, so `services/api/pom.xml` counts for
  `services/api/src/main/java/...` in a monorepo and not for `web/src/App.tsx`;
- the changed files themselves (`import org.springframework...`, `@RestController`,
  `from 'react'`, a `.tsx` file, `use actix_web`), for repositories without a manifest we know.

Manifests are parsed (XML, JSON, TOML), never grepped, so a comment or a package named
`react-native-foo` is not evidence. Use:

    detection = scan_frameworks(read_file, changed_paths)
    context = Context(frameworks=detection.frameworks, ...)
    renderer.render(files, context, target, frameworks_for=detection.for_file)

`detection.for_file(path)` is what a prompt for that one file should get: the frameworks of the
manifests in its own and parent directories plus its own evidence, limited to frameworks that
apply to that kind of file (React guidance is never sent for a Java file).
"""

from __future__ import annotations

import json
import logging
import re
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from posixpath import dirname, join, splitext
from typing import Any

logger = logging.getLogger(__name__)

ReadFile = Callable[[str], str | None]

SPRING_BOOT = "spring-boot"
REACT = "react"
ACTIX_WEB = "actix-web"

# The stable ids, in the order they are reported.
FRAMEWORKS: tuple[str, ...] = (SPRING_BOOT, REACT, ACTIX_WEB)

# Only the start of a changed source file is read: imports and class annotations are near the top.
_SOURCE_HEAD_CHARS = 20_000
_MANIFEST_MAX_CHARS = 2_000_000

_JAVA_LIKE = (".java", ".kt")
_JS_LIKE = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts")

# The file extensions each framework's guidance applies to.
_APPLIES_TO: dict[str, tuple[str, ...]] = {
    SPRING_BOOT: _JAVA_LIKE,
    REACT: _JS_LIKE,
    ACTIX_WEB: (".rs",),
}
# Spring Boot configuration files get the Spring guidance too (secrets in properties).
_SPRING_CONFIG = re.compile(r"(^|/)(application|bootstrap)([-.][\w-]+)?\.(properties|ya?ml)$")


def framework_applies(framework: str, path: str) -> bool:
    """True when guidance for `framework` is relevant to the file at `path`.

    Frameworks we do not know (a user's own `frameworks/<id>.md.j2`) apply to every file.
    """
    exts = _APPLIES_TO.get(framework)
    if exts is None:
        return True
    if framework == SPRING_BOOT and _SPRING_CONFIG.search(path):
        return True
    return splitext(path)[1].lower() in exts


def ordered(frameworks: Iterable[str]) -> tuple[str, ...]:
    """Deduplicate into the stable order: known ids first in FRAMEWORKS order, then the rest."""
    seen = list(dict.fromkeys(frameworks))
    known = [f for f in FRAMEWORKS if f in seen]
    return tuple(known + [f for f in seen if f not in FRAMEWORKS])


def detect_frameworks_for_file(
    path: str,
    frameworks_by_dir: Mapping[str, Iterable[str]],
    own: Iterable[str] = (),
) -> tuple[str, ...]:
    """The frameworks that apply to `path`.

    `frameworks_by_dir` maps a repo-relative directory ("" is the root) to the frameworks its
    manifests declare; the file gets those of its own directory and every parent, plus `own`
    (evidence from the file itself), filtered by `framework_applies`.
    """
    found: list[str] = list(own)
    for directory in _ancestors(path):
        found.extend(frameworks_by_dir.get(directory, ()))
    return ordered(f for f in found if framework_applies(f, path))


@dataclass(frozen=True)
class FrameworkDetection:
    """The result of `scan_frameworks`.

    `by_dir`: directory -> frameworks declared by the manifests there (only directories with some).
    `by_file`: changed file -> frameworks evident in the file's own content.
    """

    by_dir: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    by_file: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def frameworks(self) -> tuple[str, ...]:
        """Every framework found anywhere, in the stable order."""
        return ordered([*_flatten(self.by_dir.values()), *_flatten(self.by_file.values())])

    def for_file(self, path: str) -> tuple[str, ...]:
        """The frameworks whose guidance a prompt for `path` should include."""
        return detect_frameworks_for_file(path, self.by_dir, self.by_file.get(path, ()))


def scan_frameworks(read_file: ReadFile, paths: Sequence[str]) -> FrameworkDetection:
    """Look for framework evidence for the changed files `paths`.

    `read_file(path)` returns a repo-relative file's text at the reviewed revision, or None when
    it does not exist there. Manifests are read once per directory.
    """
    by_dir: dict[str, tuple[str, ...]] = {}
    directories = dict.fromkeys(d for p in paths for d in _ancestors(p))
    for directory in directories or {"": None}:
        found = _manifest_frameworks(read_file, directory)
        if found:
            by_dir[directory] = found
    by_file: dict[str, tuple[str, ...]] = {}
    for path in paths:
        own = _source_frameworks(path, read_file)
        if own:
            by_file[path] = own
    return FrameworkDetection(by_dir=by_dir, by_file=by_file)


def detect_frameworks(read_file: ReadFile, paths: Sequence[str]) -> tuple[str, ...]:
    """The ids ("spring-boot", "react", "actix-web") the change at `paths` is written against."""
    return scan_frameworks(read_file, paths).frameworks


# --------------------------------------------------------------------------- manifests


def _manifest_frameworks(read_file: ReadFile, directory: str) -> tuple[str, ...]:
    found: list[str] = []
    checks: tuple[tuple[str, Callable[[str], bool], str], ...] = (
        ("pom.xml", _pom_has_spring_boot, SPRING_BOOT),
        ("build.gradle", _gradle_has_spring_boot, SPRING_BOOT),
        ("build.gradle.kts", _gradle_has_spring_boot, SPRING_BOOT),
        ("package.json", _package_json_has_react, REACT),
        ("Cargo.toml", _cargo_has_actix_web, ACTIX_WEB),
    )
    for name, check, framework in checks:
        path = join(directory, name) if directory else name
        text = read_file(path)
        if text is None or len(text) > _MANIFEST_MAX_CHARS:
            continue
        try:
            if check(text):
                found.append(framework)
        except (ValueError, ET.ParseError) as exc:
            # A broken manifest is the build's problem, not the review's: no evidence from it.
            logger.debug("cannot parse %s for framework detection: %s", path, exc)
    return ordered(found)


def _pom_has_spring_boot(text: str) -> bool:
    root = ET.fromstring(text)
    for element in root.iter():
        if _local(element.tag) not in ("parent", "dependency", "plugin"):
            continue
        for child in element:
            if _local(child.tag) == "groupId" and (child.text or "").strip() == "org.springframework.boot":
                return True
    return False


def _local(tag: Any) -> str:
    # Comments and processing instructions have a callable tag.
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


_GRADLE_SPRING_BOOT = re.compile(
    r"""id\s*\(?\s*["']org\.springframework\.boot["']"""  # plugins { id 'org.springframework.boot' }
    r"""|apply\s+plugin\s*:\s*["']org\.springframework\.boot["']"""
    r"""|["']org\.springframework\.boot:"""  # "org.springframework.boot:spring-boot-starter-web"
    r"""|\blibs\.(?:plugins\.)?spring\.boot\b"""  # version catalog accessors
)
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
# A // comment starts a line or follows whitespace; "https://" inside a string does neither.
_LINE_COMMENT = re.compile(r"(?m)(^|\s)//.*$")


def _gradle_has_spring_boot(text: str) -> bool:
    code = _LINE_COMMENT.sub(r"\1", _BLOCK_COMMENT.sub("", text))
    return bool(_GRADLE_SPRING_BOOT.search(code))


_NPM_SECTIONS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")


def _package_json_has_react(text: str) -> bool:
    data = json.loads(text)
    if not isinstance(data, dict):
        return False
    return any(isinstance(data.get(s), dict) and "react" in data[s] for s in _NPM_SECTIONS)


def _cargo_has_actix_web(text: str) -> bool:
    data = tomllib.loads(text)
    workspace, targets = data.get("workspace"), data.get("target")
    tables: list[Any] = [data.get("dependencies")]
    if isinstance(workspace, dict):
        tables.append(workspace.get("dependencies"))
    if isinstance(targets, dict):  # [target.'cfg(unix)'.dependencies]
        tables.extend(t.get("dependencies") for t in targets.values() if isinstance(t, dict))
    for table in tables:
        if not isinstance(table, dict):
            continue
        for name, spec in table.items():
            # A renamed dependency: web = { package = "actix-web", version = "4" }
            package = spec.get("package", name) if isinstance(spec, dict) else name
            if package == "actix-web":
                return True
    return False


# --------------------------------------------------------------------------- source files

_SPRING_SOURCE = re.compile(
    r"^\s*import\s+(?:static\s+)?org\.springframework\."
    r"|@(?:SpringBootApplication|RestController|Controller|Service|Repository|Component|Configuration"
    r"|Autowired|RequestMapping|GetMapping|PostMapping|PutMapping|DeleteMapping|PatchMapping)\b",
    re.MULTILINE,
)
_REACT_SOURCE = re.compile(
    r"""(?:\bfrom\s*|\brequire\(\s*|\bimport\s*\(?\s*)["']react(?:-dom)?(?:/[^"']*)?["']"""
)
_ACTIX_SOURCE = re.compile(r"\buse\s+actix_web\b|\bactix_web::")


def _source_frameworks(path: str, read_file: ReadFile) -> tuple[str, ...]:
    ext = splitext(path)[1].lower()
    if ext not in (*_JAVA_LIKE, *_JS_LIKE, ".rs"):
        return ()
    if ext in (".jsx", ".tsx"):
        return (REACT,)  # JSX is React's syntax; the file need not import React since React 17
    text = read_file(path)
    if text is None:
        return ()
    head = text[:_SOURCE_HEAD_CHARS]
    if ext in _JAVA_LIKE and _SPRING_SOURCE.search(head):
        return (SPRING_BOOT,)
    if ext in _JS_LIKE and _REACT_SOURCE.search(head):
        return (REACT,)
    if ext == ".rs" and _ACTIX_SOURCE.search(head):
        return (ACTIX_WEB,)
    return ()


def _ancestors(path: str) -> list[str]:
    """The directories containing `path`, innermost first, ending with the root ""."""
    out: list[str] = []
    directory = dirname(path.strip("/"))
    while directory:
        out.append(directory)
        directory = dirname(directory)
    out.append("")
    return out


def _flatten(groups: Iterable[Iterable[str]]) -> list[str]:
    return [item for group in groups for item in group]
