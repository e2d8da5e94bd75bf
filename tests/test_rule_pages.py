"""docs/rules/ is generated from the rules' code, `mochi rules show` prints the same documentation."""

from __future__ import annotations

from mochi import rule_help
from mochi.providers.builtin import RULES
from tests.test_cli import ROOT, mochi


def test_docs_rules_is_up_to_date() -> None:
    directory = ROOT / rule_help.DOCS_DIR
    pages = rule_help.pages()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in directory.glob("*.md")}
    stale = sorted(name for name in pages.keys() | on_disk.keys() if pages.get(name) != on_disk.get(name))
    assert not stale, f"run scripts/gen-rule-docs: {stale[:5]} differ"


def test_every_page_has_why_examples_and_suppression() -> None:
    for rid in RULES:
        page = rule_help.markdown(rid)
        for heading in ("## Why", "## Wrong", "## Right", "## Suppress", "## Configure"):
            assert heading in page, (rid, heading)
        assert f"mochi-ignore[{rid}]" in page


def test_rules_show_prints_the_doc_and_names_a_close_rule() -> None:
    shown = mochi("rules", "show", "js.console-log")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == rule_help.text("js.console-log")
    assert "// mochi-ignore[js.console-log]" in shown.stdout
    md = mochi("rules", "show", "js.console-log", "--markdown")
    assert md.stdout == (ROOT / "docs" / "rules" / "js.console-log.md").read_text()
    wrong = mochi("rules", "show", "js.console")
    assert wrong.returncode == 2
    assert "Did you mean js.console-log?" in wrong.stderr
