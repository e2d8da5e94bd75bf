"""The prompt's "Design patterns used in this repository" section (issue 14)."""

from __future__ import annotations

from mochi.context.gather import design_patterns
from mochi.models import (
    Context,
    DesignPattern,
    Diff,
    FileDiff,
    Hunk,
    Line,
    LineKind,
    ReviewTarget,
    TargetKind,
)
from mochi.prompts.render import PromptRenderer
from mochi.settings import Settings

TARGET = ReviewTarget(kind=TargetKind.WORKTREE, base="main")
PATTERNS = (
    DesignPattern(
        id="spring.injection",
        name="Dependency injection",
        description="Beans get their dependencies by constructor injection: OrderService.",
        examples=("src/main/java/shop/OrderService.java",),
        family="java",
    ),
    DesignPattern(
        id="actix.app-data",
        name="Shared application state",
        description="Shared state is registered once with App::app_data.",
        examples=("src/main.rs", "src/handlers.rs"),
        family="rust",
    ),
)


def change(path: str, language: str) -> FileDiff:
    line = Line(kind=LineKind.ADDED, old_no=None, new_no=1, text="x")
    return FileDiff(path=path, language=language, hunks=(Hunk(old_start=0, old_len=0, new_start=1,
                                                              new_len=1, lines=(line,)),))  # fmt: skip


def test_the_section_lists_the_patterns_of_the_prompts_languages_and_asks_for_design_findings() -> None:
    renderer = PromptRenderer()
    java = renderer.render([change("src/main/java/shop/OrderController.java", "java")],
                           Context(design_patterns=PATTERNS), TARGET)  # fmt: skip
    assert "## Design patterns used in this repository" in java.user
    assert (
        "- Dependency injection: Beans get their dependencies by constructor injection: OrderService. "
        "E.g. `src/main/java/shop/OrderService.java`\n" in java.user
    )
    assert "App::app_data" not in java.user  # a Rust pattern says nothing about a Java file
    assert '`"category": "design"`' in java.user
    assert '`design`: the change breaks one of the "Design patterns used in this repository".' in java.system
    both = renderer.render([change("src/main.rs", "rust"), change("A.java", "java")],
                           Context(design_patterns=PATTERNS), TARGET)  # fmt: skip
    assert "E.g. `src/main.rs`, `src/handlers.rs`" in both.user and "OrderService" in both.user
    # the section sits between the context and the guidelines
    assert both.user.index("## Design patterns") < both.user.index("## Diff")


def test_without_patterns_the_prompt_says_nothing_about_them() -> None:
    renderer = PromptRenderer()
    files = [change("src/main/java/shop/OrderController.java", "java")]
    off = renderer.render(files, Context(), TARGET)
    assert "Design patterns" not in off.user + off.system and "design" not in off.system
    # a language without patterns: as if the option were off
    only_rust = Context(design_patterns=PATTERNS[1:])
    assert renderer.render(files, only_rust, TARGET) == off


def test_the_setting_decides_whether_the_repository_is_read_at_all() -> None:
    def never(path: str) -> str | None:
        raise AssertionError(f"read {path} with include_design_patterns off")

    def no_listing() -> list[str]:
        raise AssertionError("listed the repository with include_design_patterns off")

    assert design_patterns(Settings(), Diff(), never, no_listing) == ()
    on = Settings(include_design_patterns=True)
    java = "@Service\npublic class OrderService {}\n"
    found = design_patterns(
        on, Diff(), {"src/OrderService.java": java}.get, lambda: ["src/OrderService.java"]
    )
    assert [p.id for p in found] == ["spring.services"]
