"""The reviewer as the pipeline calls it: configuration, registry, partial files, ordering."""

from __future__ import annotations

import pytest
from builtin_diffs import ALL_RULES, added, code, hits, make_added_file, make_modified_file, review

from mochi.errors import ConfigError
from mochi.models import Anchor, Diff, FindingType, Severity
from mochi.providers.builtin import RULES, BuiltinReviewer
from mochi.settings import RuleConfig

JS = 'console.log("x");\neval(input);\n'


def test_registry_documents_every_rule() -> None:
    packs = {"secrets", "java", "js", "ts", "react", "rust", "generic"}
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id and rule_id.split(".", 1)[0] in packs
        assert rule.doc and rule.message and rule.category and rule.languages
        assert isinstance(rule.severity, Severity) and isinstance(rule.type, FindingType)
    assert all(r.severity.at_least(Severity.HIGH) for r in RULES.values() if r.id.startswith("secrets."))


def test_findings_carry_source_and_leave_anchoring_to_the_pipeline() -> None:
    (log, ev) = added("src/app.js", JS)
    assert (log.source, log.rule_id, log.fingerprint, log.anchored) == (
        "builtin:js.console-log",
        "js.console-log",
        "",
        Anchor.SUMMARY,
    )
    assert ev.type is FindingType.BUG and ev.category == "security" and ev.path == "src/app.js"


def test_disabled_rule_never_runs() -> None:
    findings = added("src/app.js", JS, rules={"js.console-log": RuleConfig(enabled=False)})
    assert [f.rule_id for f in findings] == ["js.eval"]
    assert "js.console-log" not in {
        r.id for r in BuiltinReviewer({"js.console-log": RuleConfig(enabled=False)}).rules
    }


def test_severity_override() -> None:
    louder = RuleConfig(enabled=True, severity=Severity.HIGH)
    findings = added("src/app.js", JS, rules={"js.console-log": louder})
    assert [f.severity for f in findings] == [Severity.HIGH, RULES["js.eval"].severity]


def test_exclude_globs_skip_the_rule_for_matching_paths() -> None:
    rules = {"js.eval": RuleConfig(exclude=("vendor/**", "*.min.js"))}
    assert hits(added("vendor/lib/x.js", JS, rules=rules), "js.eval") == []
    assert hits(added("web/app.min.js", JS, rules=rules), "js.eval") == []
    assert hits(added("web/app.js", JS, rules=rules), "js.eval") == [2]


def test_unknown_rule_id_is_a_config_error_with_a_hint() -> None:
    with pytest.raises(ConfigError, match="js.console-log"):
        BuiltinReviewer({"js.console-logs": RuleConfig(enabled=False)})


def test_stale_file_content_falls_back_to_the_diff() -> None:
    """read_file returned another revision: line numbers must still match the diff."""
    new = "const a = 1;\nconst b = 2;\neval(x);\n"
    findings = review((make_added_file("src/a.js", new), "// other\n// revision\n// entirely\n// x\n"))
    assert hits(findings, "js.eval") == [3]


def test_hunks_far_down_a_file_keep_their_line_numbers_without_the_file() -> None:
    old = "".join(f"const v{i} = {i};\n" for i in range(200))
    new = old.replace("const v150 = 150;\n", "const v150 = 150;\nconsole.log(v150);\n")
    findings = review((make_modified_file("src/big.js", old, new), None))
    assert hits(findings, "js.console-log") == [152]


def test_a_method_fragment_parses_inside_its_class_without_the_file() -> None:
    old = code("""
        public class A {
            public void a() {
                int x = 1;
                int y = 2;
                int z = 3;
            }
        }
    """)
    new = old.replace("int y = 2;", "int y = 2;\n        System.out.println(y);")
    findings = review((make_modified_file("src/main/java/A.java", old, new), None))
    assert hits(findings, "java.system-out") == [5]


def test_several_files_sorted_by_path_and_line() -> None:
    diff = Diff(files=(make_added_file("b.js", JS), make_added_file("a.js", "x;\n" + JS)))
    contents = {"a.js": "x;\n" + JS, "b.js": JS}
    findings = BuiltinReviewer(ALL_RULES).review(diff, contents.get)
    assert [(f.path, f.line) for f in findings] == [("a.js", 2), ("a.js", 3), ("b.js", 1), ("b.js", 2)]


def test_unparsed_languages_get_only_the_text_rules() -> None:
    findings = added("src/app.py", "eval(x)  # TODO: remove\n")
    assert [f.rule_id for f in findings] == ["generic.todo-without-ticket"]


def test_crlf_files() -> None:
    text = "const a = 1;\r\nconsole.log(a);\r\n"
    assert hits(added("src/a.js", text), "js.console-log") == [2]


def test_opt_in_rules_run_only_when_enabled() -> None:
    """A rule below the precision bar on real code (bench/precision) is off until .mochi.toml enables it."""
    from mochi.providers.builtin import RULES, BuiltinReviewer
    from mochi.settings import RuleConfig

    opt_in = {rid for rid, rule in RULES.items() if not rule.enabled_by_default}
    assert "ts.any-in-signature" in opt_in
    assert not opt_in & {r.id for r in BuiltinReviewer().rules}
    enabled = BuiltinReviewer({"ts.any-in-signature": RuleConfig(enabled=True)}).rules
    assert "ts.any-in-signature" in {r.id for r in enabled}
