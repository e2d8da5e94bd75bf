"""What the model is shown: the rendered system and user messages."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from mochi.context.frameworks import scan_frameworks
from mochi.errors import ConfigError
from mochi.models import (
    ChangeKind,
    Context,
    FileDiff,
    Hunk,
    Line,
    LineKind,
    ReviewTarget,
    TargetKind,
    Ticket,
)
from mochi.prompts.render import PromptRenderer, format_file_diff

TARGET = ReviewTarget(
    kind=TargetKind.PULL_REQUEST,
    number=7,
    title="Add order endpoint",
    description="Orders API",
    branch="feat/x",
)


def added(new_no: int, text: str) -> Line:
    return Line(kind=LineKind.ADDED, old_no=None, new_no=new_no, text=text)


def removed(old_no: int, text: str) -> Line:
    return Line(kind=LineKind.REMOVED, old_no=old_no, new_no=None, text=text)


def context_line(old_no: int, new_no: int, text: str) -> Line:
    return Line(kind=LineKind.CONTEXT, old_no=old_no, new_no=new_no, text=text)


def java_change(path: str = "src/main/java/com/shop/OrderController.java") -> FileDiff:
    hunk = Hunk(
        old_start=30,
        old_len=3,
        new_start=40,
        new_len=4,
        section="public class OrderController {",
        lines=(
            context_line(30, 40, '    @PostMapping("/orders")'),
            removed(31, "    public Order create(Order order) {"),
            added(41, "    public Order create(@RequestBody Order order) {"),
            added(42, "        return repo.save(order);"),
            context_line(32, 43, "    }"),
        ),
    )
    return FileDiff(path=path, language="java", hunks=(hunk,))


def tsx_change() -> FileDiff:
    hunk = Hunk(
        old_start=1, old_len=0, new_start=1, new_len=1, lines=(added(1, "export const A = () => <p/>;"),)
    )
    return FileDiff(path="web/src/A.tsx", language="typescript", change=ChangeKind.ADDED, hunks=(hunk,))


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_spring_boot_java_change_gets_spring_and_java_guidance_not_react() -> None:
    files = {"pom.xml": "<project><parent><groupId>org.springframework.boot</groupId></parent></project>"}
    detection = scan_frameworks(files.get, ["src/main/java/com/shop/OrderController.java"])
    prompt = PromptRenderer().render(
        [java_change()], Context(frameworks=detection.frameworks), TARGET, frameworks_for=detection.for_file
    )
    assert prompt.languages == ("java",)
    assert prompt.frameworks == ("spring-boot",)
    assert "### Spring Boot" in prompt.user
    assert "self-invocation" in prompt.user
    assert "try-with-resources" in prompt.user
    assert "### React" not in prompt.user
    assert "dangerouslySetInnerHTML" not in prompt.user
    assert "Add order endpoint" in prompt.user
    assert prompt.paths == ("src/main/java/com/shop/OrderController.java",)


def test_context_frameworks_are_filtered_per_file_kind_without_frameworks_for() -> None:
    context = Context(frameworks=("spring-boot", "react"))
    java_only = PromptRenderer().render([java_change()], context, TARGET)
    assert java_only.frameworks == ("spring-boot",)
    assert "### React" not in java_only.user
    both = PromptRenderer().render([java_change(), tsx_change()], context, TARGET)
    assert both.frameworks == ("spring-boot", "react")
    assert both.languages == ("java", "typescript")
    assert "### React" in both.user and "### TypeScript" in both.user


def test_diff_lines_carry_new_file_numbers() -> None:
    text = format_file_diff(java_change())
    assert text.splitlines() == [
        "### src/main/java/com/shop/OrderController.java (java, modified)",
        "@@ -30,3 +40,4 @@ public class OrderController {",
        '  40       @PostMapping("/orders")',
        "     -     public Order create(Order order) {",
        "  41 +     public Order create(@RequestBody Order order) {",
        "  42 +         return repo.save(order);",
        "  43       }",
    ]
    prompt = PromptRenderer().render([java_change()], Context(), TARGET)
    assert "  41 +     public Order create(@RequestBody Order order) {" in prompt.user


def test_renamed_and_binary_file_headers() -> None:
    renamed = FileDiff(path="b/New.java", old_path="a/Old.java", change=ChangeKind.RENAMED, language="java")
    assert format_file_diff(renamed).splitlines()[0] == "### b/New.java (java, renamed from a/Old.java)"
    binary = FileDiff(path="logo.png", binary=True)
    assert (
        format_file_diff(binary)
        == "### logo.png (unknown language, modified)\n(binary file, content not shown)"
    )


def test_code_that_looks_like_jinja_is_shown_verbatim() -> None:
    hunk = Hunk(
        old_start=1, old_len=0, new_start=1, new_len=1, lines=(added(1, "x = '{{ target }} {% raw %}'"),)
    )
    prompt = PromptRenderer().render(
        [FileDiff(path="t.py", language="python", hunks=(hunk,))], Context(), TARGET
    )
    assert "   1 + x = '{{ target }} {% raw %}'" in prompt.user


def test_tickets_and_instructions_are_in_the_user_message() -> None:
    ticket = Ticket(
        key="SHOP-12", summary="Create orders", status="In Progress", acceptance_criteria=("201 on success",)
    )
    context = Context(tickets=(ticket,), instructions="### CONTRIBUTING.md\n\nUse DTOs.")
    prompt = PromptRenderer().render([java_change()], context, TARGET)
    assert "### SHOP-12: Create orders" in prompt.user
    assert "Status: In Progress" in prompt.user
    assert "- 201 on success" in prompt.user
    assert "## Repository instructions\n\n### CONTRIBUTING.md\n\nUse DTOs." in prompt.user
    assert (
        prompt.user.index("## Tickets")
        < prompt.user.index("## Review guidelines")
        < prompt.user.index("## Diff")
    )


def test_system_prompt_describes_the_answer_contract() -> None:
    system = PromptRenderer().render([java_change()], Context(), TARGET).system
    for word in ("end_line", "severity", "critical", "suggestion", "overall_assessment", "key_concerns"):
        assert word in system
    assert "ONLY this JSON object" in system


def test_answer_format_has_no_value_a_model_could_copy() -> None:
    """Small models copy a concrete example verbatim (`"line": 42` on a 3-line file, issue 13):
    the format shows placeholders that no schema accepts, and no number, path or message."""
    system = PromptRenderer().render([java_change()], Context(), TARGET).system
    example = next(line for line in system.splitlines() if line.startswith('{"comments"'))
    assert re.search(r'"(line|end_line)": *\d', system) is None
    assert '"file": <path from a ### header>' in example and '"line": <line number>' in example
    assert "src/App.java" not in system and '"..."' not in system


def test_language_without_template_gets_generic_guidance() -> None:
    go = FileDiff(path="main.go", language="go", hunks=java_change().hunks)
    prompt = PromptRenderer().render([go], Context(), TARGET)
    assert "### General guidance" in prompt.user
    assert prompt.languages == ("go",)


def test_repository_override_wins(tmp_path: Path) -> None:
    write(
        tmp_path,
        ".mochi/prompts/frameworks/spring-boot.md.j2",
        "### Our Spring rules\n- {{ framework }}: no Lombok.\n",
    )
    renderer = PromptRenderer.for_repository(tmp_path)
    prompt = renderer.render([java_change()], Context(frameworks=("spring-boot",)), TARGET)
    assert "### Our Spring rules\n- spring-boot: no Lombok." in prompt.user
    assert "self-invocation" not in prompt.user
    assert "try-with-resources" in prompt.user  # the other templates are still the built-in ones


def test_extra_templates_are_appended(tmp_path: Path) -> None:
    overrides = tmp_path / "prompts"
    write(overrides, "languages/java.extra.md.j2", "- Team rule: every {{ language }} class is final.\n")
    write(overrides, "extra.md.j2", "Also check that log lines never contain customer emails.\n")
    prompt = PromptRenderer(overrides).render([java_change()], Context(), TARGET)
    assert "try-with-resources" in prompt.user
    assert "- Team rule: every java class is final." in prompt.user
    assert prompt.user.index("try-with-resources") < prompt.user.index("Team rule")
    assert prompt.system.rstrip().endswith("Also check that log lines never contain customer emails.")


def test_broken_override_names_the_file_and_line(tmp_path: Path) -> None:
    bad = write(tmp_path, "languages/java.md.j2", "### Java\n\n{% if language %}\n- rule\n")
    with pytest.raises(ConfigError) as caught:
        PromptRenderer(tmp_path).render([java_change()], Context(), TARGET)
    message = str(caught.value)
    assert str(bad) in message
    assert "line 4" in message or "line 5" in message
    assert "delete it to use the built-in template" in message


def test_typo_in_a_variable_is_caught(tmp_path: Path) -> None:
    bad = write(tmp_path, "review.md.j2", "# Change\n\n{{ targt.title }}\n{{ diff }}\n")
    with pytest.raises(ConfigError) as caught:
        PromptRenderer(tmp_path).render([java_change()], Context(), TARGET)
    message = str(caught.value)
    assert f"{bad}, line 3" in message
    assert "'targt' is undefined" in message
    assert "target" in message.split("receives are:")[1]


def test_validate_reports_syntax_errors_before_any_review(tmp_path: Path) -> None:
    write(tmp_path, "frameworks/react.md.j2", "{{ framework }\n")
    PromptRenderer().validate()
    with pytest.raises(ConfigError, match=r"react\.md\.j2, line 1"):
        PromptRenderer(tmp_path).validate()


def test_override_symlinked_outside_the_directory_is_ignored(tmp_path: Path) -> None:
    outside = write(tmp_path, "secret.txt", "TOKEN=abc123")
    overrides = tmp_path / "prompts" / "languages"
    overrides.mkdir(parents=True)
    (overrides / "java.md.j2").symlink_to(outside)
    prompt = PromptRenderer(tmp_path / "prompts").render([java_change()], Context(), TARGET)
    assert "abc123" not in prompt.user
    assert "try-with-resources" in prompt.user


def test_templates_cannot_reach_the_file_system(tmp_path: Path) -> None:
    repo_target = TARGET.model_copy(update={"repo": tmp_path})
    write(tmp_path, "prompts/extra.md.j2", "{{ target.repo.read_text() }}")
    with pytest.raises(ConfigError, match="extra.md.j2"):
        PromptRenderer(tmp_path / "prompts").render([java_change()], Context(), repo_target)


def test_missing_overrides_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        PromptRenderer(tmp_path / "nope")
    assert PromptRenderer.for_repository(tmp_path).overrides_dir is None


def test_a_template_that_would_render_forever_or_explode_is_a_config_error(tmp_path: Path) -> None:
    """A repository's template is code from whoever wrote the change."""
    write(
        tmp_path,
        "extra.md.j2",
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
    )
    started = time.monotonic()
    with pytest.raises(ConfigError, match="longer than 5 s to render"):
        PromptRenderer(tmp_path).render([java_change()], Context(), TARGET)
    assert time.monotonic() - started < 30
    write(tmp_path, "extra.md.j2", "{{ 'x' * 1000000000 }}{{ 9 ** 99999999 }}")
    with pytest.raises(ConfigError, match="too large for a prompt template"):
        PromptRenderer(tmp_path).render([java_change()], Context(), TARGET)
