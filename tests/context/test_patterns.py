"""The design patterns a repository uses (mochi.context.patterns), found in real git repositories."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mochi.context.listing import repository_files
from mochi.context.patterns import (
    DEFAULT_MAX_FILES,
    PatternBudget,
    base_text,
    detect_patterns,
    patterns_for,
    sample_order,
)
from mochi.diff.git import Git
from mochi.diff.parse import parse_diff
from mochi.diff.reader import GitBlobReader
from mochi.models import DesignPattern, Diff
from tests.context.pattern_repos import ACTIX, REACT, SPRING, J, make_repo
from tests.gitrepo import GitRepo


def detect(repo: GitRepo, rev: str | None = "HEAD", **kwargs: object) -> dict[str, DesignPattern]:
    git = Git(repo.path)
    reader = GitBlobReader(git, rev)
    found = detect_patterns(reader, repository_files(git, reader)(), **kwargs)  # type: ignore[arg-type]
    return {p.id: p for p in found}


# --------------------------------------------------------------------------- Spring, React, Actix


def test_a_spring_repository(tmp_path: Path) -> None:
    found = detect(make_repo(tmp_path / "shop", SPRING))
    assert list(found) == [
        "spring.controllers", "spring.services", "spring.repositories", "spring.transactional",
        "spring.injection", "spring.configuration", "spring.dto", "spring.mappers",
        "spring.exception-handler", "spring.validation", "generic.builder.java", "generic.strategy.java",
    ]  # fmt: skip
    assert "OrderController" in found["spring.controllers"].description
    assert "JpaRepository: OrderRepository" in found["spring.repositories"].description
    # the test's field injection and the generated @Service are not the application's code
    injection = found["spring.injection"]
    assert "constructor injection" in injection.description and "field" not in injection.description
    assert "OrderService" in injection.description  # Lombok's @RequiredArgsConstructor counts
    assert injection.examples == (J + "order/OrderController.java", J + "order/OrderService.java")
    assert "Gen" not in found["spring.services"].description
    assert "@ControllerAdvice ApiExceptionHandler" in found["spring.exception-handler"].description
    assert found["spring.mappers"].examples == (J + "order/OrderMapper.java",)
    assert "Lombok @Builder on Order" in found["generic.builder.java"].description
    strategy = found["generic.strategy.java"]
    assert "PaymentGateway (InvoiceGateway and StripeGateway)" in strategy.description
    assert "Serializable" not in strategy.description  # not one of the repository's own interfaces
    assert all(p.family == "java" for p in found.values())
    assert all(1 <= len(p.examples) <= 3 for p in found.values())


def test_a_react_repository(tmp_path: Path) -> None:
    found = detect(make_repo(tmp_path / "web", REACT))
    assert list(found) == [
        "react.components", "react.custom-hooks", "react.context", "react.hoc", "react.state",
        "react.data-fetching",
    ]  # fmt: skip
    hooks = found["react.custom-hooks"].description
    assert "useOrders" in hooks and "useDebounce" in hooks and "useAuth" in hooks
    text = " ".join(p.description for p in found.values())
    for never in ("useFakeHook", "useVendoredHook", "useBuiltHook"):  # a test, node_modules, dist
        assert never not in text
    assert "AuthContext (createContext" in found["react.context"].description
    assert "withAuth" in found["react.hoc"].description
    assert "Redux Toolkit slices (cart)" in found["react.state"].description
    assert "React Query" in found["react.data-fetching"].description
    assert "composition through `children`" in found["react.components"].description
    assert all(p.family == "js" for p in found.values())


def test_an_actix_repository(tmp_path: Path) -> None:
    found = detect(make_repo(tmp_path / "stock", ACTIX))
    assert list(found) == [
        "actix.routing", "actix.extractors", "actix.app-data", "actix.middleware", "actix.response-error",
        "generic.strategy.rust",
    ]  # fmt: skip
    assert "web::Data, web::Path and web::Json" in found["actix.extractors"].description
    assert "web::Form" not in found["actix.extractors"].description  # only in tests/
    assert "App::app_data" in found["actix.app-data"].description
    assert "PgStore" in found["actix.app-data"].description
    middleware = found["actix.middleware"].description
    assert "Logger and Timing" in middleware and "custom Transform" in middleware
    assert "ApiError" in found["actix.response-error"].description
    assert "web::scope" in found["actix.routing"].description
    assert "StockStore (PgStore and MemoryStore)" in found["generic.strategy.rust"].description


def test_a_monorepo_scopes_each_pattern_to_its_language(tmp_path: Path) -> None:
    found = detect(make_repo(tmp_path / "mono", {**SPRING, **REACT, **ACTIX}))
    patterns = list(found.values())
    java = patterns_for(patterns, [J + "order/OrderService.java"])
    rust = patterns_for(patterns, ["stock/src/handlers.rs", "stock/Cargo.toml"])
    assert {p.family for p in java} == {"java"} and {p.family for p in rust} == {"rust"}
    assert len(patterns_for(patterns, ["web/src/App.tsx", "stock/src/main.rs"])) == 6 + 6
    assert patterns_for(patterns, ["README.md"]) == []
    assert len(patterns) == 12 + 6 + 6


# --------------------------------------------------------------------------- the repository before the change


def test_the_repository_before_the_change_is_what_counts(tmp_path: Path) -> None:
    """A change that swaps constructor injection for field injection is measured against the
    constructor injection it replaces; a file the change adds is not read at all."""
    repo = make_repo(tmp_path / "shop", SPRING)
    controller = J + "order/OrderController.java"
    before = SPRING[controller]
    after = before.replace(
        "    private final OrderService orders;\n\n    public OrderController(OrderService orders) {\n"
        "        this.orders = orders;\n    }\n",
        "    @Autowired\n    private OrderService orders;\n",
    )
    assert after != before
    repo.write(controller, after)
    repo.write(J + "order/RefundController.java", after.replace("OrderController", "RefundController"))
    repo.run("add", "-A")
    diff = Diff(files=tuple(parse_diff(repo.run("diff", "--cached", "--no-renames"))))
    git = Git(repo.path)
    for rev in (":", "HEAD"):  # the change's own revision, and a reader of the base (pull_request_target)
        reader = GitBlobReader(git, rev)
        found = {p.id: p for p in detect_patterns(reader, repository_files(git, reader)(), diff=diff)}
        injection = found["spring.injection"].description
        assert "constructor injection" in injection and "field" not in injection, rev
        assert "RefundController" not in found["spring.controllers"].description
    # without the diff, the new state is what is seen
    now = detect(repo, ":")
    assert "field injection (@Autowired fields) in 2" in now["spring.injection"].description


def test_base_text_reverses_a_diff_exactly(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    old = "".join(f"line {i}\n" for i in range(1, 41))
    repo.write("a.rs", old)
    repo.commit("base")
    new = old.replace("line 1\n", "first\n").replace("line 20\n", "").replace("line 33\n", "l33\nadded\n")
    new += "tail\n"
    repo.write("a.rs", new)
    (change,) = parse_diff(repo.run("diff", "-U1"))
    assert base_text(new, change) == old
    assert base_text(old, change) == old  # already the base: as it is
    assert base_text("something else\n", change) is None  # neither: not read


def test_a_deleted_file_is_read_from_its_diff(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "stock", ACTIX)
    repo.delete("stock/src/errors.rs")
    diff = Diff(files=tuple(parse_diff(repo.run("diff"))))
    git = Git(repo.path)
    reader = GitBlobReader(git, None)
    found = {p.id for p in detect_patterns(reader, repository_files(git, reader)(), diff=diff)}
    assert "actix.response-error" in found


# --------------------------------------------------------------------------- cost


def _counting(files: dict[str, str]) -> tuple[Callable[[str], str | None], list[str]]:
    seen: list[str] = []

    def read(path: str) -> str | None:
        seen.append(path)
        return files.get(path)

    return read, seen


def test_the_files_nearest_the_change_are_read_first_and_at_most_max_files() -> None:
    read, seen = _counting(SPRING)
    change = parse_diff(
        f"diff --git a/{J}payment/StripeGateway.java b/{J}payment/StripeGateway.java\n"
        f"--- a/{J}payment/StripeGateway.java\n+++ b/{J}payment/StripeGateway.java\n"
        "@@ -6,0 +7 @@ public class StripeGateway implements PaymentGateway {\n+    // refunds\n"
    )
    detect_patterns(read, list(SPRING), diff=Diff(files=tuple(change)), budget=PatternBudget(max_files=3))
    assert len(seen) == 3
    assert seen == [
        J + "payment/InvoiceGateway.java",
        J + "payment/PaymentGateway.java",
        J + "payment/StripeGateway.java",
    ]
    order = sample_order(SPRING, near=[J + "payment/StripeGateway.java"])
    assert order == sample_order(reversed(list(SPRING)), near=[J + "payment/StripeGateway.java"])
    assert order[:3] == seen and order[3].startswith(J)  # then the rest of the module, by path
    assert not any("/test/" in p or "/target/" in p or p.endswith(".xml") for p in order)


def test_the_time_and_byte_budgets_stop_the_scan() -> None:
    read, seen = _counting(SPRING)
    ticks = iter(range(1000))
    detect_patterns(
        read, list(SPRING), budget=PatternBudget(max_seconds=2.5), clock=lambda: float(next(ticks))
    )
    assert len(seen) == 2  # 0 s: started; 1 s, 2 s: read; 3 s: over
    read, seen = _counting(SPRING)
    detect_patterns(read, list(SPRING), budget=PatternBudget(max_bytes=1))
    assert len(seen) == 1


def test_without_a_listing_there_is_nothing_to_list(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.rs": "fn main() {}\n"})
    assert repository_files(None, GitBlobReader(Git(repo.path), "HEAD"))() == []
    assert repository_files(Git(repo.path), {"a.rs": ""}.get)() == []  # a host API's reader
    assert repository_files(Git(repo.path), GitBlobReader(Git(repo.path), "HEAD"))() == ["a.rs"]
    assert repository_files(Git(repo.path), GitBlobReader(Git(repo.path), "0" * 40))() == []  # unknown commit


def test_the_default_budget_is_the_settings_default() -> None:
    from mochi.settings import Settings

    assert Settings().design_patterns_max_files == DEFAULT_MAX_FILES == PatternBudget().max_files


@pytest.mark.parametrize(
    "text", ["", "\n\n", "class {", "impl for {}", "@Autowired\n", "function use(", "<>"]
)
def test_odd_files_find_nothing_and_raise_nothing(text: str) -> None:
    for path in ("A.java", "a.tsx", "a.rs", "a.kt"):
        assert detect_patterns({path: text}.get, [path]) == ()


HOSTILE = {
    "A.java": "@Service class A {\n@Autowired " + " " * 59000 + "x(",
    "B.java": "class C implements a" + " " * 59000 + "x;",
    "C.java": "@Service class D { private final a" + " " * 59000 + ";",
    "D.java": "/* " * 20000,
    "E.java": "interface A extends " * 3000,
    "a.tsx": "const X = React.memo( " + " " * 59000 + "y",
    "b.tsx": "const A: " * 6000,
    "a.rs": "use actix_web; impl " + " " * 59000 + "X for",
    "b.rs": "use actix_web; impl<" * 6000,
}


def test_a_hostile_file_costs_milliseconds_not_minutes() -> None:
    """A change's author controls the files: no regular expression may backtrack for long on them."""
    import time

    from mochi.context.pattern_rules import scan

    for path, text in HOSTILE.items():
        started = time.monotonic()
        scan(path, text)
        assert time.monotonic() - started < 5.0, path  # minutes if it backtracked; room for a busy CI


