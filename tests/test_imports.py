"""The package's layering: no import cycles, and the inner layers do not reach for the hosts.

Every `import` in mochi/ is read from the source (module level and inside functions, which run
just the same, but not the `if TYPE_CHECKING:` blocks, which never run), so a lazy import cannot
hide a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mochi"


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The mochi modules `path` imports at run time."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in modules else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    result: set[str] = set()
    for target in found:
        # `import mochi.a.b` names mochi.a.b; keep the longest prefix that is one of our modules
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != name and target != "mochi":
            result.add(target)
    return result


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}
    modules = set(files)
    return {name: _imports(path, modules) for name, path in files.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strongconnect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in graph:
                continue
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return out


def test_there_is_no_import_cycle() -> None:
    assert _cycles(_graph()) == []


def test_the_inner_layers_do_not_import_the_hosts_or_the_publishers() -> None:
    inner = ("mochi.diff", "mochi.context", "mochi.prompts")
    outer = ("mochi.publish", "mochi.platforms", "mochi.commands", "mochi.cli")
    bad = sorted(
        f"{module} imports {target}"
        for module, targets in _graph().items()
        if module.startswith(inner)
        for target in targets
        if target.startswith(outer)
    )
    assert bad == []


def test_the_walker_sees_lazy_imports_and_cycles() -> None:
    # the test above cannot pass by seeing nothing
    graph = _graph()
    assert "mochi.platforms.hosted" in graph["mochi.commands.ci"]  # imported inside functions
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_lazy_command_table_names_every_command_with_its_own_summary() -> None:
    import click

    from mochi.cli import COMMANDS, SUMMARIES, main

    ctx = click.Context(main)
    assert set(SUMMARIES) == set(COMMANDS)
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name
        assert SUMMARIES[name] == command.get_short_help_str(limit=300)
    assert main.get_command(ctx, "nope") is None


def test_a_review_that_records_nothing_never_loads_the_database_layer(tmp_path: Path) -> None:
    """`mochi review --no-record` on a machine with no record yet imports no SQLAlchemy (about 20 MiB of
    the small review's peak RSS, bench/memory_bench.py); with the record on, it does."""
    from tests.gitrepo import GitRepo
    from tests.test_cli import mochi

    repo = GitRepo(tmp_path / "repo")
    repo.write("src/app.js", "export const a = 1;\n")
    repo.commit("base")
    repo.write("src/app.js", "export const a = 1;\nconsole.log(a);\n")

    def imported(*flags: str) -> set[str]:
        env = {"MOCHI_DATA_DIR": str(tmp_path / f"data{len(flags)}"), "PYTHONPROFILEIMPORTTIME": "1"}
        run = mochi("review", "--provider", "builtin", "--format", "json", *flags, cwd=repo.path, env=env)
        assert run.returncode == 0, run.stderr[-2000:]
        lines = [ln for ln in run.stderr.splitlines() if ln.startswith("import time:")]
        return {ln.rsplit("|", 1)[-1].strip() for ln in lines}

    assert "sqlalchemy" not in imported("--no-record")
    assert "sqlalchemy" in imported()


def test_a_missing_extra_is_named_with_the_install_command() -> None:
    import pytest

    from mochi.errors import ConfigError
    from mochi.extras import require

    require("httpx", "base", "anything")  # installed: nothing happens
    with pytest.raises(ConfigError) as info:
        require("mochi_no_such_module", "openai", "the openai provider")
    assert str(info.value) == (
        "the openai provider needs the `openai` extra, which is not installed: "
        "pip install 'sonar-mochi[openai]' (or 'sonar-mochi[all]')"
    )
    assert info.value.exit_code == 2
