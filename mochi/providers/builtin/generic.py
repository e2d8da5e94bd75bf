"""Generic pack: checks for any text file (plain text, so regular expressions and paths)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from fnmatch import fnmatchcase

from mochi.models import ChangeKind, FindingType, Severity
from mochi.providers.builtin.rule import ANY_LANGUAGE, Hit, Options, Rule
from mochi.providers.builtin.secret_values import is_placeholder
from mochi.providers.builtin.secrets import PRIVATE_KEY
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

_TODO_WORD = re.compile(r"\b(TODO|FIXME)\b")
_ADDED_LINE = re.compile(r"[^\n]+")
_TICKET = re.compile(r"\b[A-Z][A-Z0-9]{0,15}-\d+|#\d+|https?://|\bissue\b|\bgh-\d+", re.IGNORECASE)
# TODO(PAY-12), TODO(Halo 3), TODO[perf], TODO @alice, TODO: @alice: someone or some release owns it
_TAGGED = re.compile(r"[ \t]*(?:\([^)\n]+\)|\[[^\]\n]+\]|:?[ \t]*@\w)")


def _quiet_file(source: SourceFile) -> bool:
    """Test code, generated or vendored files and translation catalogues: hygiene rules stay silent."""
    return source.is_test or source.is_generated or source.is_catalogue


_BUILT_ASSET_DIRS = frozenset({"static", "public", "dist", "build", "vendor", "assets", "wwwroot"})
_ASSET_SUFFIXES = (".css", ".js", ".map", ".svg")


def _built_asset(source: SourceFile) -> bool:
    """A stylesheet or script under static/, public/, dist/...: usually compiled (Sass, a bundler) or a
    copied library, committed on purpose; its size says nothing about the change's care."""
    return source.name.lower().endswith(_ASSET_SUFFIXES) and bool(
        _BUILT_ASSET_DIRS.intersection(p.lower() for p in source.parts[:-1])
    )


def _todo(source: SourceFile, _: Options) -> Iterator[Hit]:
    if _quiet_file(source):
        return
    for line, match in source.added_matches(_ADDED_LINE, needles=("todo", "fixme")):
        text = match.group(0)
        for todo in _TODO_WORD.finditer(text):
            if _TAGGED.match(text, todo.end()) or _TICKET.search(text, todo.end()):
                break  # the comment names its owner
            if not source.in_comment(line, todo.start()) or source.in_test_code(line):
                continue  # a TODO in a string is text, not a note to the team
            word = todo.group(1)
            yield Hit(
                line,
                message=f"{word} without a ticket reference: nobody owns it and it will outlive its "
                f"context. Link it to an issue (`{word}(PROJ-123): ...` or `{word} #123`), "
                "or do it now.",
            )
            break


# --------------------------------------------------------------------------- large files


def _large_file(source: SourceFile, options: Options) -> Iterator[Hit]:
    count = len(source.added)
    if count > options.large_file_lines and not _quiet_file(source) and not _built_asset(source):
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
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
_PUBLIC_BLOCKS = frozenset(
    {"CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CRL", "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"}
)
_PUBLIC_KEY = re.compile(r"^(?:[A-Z0-9]+ )*PUBLIC KEY$")
_DUMMY_HEADER = re.compile(r"(?i)\b(?:dummy|example|fake|placeholder|sample|mock|not real)\b")


def _only_public_blocks(source: SourceFile) -> bool:
    """A PEM text whose blocks are all certificates or public keys (a certificate chain, a .pub)."""
    kinds = _PEM_BLOCK.findall(source.text) if "-----BEGIN " in source.text else []
    return bool(kinds) and all(k in _PUBLIC_BLOCKS or _PUBLIC_KEY.match(k) for k in kinds)


def _dummy_env(source: SourceFile) -> bool:
    """An env file of test code, or whose leading comment says its values are dummies/examples."""
    if source.is_test:
        return True
    for line in source.lines[:10]:
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return False
        if _DUMMY_HEADER.search(stripped):
            return True
    return False


