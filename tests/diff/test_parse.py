from __future__ import annotations

import pytest

from mochi.diff.parse import parse_diff, unquote
from mochi.errors import DiffParseError
from mochi.models import ChangeKind, FileDiff, LineKind

from .conftest import FIXTURES

DIFFS = FIXTURES / "diffs"


def load(name: str) -> list[FileDiff]:
    # bytes, not read_text(): universal newlines would turn the CRs of git_cr.diff into line breaks
    return parse_diff((DIFFS / name).read_bytes().decode("utf-8"))


def rows(f: FileDiff) -> list[tuple[str, int | None, int | None, str]]:
    return [(ln.kind.value, ln.old_no, ln.new_no, ln.text) for h in f.hunks for ln in h.lines]


def test_every_fixture_parses_to_at_least_one_file() -> None:
    names = sorted(p.name for p in DIFFS.glob("*.diff"))
    assert len(names) >= 11
    for name in names:
        assert load(name), name


def test_git_diff_added_modified_removed_with_line_numbers_and_no_newline_markers() -> None:
    added, modified, removed = load("git.diff")

    assert (added.path, added.old_path, added.change, added.new_mode) == (
        "added_file",
        None,
        ChangeKind.ADDED,
        "100644",
    )
    assert rows(added) == [
        ("added", None, 1, "This was missing!"),
        ("added", None, 2, "Adding it now."),
        ("added", None, 3, ""),
        ("added", None, 4, "Only for testing purposes."),
    ]
    assert [ln.no_newline_at_eof for ln in added.hunks[0].lines] == [False, False, False, True]

    assert (modified.path, modified.old_path, modified.change) == (
        "modified_file",
        "modified_file",
        "modified",
    )
    h = modified.hunks[0]
    assert (h.old_start, h.old_len, h.new_start, h.new_len) == (1, 5, 1, 7)
    assert rows(modified) == [
        ("context", 1, 1, "This is the original content."),
        ("context", 2, 2, ""),
        ("removed", 3, None, "This should be updated."),
        ("added", None, 3, "This is now updated."),
        ("added", None, 4, ""),
        ("added", None, 5, "This is a new line."),
        ("context", 4, 6, ""),
        ("context", 5, 7, "This will stay."),
    ]
    assert h.lines[-1].no_newline_at_eof and not h.lines[-2].no_newline_at_eof
    assert modified.lines_changed == 4
    assert sorted(modified.right_lines()) == [1, 2, 3, 4, 5, 6, 7]

    assert (removed.path, removed.change, removed.old_mode, removed.new_mode) == (
        "removed_file",
        ChangeKind.DELETED,
        "100644",
        None,
    )
    assert [ln.old_no for ln in removed.hunks[0].lines] == [1, 2, 3]
    assert all(ln.kind is LineKind.REMOVED and ln.new_no is None for ln in removed.hunks[0].lines)


def test_binary_patch_in_format_patch_email() -> None:
    (f,) = load("binary.diff")
    assert (f.path, f.change, f.binary, f.hunks, f.new_mode) == (
        "1x1.png",
        ChangeKind.ADDED,
        True,
        (),
        "100644",
    )


def test_cr_inside_a_line_does_not_split_it() -> None:
    (f,) = load("git_cr.diff")
    assert f.path == "src/test/org/apache/commons/math/util/ExpandableDoubleArrayTest.java"
    assert f.change is ChangeKind.ADDED
    assert [ln.new_no for ln in f.hunks[0].lines] == [1, 2, 3]
    first = f.hunks[0].lines[0].text
    assert "\r" not in first
    assert first.startswith(' "This line is broken into two lines by CR. " +')
    assert first.endswith('"but it should be treated as one line in the text diff file"')
    assert f.hunks[0].lines[1].text == ' "This has no CR"'


def test_deleted_file() -> None:
    (f,) = load("git_delete.diff")
    assert (f.path, f.old_path, f.change) == ("somefile.c", "somefile.c", ChangeKind.DELETED)
    assert [ln.old_no for ln in f.hunks[0].lines] == list(range(1, 11))
    assert f.hunks[0].lines[7].text == '\tprintf("Hello World\\n");'
    assert f.added_lines() == []


def test_names_with_spaces() -> None:
    (f,) = load("git_filenames_with_spaces.diff")
    assert (f.path, f.change) == ("has spaces/t.sql", ChangeKind.ADDED)
    assert rows(f) == [("added", None, 1, "select * FROM t;")]


def test_no_prefix_diff() -> None:
    f1, f2, f3 = load("git_no_prefix.diff")
    assert (f1.path, f1.change) == ("file1", ChangeKind.DELETED)
    assert (f2.path, f2.old_path, f2.change) == ("file2", "file2", ChangeKind.MODIFIED)
    assert (f3.path, f3.change) == ("file3", ChangeKind.ADDED)
    assert [(h.old_start, h.old_len, h.new_start, h.new_len, h.section) for h in f2.hunks] == [
        (4, 0, 5, 3, "line24"),
        (15, 0, 19, 3, "line215"),
    ]
    assert [ln.new_no for ln in f2.added_lines()] == [5, 6, 7, 19, 20, 21]


