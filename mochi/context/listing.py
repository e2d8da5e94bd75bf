"""The repository's file list at the revision a reader reads, for the design-pattern detector.

A reader (mochi.diff.reader) answers "what is in this file"; the detector also needs "which files
are there". `repository_files(git, reader)` asks git for the reader's revision: `git ls-tree` for
a commit, `git ls-files` for the working tree or the index. A reader of a host's API (no local
commit) has no list: the detector then sees the changed files only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from mochi.errors import MochiError

if TYPE_CHECKING:
    from mochi.diff.git import Git

logger = logging.getLogger(__name__)

ListFiles = Callable[[], list[str]]
MAX_PATHS = 200_000  # a larger tree is listed this far (the detector reads a few hundred anyway)


def repository_files(git: Git | None, reader: object) -> ListFiles:
    """A function listing the files `reader` can read (see the module doc); [] when git cannot tell."""
    from mochi.diff.reader import GitBlobReader

    def listing() -> list[str]:
        if git is None or not isinstance(reader, GitBlobReader):
            return []
        try:
            sha = reader.rev_sha
            if sha is not None:
                out = git.run("ls-tree", "-r", "-z", "--name-only", "--full-tree", sha)
            else:
                out = git.run("ls-files", "-z")
        except MochiError as exc:  # a shallow clone without the commit: fewer patterns, same review
            logger.info("cannot list the repository's files for design patterns: %s", exc)
            return []
        return [p for p in out.split("\0")[:MAX_PATHS] if p]

    return listing
