"""Generic checks: merge markers, TODOs, large files, files that should not be committed."""

from __future__ import annotations

import pytest
from builtin_diffs import ALL_RULES, added, hits, modified, review

from mochi.models import ChangeKind, FileDiff
from mochi.providers.builtin import BuiltinReviewer, Options


def test_conflict_block_reported_once_with_its_span() -> None:
    text = "a\n<<<<<<< HEAD\nb\n=======\nc\n>>>>>>> topic\nd\n"
    (finding,) = [f for f in added("src/app.py", text) if f.rule_id == "generic.merge-conflict"]
    assert (finding.line, finding.end_line) == (2, 6)


def test_rst_underline_is_not_a_conflict() -> None:
    assert hits(added("docs/index.rst", "Install\n=======\n\nRun it.\n"), "generic.merge-conflict") == []


@pytest.mark.parametrize(
    "line",
    [
        "// TODO(PAY-123): retry on timeout",
        "# TODO #123 remove after migration",
        "/* FIXME https://github.com/acme/shop/issues/9 */",
        'const label = "TODO list";',
    ],
)
def test_todo_with_a_ticket_or_outside_a_comment(line: str) -> None:
    assert hits(added("src/app.ts", line + "\n"), "generic.todo-without-ticket") == []


def test_todo_without_ticket() -> None:
    assert hits(added("src/app.py", "x = 1  # FIXME: flaky\n"), "generic.todo-without-ticket") == [1]


def test_large_file_threshold_is_configurable() -> None:
    text = "".join(f"line {i}\n" for i in range(50))
    small = BuiltinReviewer(ALL_RULES, options=Options(large_file_lines=40))
    assert hits(review((FileDiff(path="x"), None)), "generic.large-file") == []
    assert hits(added("data/big.txt", text, reviewer=small), "generic.large-file") == [None]
    assert hits(added("data/big.txt", text), "generic.large-file") == []


@pytest.mark.parametrize(
    "path", [".env", "config/.env.local", "certs/server.pem", "id_ed25519", "keys/app.p12"]
)
def test_files_that_should_not_be_committed(path: str) -> None:
    assert hits(added(path, "x\n"), "generic.sensitive-file") == [None]


@pytest.mark.parametrize("path", [".env.example", ".env.sample", "docs/env.md", "src/keys.ts"])
def test_templates_and_lookalikes_are_fine(path: str) -> None:
    assert hits(added(path, "DB_PASSWORD=\n"), "generic.sensitive-file") == []


def test_binary_key_store_is_reported() -> None:
    diff = FileDiff(path="release/app.pfx", change=ChangeKind.ADDED, binary=True)
    assert hits(review((diff, None)), "generic.sensitive-file") == [None]


def test_npmrc_with_literal_token_but_not_with_variable() -> None:
    assert hits(
        added(".npmrc", "//registry.npmjs.org/:_authToken=npm_AbCdEf0123456789\n"), "generic.sensitive-file"
    ) == [1]
    assert (
        hits(added(".npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"), "generic.sensitive-file")
        == []
    )


def test_deleted_env_file_is_not_reported() -> None:
    diff = FileDiff(path=".env", change=ChangeKind.DELETED)
    assert review((diff, None)) == []


def test_modified_file_without_new_conflict_is_clean() -> None:
    old = "a\n<<<<<<< HEAD\nb\n=======\nc\n>>>>>>> topic\n"
    assert hits(modified("notes.txt", old, old + "e\n"), "generic.merge-conflict") == []
