"""Which checkouts the server may review: a path under a configured root, and refs that are refs.

`repo_path` comes from a client, so it is resolved (symlinks and `..`, `Path.resolve(strict=True)`)
and must land under one of the roots given with `mochi serve --repo-root PATH`; so must the
repository's top level (a plain directory under a root inside a repository above it is refused).
Git runs with a fixed environment: no GIT_DIR-style overrides, and core.fsmonitor off, so a
repository's own config cannot make a review run a program. Refs only contain commit-ish
characters and must resolve to a commit; Git.rev_parse keeps them away from option parsing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from mochi.diff.git import Git
from mochi.errors import BadRefError, NotARepositoryError
from mochi.server.envelope import ApiError

# a branch, a tag, a sha, HEAD~2, main^, origin/main, v1.0: never an option, never a range
REF_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9._/@^~+-]{0,254}$"
_REF = re.compile(REF_PATTERN)
_GIT_OVERRIDES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_CONFIG_PARAMETERS",
)
NO_ROOTS = (
    "this server reviews no checkout on its disk: start it with `mochi serve --repo-root PATH` "
    "(repeatable) to allow the repositories under PATH"
)


def git_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment git runs with for the server's reviews."""
    env = {k: v for k, v in environ.items() if k not in _GIT_OVERRIDES and not k.startswith("GIT_CONFIG")}
    env.update(GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="core.fsmonitor", GIT_CONFIG_VALUE_0="false")
    return env


def _under(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def _forbidden(repo_path: str) -> ApiError:
    return ApiError(
        403,
        f"{repo_path} is outside the repositories this server may review (`mochi serve --repo-root`)",
        code="FORBIDDEN_PATH",
    )


def open_checkout(repo_path: str, roots: Sequence[Path], environ: Mapping[str, str]) -> Git:
    """The repository at `repo_path` when it is under a root; ApiError 403/400 otherwise."""
    if not roots:
        raise ApiError(403, NO_ROOTS, code="FORBIDDEN_PATH")
    if not repo_path or "\x00" in repo_path:
        raise ApiError(400, "repo_path is empty or not a path")
    path = Path(repo_path)
    if not path.is_absolute():
        raise ApiError(400, f"repo_path must be an absolute path on the server: {repo_path}")
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, a symlink loop, no permission
        if _under(Path(os.path.normpath(path)), roots):
            raise ApiError(400, f"{repo_path}: no such directory on the server") from None
        raise _forbidden(repo_path) from None
    if not _under(resolved, roots):
        raise _forbidden(repo_path)
    if not resolved.is_dir():
        raise ApiError(400, f"{repo_path} is not a directory")
    try:
        git = Git(resolved, env=git_environment(environ))
    except NotARepositoryError:
        raise ApiError(400, f"{repo_path} is not a git repository") from None
    if not _under(Path(git.toplevel()).resolve(), roots):
        raise _forbidden(repo_path)
    return git


def check_ref(git: Git, name: str, ref: str) -> str:
    """The commit `ref` names in `git`; ApiError 400 when it is not a ref or does not resolve."""
    if not _REF.match(ref) or ".." in ref or "@{" in ref:
        raise ApiError(400, f"{name} is not a commit, branch or tag name")
    try:
        return git.rev_parse(ref)
    except BadRefError:
        raise ApiError(400, f"{name} '{ref}' is not a commit of this repository") from None


def resolved_roots(roots: Sequence[Path]) -> tuple[Path, ...]:
    """The roots as real paths (each must exist)."""
    return tuple(Path(root).resolve(strict=True) for root in roots)