def test_quoted_octal_names_are_decoded() -> None:
    (f,) = load("git_quoted_filename.diff")
    assert (f.path, f.change) == ("A â B.py", ChangeKind.ADDED)
    (g,) = load("git_quoted_filename_with_spaces.diff")
    assert (g.path, g.old_path, g.change) == (
        "docs/develop/Bug 排查.md",
        "docs/develop/Bug 排查.md",
        "modified",
    )
    assert rows(g) == [("removed", 1, None, "old"), ("added", None, 1, "new")]


def test_renames_with_and_without_edits() -> None:
    moved, newfile, pure = load("git_rename.diff")
    assert (moved.path, moved.old_path, moved.change) == ("moved", "added", ChangeKind.RENAMED)
    assert rows(moved)[-2:] == [
        ("removed", 12, None, "Some content"),
        ("added", None, 12, "Some modified content"),
    ]
    assert (newfile.path, newfile.old_path) == ("newfile", "oldfile")
    assert (pure.path, pure.old_path, pure.change, pure.hunks) == (
        "sub/otherfile",
        "sub/onefile",
        ChangeKind.RENAMED,
        (),
    )


def test_symlink() -> None:
    (f,) = load("git_symlink.diff")
    assert (f.path, f.change, f.symlink, f.new_mode) == ("bin/check", ChangeKind.ADDED, True, "120000")
    assert rows(f) == [("added", None, 1, ".pyenv-wrapper")]
    assert f.hunks[0].lines[0].no_newline_at_eof


def test_plain_unified_diff_without_git_headers() -> None:
    changed, new, gone = load("sample0.diff")
    assert (changed.path, changed.old_path, changed.change) == (
        "/path/to/new",
        "/path/to/original",
        "modified",
    )
    assert [(h.old_start, h.old_len, h.new_start, h.new_len) for h in changed.hunks] == [
        (1, 3, 1, 9),
        (5, 16, 11, 10),
        (22, 3, 22, 7),
    ]
    assert changed.hunks[0].section == "Section Header"
    second = changed.hunks[1].lines
    assert (second[9].kind, second[9].old_no, second[9].text) == (LineKind.REMOVED, 14, "near future.")
    assert (second[10].kind, second[10].new_no, second[10].text) == (LineKind.ADDED, 14, "compress anything.")
    assert (second[11].old_no, second[11].new_no) == (15, 15)
    assert [ln.new_no for ln in changed.hunks[2].lines if ln.kind is LineKind.ADDED] == [25, 26, 27, 28]
    assert (new.path, new.old_path, new.change, len(new.added_lines())) == (
        "/path/to/another_new",
        None,
        "added",
        9,
    )
    assert (gone.path, gone.change, gone.lines_changed) == ("/path/to/existing", ChangeKind.DELETED, 9)


# --------------------------------------------------------------------------- synthetic edge cases


def test_empty_text_is_no_files() -> None:
    assert parse_diff("") == []
    assert parse_diff("\n  \n") == []


def test_text_that_is_not_a_diff_says_what_was_expected() -> None:
    with pytest.raises(DiffParseError, match="not a diff.*--- old"):
        parse_diff("Hello, this is a README\nnothing to see here\n")


def test_broken_hunk_is_a_parse_error() -> None:
    text = "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n-only one line\n"
    with pytest.raises(DiffParseError, match="cannot be parsed"):
        parse_diff(text)


def test_mode_change_only() -> None:
    text = "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n"
    (f,) = parse_diff(text)
    assert (f.path, f.change, f.old_mode, f.new_mode, f.hunks) == (
        "run.sh",
        "modified",
        "100644",
        "100755",
        (),
    )


def test_copy_with_edit() -> None:
    text = (
        "diff --git a/src/a.py b/src/b.py\n"
        "similarity index 90%\n"
        "copy from src/a.py\n"
        "copy to src/b.py\n"
        "index 1111111..2222222 100644\n"
        "--- a/src/a.py\n"
        "+++ b/src/b.py\n"
        "@@ -1 +1 @@\n"
        "-a = 1\n"
        "+b = 1\n"
    )
    (f,) = parse_diff(text)
    assert (f.path, f.old_path, f.change) == ("src/b.py", "src/a.py", ChangeKind.COPIED)
    assert rows(f) == [("removed", 1, None, "a = 1"), ("added", None, 1, "b = 1")]


def test_no_prefix_names_with_spaces_and_git_trailing_tab() -> None:
    # git writes a TAB after ---/+++ names that contain a space
    text = (
        "diff --git my dir/a b.txt my dir/a b.txt\n"
        "index 1111111..2222222 100644\n"
        "--- my dir/a b.txt\t\n"
        "+++ my dir/a b.txt\t\n"
        "@@ -2 +2 @@ ctx\n"
        "-x\n"
        "+y\n"
    )
    (f,) = parse_diff(text)
    assert (f.path, f.old_path) == ("my dir/a b.txt", "my dir/a b.txt")
    assert rows(f) == [("removed", 2, None, "x"), ("added", None, 2, "y")]


