"""Generic pack: checks for any text file (plain text, so regular expressions and paths)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from fnmatch import fnmatchcase

from mochi.models import ChangeKind, FindingType, Severity
from mochi.providers.builtin.rule import ANY_LANGUAGE, Hit, Options, Rule
from mochi.providers.builtin.source import SourceFile

# --------------------------------------------------------------------------- merge conflicts

_MARKER = re.compile(r"^(<{7}|={7}|>{7})(?:[ \t]|$)")


def _merge_conflict(source: SourceFile, _: Options) -> Iterator[Hit]:
    if not any(_MARKER.match(source.line(no)) for no in source.added):
        return
    start: int | None = None
    orphans: list[int] = []
    for no, line in enumerate(source.lines, 1):
        match = _MARKER.match(line)
        if match is None:
            continue
        marker = match.group(1)[0]
        if marker == "<":
            if start is not None:
                orphans.append(start)
            start = no
        elif marker == ">":
            if start is None:
                orphans.append(no)
            else:
                yield _conflict(start, no)
                start = None
        elif start is None and line.strip() == "=======":
            continue  # a lone ======= is more likely a reStructuredText/Markdown underline
    if start is not None:
        orphans.append(start)
    for no in orphans:
        yield _conflict(no, None)


def _conflict(start: int, end: int | None) -> Hit:
    return Hit(
        start,
        end_line=end,
        message="A merge conflict marker is committed: the file will not compile or parse and holds both "
        "sides of the conflict. Resolve the conflict (keep the right code, delete the <<<<<<< ======= "
        ">>>>>>> lines) before committing.",
    )


# --------------------------------------------------------------------------- TODO without a ticket

# A TODO after a comment opener on the same line. Found in two linear steps (the opener, then the
# word after it): one regex with a lazy gap between them backtracked from every opener to the line's
# end, so a line of 24,000 dashes took seconds and a megabyte line hours.
_COMMENT_OPENER = re.compile(r"//|#|/\*|\*|<!--|--|;|\{/\*")
_TODO_WORD = re.compile(r"\b(TODO|FIXME)\b")
_ADDED_LINE = re.compile(r"[^\n]+")
_TICKET = re.compile(r"\b[A-Z][A-Z0-9]{0,15}-\d+|#\d+|https?://|\bissue\b|\bgh-\d+", re.IGNORECASE)


def _todo(source: SourceFile, _: Options) -> Iterator[Hit]:
    for line, match in source.added_matches(_ADDED_LINE, needles=("todo", "fixme")):
        text = match.group(0)
        opener = _COMMENT_OPENER.search(text)
        todo = _TODO_WORD.search(text, opener.end()) if opener is not None else None
        if todo is None or _TICKET.search(text, todo.end()):
            continue
        word = todo.group(1)
        yield Hit(
            line,
            message=f"{word} without a ticket reference: nobody owns it and it will outlive its "
            f"context. Link it to an issue (`{word}(PROJ-123): ...` or `{word} #123`), "
            "or do it now.",
        )


# --------------------------------------------------------------------------- large files


def _large_file(source: SourceFile, options: Options) -> Iterator[Hit]:
    count = len(source.added)
    if count > options.large_file_lines:
        yield Hit(
            None,
            message=f"This change adds {count} lines to one file (more than {options.large_file_lines}): "
            "too much to review with care. Split it into smaller files or changes; if it is generated or "
            "vendored, mark it (linguist-generated in .gitattributes) or keep it out of the repository.",
        )


# --------------------------------------------------------------------------- files not to commit

_SECRET_FILES = (
    "*.pem",
    "*.key",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
)
_ENV_TEMPLATES = frozenset({".env.example", ".env.sample", ".env.template", ".env.dist", ".env.defaults"})
_NPM_TOKEN = re.compile(r"_authToken[ \t]*=[ \t]*([^\s$][^\s]*)")


def _sensitive_file(source: SourceFile, _: Options) -> Iterator[Hit]:
    name = source.name.lower()
    introduced = (
        source.diff.change in (ChangeKind.ADDED, ChangeKind.RENAMED, ChangeKind.COPIED)
        or bool(source.added)
        or source.diff.binary
    )
    if not introduced:
        return
    if name == ".npmrc":
        for line, _match in source.added_matches(_NPM_TOKEN):
            yield Hit(
                line,
                message="`.npmrc` holds a literal registry _authToken: anyone with the repository can "
                "publish as you. Use `_authToken=${NPM_TOKEN}` and set the variable in CI; revoke this "
                "token.",
            )
        return
    if (name == ".env" or name.startswith(".env.")) and name not in _ENV_TEMPLATES:
        what = "an environment file (.env), which usually holds credentials and machine-local settings"
    elif any(fnmatchcase(name, pattern) for pattern in _SECRET_FILES):
        what = "a private key or certificate store"
    else:
        return
    yield Hit(
        None,
        message=f"`{source.path}` is {what}: it should not be committed. Remove it from the change, add it "
        "to .gitignore (commit a .env.example with placeholders instead), and rotate anything it held.",
    )


RULES = (
    Rule(
        id="generic.merge-conflict",
        languages=(ANY_LANGUAGE,),
        severity=Severity.HIGH,
        type=FindingType.BUG,
        category="correctness",
        message="A merge conflict marker is committed.",
        doc="Added lines starting with <<<<<<<, >>>>>>> (and ======= inside such a block), reported once "
        "per conflict block.",
        check=_merge_conflict,
        suggestion="Resolve the conflict and delete the markers.",
    ),
    Rule(
        id="generic.todo-without-ticket",
        languages=(ANY_LANGUAGE,),
        severity=Severity.LOW,
        type=FindingType.SUGGESTION,
        category="maintainability",
        message="TODO/FIXME without a ticket reference.",
        doc="An added comment with TODO or FIXME and no ticket reference after it (PROJ-123, #123, a URL).",
        check=_todo,
        suggestion="TODO(PROJ-123): ...",
    ),
    Rule(
        id="generic.large-file",
        languages=(ANY_LANGUAGE,),
        severity=Severity.LOW,
        type=FindingType.SUGGESTION,
        category="maintainability",
        message="A very large file is added.",
        doc="A file to which the change adds more lines than Options.large_file_lines (1000 by default); "
        "reported once, on the file.",
        check=_large_file,
        suggestion="Split the change, or mark generated files.",
    ),
    Rule(
        id="generic.sensitive-file",
        languages=(ANY_LANGUAGE,),
        severity=Severity.HIGH,
        type=FindingType.BUG,
        category="security",
        message="A file that should not be committed is in the change.",
        doc=".env and .env.* (except .env.example/.sample/.template/.dist/.defaults), *.pem, *.key, "
        "id_rsa/id_dsa/id_ecdsa/id_ed25519, *.p12, *.pfx, *.jks, *.keystore, and an .npmrc with a literal "
        "_authToken.",
        check=_sensitive_file,
        suggestion="Remove it and add it to .gitignore.",
        on_binary=True,
    ),
)