_SYMLINK = "120000"  # git's mode for a symbolic link: its content is the target's path
_ENV_LINE = re.compile(r"^(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.\-]*)[ \t]*=[ \t]*(.*)$")
_SECRET_ENV_KEY = re.compile(
    r"(?i)pass|pwd|secret|token|key|credential|auth|private|salt|cookie|session|signature"
)
_URL_PASSWORD = re.compile(r"://[^\s/@:]+:[^\s/@]+@")


def _env_holds_secrets(source: SourceFile) -> bool:
    """An env file with a secret-like key (PASSWORD, SECRET, TOKEN, KEY...) set to a real value, or a
    URL with a password in it. True when the file cannot be read as KEY=value lines (or is not known
    in full): only a file seen whole, and holding only settings such as DATABASE_URL=file:test.db, is
    not a secrets file."""
    if source.diff.binary or not (source.complete or source.diff.change is ChangeKind.ADDED):
        return True
    for line in source.lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _ENV_LINE.match(stripped)
        if match is None:
            return True
        value = re.split(r"[ \t]+#", match.group(2), maxsplit=1)[0].strip().strip("\"'")
        if _URL_PASSWORD.search(value) or (
            _SECRET_ENV_KEY.search(match.group(1)) and value and not is_placeholder(value)
        ):
            return True
    return False


def _sensitive_file(source: SourceFile, _: Options) -> Iterator[Hit]:
    name = source.name.lower()
    introduced = (
        source.diff.change in (ChangeKind.ADDED, ChangeKind.RENAMED, ChangeKind.COPIED)
        or bool(source.added)
        or source.diff.binary
    )
    if not introduced or source.diff.new_mode == _SYMLINK:
        return  # a symbolic link holds a path, not key material
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
        if _dummy_env(source) or not _env_holds_secrets(source):
            return
        what = "an environment file (.env), which usually holds credentials and machine-local settings"
    elif any(fnmatchcase(name, pattern) for pattern in _SECRET_FILES):
        if not source.diff.binary and _only_public_blocks(source):
            return  # certificates and public keys are public
        if not source.diff.binary and any(PRIVATE_KEY.search(source.line(no)) for no in source.added):
            return  # secrets.private-key reports the key block itself, on its line
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
        doc="An added comment with TODO or FIXME and no ticket reference or tag after it (PROJ-123, #123, a "
        "URL, TODO(owner), TODO[tag], TODO @user). Not in strings, test code, generated or vendored files "
        "and translation catalogues.",
        check=_todo,
        suggestion="TODO(PROJ-123): ...",
        # opt-in: whether a TODO needs a ticket is a team's policy; on real projects most were fine
        # (1 of 3 right in bench/precision, 3 of 15 before the rule knew strings and tags)
        enabled_by_default=False,
    ),
    Rule(
        id="generic.large-file",
        # opt-in: judged blind on the held-out samples of bench/precision, 0 of 3 right (< 80%)
        enabled_by_default=False,
        languages=(ANY_LANGUAGE,),
        severity=Severity.LOW,
        type=FindingType.SUGGESTION,
        category="maintainability",
        message="A very large file is added.",
        doc="A file to which the change adds more lines than Options.large_file_lines (1000 by default); "
        "reported once, on the file. Not for test files, lockfiles, snapshots, generated, vendored or "
        "minified files and translation catalogues.",
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
        doc=".env and .env.* (except .env.example/.sample/.template/.dist/.defaults, env files under test "
        "directories, those whose leading comment says the values are dummies or examples, and those whose "
        "keys are all non-secret settings such as DATABASE_URL=file:test.db), *.pem, *.key (unless they "
        "only hold certificates or public keys, or a private key block secrets.private-key reports), "
        "id_rsa/id_dsa/id_ecdsa/id_ed25519, *.p12, *.pfx, *.jks, *.keystore, and an .npmrc with a literal "
        "_authToken. Not a symbolic link (git mode 120000): it holds a path.",
        check=_sensitive_file,
        suggestion="Remove it and add it to .gitignore.",
        on_binary=True,
    ),
)