def test_injection_styles_in_java_and_kotlin() -> None:
    files = {
        "src/A.kt": "@Service\nclass A(private val repo: Repo) {\n}\n",
        "src/B.kt": "@Service\nclass B {\n    @Autowired\n    lateinit var repo: Repo\n}\n",
        "src/C.java": "@Component\npublic class C {\n  @Autowired\n  public void setRepo(Repo r) {}\n}\n",
        "src/D.java": '@Service\nclass D {\n  @Autowired @Qualifier("x")\n  private Repo repo = null;\n}\n',
        "src/E.java": "@Service\npublic class E {\n  @Autowired\n  public E(Repo repo) {}\n}\n",
    }
    (injection,) = [p for p in detect_patterns(files.get, list(files)) if p.id == "spring.injection"]
    assert injection.description == (
        "Mixed: constructor injection in 2 (A and E); field injection (@Autowired fields) in 2 (B and D); "
        "setter injection in 1 (C). Constructor injection is Spring's recommended style."
    )


def test_a_line_redacted_from_the_diff_still_matches_the_file(tmp_path: Path) -> None:
    from mochi.diff.redact import REDACTED

    repo = GitRepo(tmp_path / "r")
    repo.write("a.rs", "fn a() {}\n")
    repo.commit("base")
    new = 'fn a() {}\nconst KEY: &str = "sk_live_abcdefghijklmnop";\n'
    repo.write("a.rs", new)
    (change,) = parse_diff(repo.run("diff"))
    hunk = change.hunks[0]
    lines = tuple(ln.model_copy(update={"text": "const KEY: &str = " + REDACTED}) if ln.new_no == 2 else ln
                  for ln in hunk.lines)  # fmt: skip
    redacted = change.model_copy(update={"hunks": (hunk.model_copy(update={"lines": lines}),)})
    assert base_text(new, redacted) == "fn a() {}\n"
