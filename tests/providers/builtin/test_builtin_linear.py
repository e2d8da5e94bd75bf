"""The built-in rules on lines written to make regular expressions backtrack: each takes a moment,
not minutes (a 24,000-character line took 10 to 25 s in two patterns; a megabyte line, hours)."""

from __future__ import annotations

import time

import pytest

from tests.providers.builtin.builtin_diffs import added, hits

HOSTILE = {
    "dashes after a secret name": "token" + "-" * 24_000,
    "dashes before a secret name": "-" * 24_000 + "token",
    "comment openers then a TODO word far away": "--" * 12_000 + " TODO",
    "slashes": "/" * 24_000 + " FIXME",
    "a ticket-like run": "# TODO " + "A" * 24_000,
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_line_is_checked_in_linear_time(name: str) -> None:
    text = f"x = 1\n{HOSTILE[name]}\n"
    started = time.perf_counter()
    for path in ("src/app.py", "config/application.properties", "web/src/App.tsx"):
        added(path, text)
    # generous: the patterns take well under 0.5 s here now; before, 10 s and more
    assert time.perf_counter() - started < 5.0


def test_the_todo_rule_still_finds_what_it_found() -> None:
    text = "a = 1  # TODO: tidy\nb = 'TODO' # TODO later\nc = 2  # TODO(PROJ-12): tracked\nd = TODO_LIST\n"
    assert hits(added("src/app.py", text), "generic.todo-without-ticket") == [1, 2]


def test_the_same_finding_on_two_lines_is_two_findings_with_distinct_fingerprints() -> None:
    """Issue 12, bug 4: `console.log(x)` on lines 2 and 5 was one finding (the fingerprint ignores
    the line, and merging went by fingerprint)."""
    text = "function f(x) {\n  console.log(x);\n  const y = x + 1;\n  return y;\n  console.log(x);\n}\n"
    from mochi.findings import finalize
    from mochi.models import Diff
    from tests.providers.builtin.builtin_diffs import make_added_file

    diff = Diff(files=(make_added_file("web/src/util.js", text),))
    found, _ = finalize(added("web/src/util.js", text), diff)
    logs = [f for f in found if f.rule_id == "js.console-log"]
    assert [f.line for f in logs] == [2, 5]
    assert len({f.fingerprint for f in logs}) == 2


def test_two_rules_on_one_line_stay_two_findings() -> None:
    """Issue 12, bug 5: `if (x == 1) { debugger; }` gave one finding with one message."""
    from mochi.findings import finalize
    from mochi.models import Diff
    from tests.providers.builtin.builtin_diffs import make_added_file

    text = "function f(x) {\n  if (x == 1) { debugger; }\n}\n"
    found, _ = finalize(
        added("web/src/util.js", text), Diff(files=(make_added_file("web/src/util.js", text),))
    )
    rules = sorted(f.rule_id or "" for f in found if f.line == 2)
    assert rules == ["js.debugger", "js.loose-equality"], [(f.rule_id, f.message) for f in found]