def test_rename_to_a_quoted_name_without_hunks() -> None:
    text = (
        'diff --git a/cafe.txt "b/caf\\303\\251.txt"\n'
        "similarity index 100%\n"
        "rename from cafe.txt\n"
        'rename to "caf\\303\\251.txt"\n'
    )
    (f,) = parse_diff(text)
    assert (f.path, f.old_path, f.change, f.hunks) == ("café.txt", "cafe.txt", ChangeKind.RENAMED, ())


def test_binary_files_differ_line() -> None:
    text = (
        "diff --git a/img/logo.png b/img/logo.png\n"
        "index 1111111..2222222 100644\n"
        "Binary files a/img/logo.png and b/img/logo.png differ\n"
        "diff --git a/x.txt b/x.txt\n"
        "index 1111111..2222222 100644\n"
        "--- a/x.txt\n"
        "+++ b/x.txt\n"
        "@@ -1 +1 @@\n"
        "-1\n"
        "+2\n"
    )
    logo, x = parse_diff(text)
    assert (logo.path, logo.binary, logo.change, logo.hunks) == ("img/logo.png", True, "modified", ())
    assert (x.path, x.binary, x.lines_changed) == ("x.txt", False, 2)


def test_crlf_content_and_a_fully_crlf_diff() -> None:
    lf_diff_of_crlf_file = "--- a/w.txt\n+++ b/w.txt\n@@ -1,2 +1,2 @@\n keep\r\n-old\r\n+new\r\n"
    (f,) = parse_diff(lf_diff_of_crlf_file)
    assert rows(f) == [("context", 1, 1, "keep"), ("removed", 2, None, "old"), ("added", None, 2, "new")]

    all_crlf = (
        "diff --git a/w.txt b/w.txt\r\nnew file mode 100644\r\nindex 0000000..2222222\r\n"
        "--- /dev/null\r\n+++ b/w.txt\r\n@@ -0,0 +1,2 @@\r\n+one\r\n+two\r\n"
    )
    (g,) = parse_diff(all_crlf)
    assert (g.path, g.change, g.new_mode) == ("w.txt", ChangeKind.ADDED, "100644")
    assert rows(g) == [("added", None, 1, "one"), ("added", None, 2, "two")]


def test_no_newline_marker_in_the_middle_of_a_hunk_marks_the_old_last_line() -> None:
    text = "--- a/f\n+++ b/f\n@@ -1 +1,2 @@\n-last\n\\ No newline at end of file\n+last\n+more\n"
    (f,) = parse_diff(text)
    removed, *added = f.hunks[0].lines
    assert removed.no_newline_at_eof and removed.kind is LineKind.REMOVED
    assert [ln.no_newline_at_eof for ln in added] == [False, False]
    assert [ln.new_no for ln in added] == [1, 2]


def test_plain_diff_with_a_b_prefixes_and_timestamps() -> None:
    text = (
        "diff -ruN a/src/m.c b/src/m.c\n"
        "--- a/src/m.c\t2024-01-01 10:00:00.000000000 +0100\n"
        "+++ b/src/m.c\t2024-01-02 10:00:00.000000000 +0100\n"
        "@@ -3,2 +3,2 @@\n"
        " int x;\n"
        "-int y;\n"
        "+long y;\n"
    )
    (f,) = parse_diff(text)
    assert (f.path, f.old_path, f.change) == ("src/m.c", "src/m.c", ChangeKind.MODIFIED)
    assert rows(f) == [
        ("context", 3, 3, "int x;"),
        ("removed", 4, None, "int y;"),
        ("added", None, 4, "long y;"),
    ]


def test_unquote() -> None:
    assert unquote('"caf\\303\\251.txt"') == "café.txt"
    assert unquote('"tab\\there \\"q\\" back\\\\slash"') == 'tab\there "q" back\\slash'
    assert unquote("plain name") == "plain name"
    assert unquote('"bad \\377 byte"') == "bad \ufffd byte"


def test_a_change_bigger_than_a_parsing_chunk_parses_the_same_as_its_files() -> None:
    """Huge diffs are parsed a few megabytes at a time; no file may be cut or lost at a boundary."""
    sections = [
        f"diff --git a/src/F{i}.java b/src/F{i}.java\nnew file mode 100644\n--- /dev/null\n"
        f"+++ b/src/F{i}.java\n@@ -0,0 +1,40 @@\n"
        + "".join(f"+line {j} of {i} {'x' * 80}\n" for j in range(40))
        for i in range(1200)
    ]
    text = "".join(sections)
    assert len(text) > 2 * 2_000_000
    files = parse_diff(text)
    assert [f.path for f in files] == [f"src/F{i}.java" for i in range(1200)]
    assert all(f.lines_changed == 40 for f in files)
    assert files[350] == parse_diff(sections[350])[0]
