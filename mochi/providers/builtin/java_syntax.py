"""Small helpers over tree-sitter-java nodes: annotations and modifiers."""

from __future__ import annotations

import re

from tree_sitter import Node

from mochi.providers.builtin.source import SourceFile
from mochi.providers.builtin.syntax import text

_ANNOTATIONS = frozenset({"marker_annotation", "annotation"})
# a test framework imported, or a class annotated as a Spring/JUnit test
_TEST_SOURCE = re.compile(
    r"^import[ \t]+(?:static[ \t]+)?(?:org\.junit|org\.testng|org\.mockito|io\.cucumber|"
    r"org\.springframework\.(?:boot\.)?test)\.|"
    r"^[ \t]*@(?:SpringBootTest|WebMvcTest|WebFluxTest|DataJpaTest|JdbcTest|DataJdbcTest|JsonTest|"
    r"RestClientTest|SpringJUnitConfig|TestConfiguration|ExtendWith|RunWith|ContextConfiguration)\b",
    re.MULTILINE,
)


def is_test_source(source: SourceFile) -> bool:
    """Test code: under a test directory (src/test, *Test.java...), or importing a test framework."""
    return source.is_test or bool(_TEST_SOURCE.search(source.text))


def annotation_names(modifiers: Node | None) -> dict[str, Node]:
    """Simple names of the annotations in a `modifiers` node (`@org.x.Transactional` -> Transactional)."""
    if modifiers is None:
        return {}
    found: dict[str, Node] = {}
    for child in modifiers.named_children:
        if child.type in _ANNOTATIONS:
            found[text(child.child_by_field_name("name")).rsplit(".", 1)[-1]] = child
    return found


def keywords(modifiers: Node | None) -> set[str]:
    """The keyword modifiers (private, final, static...) of a `modifiers` node."""
    return set() if modifiers is None else {c.type for c in modifiers.children if not c.is_named}


def modifiers_of(node: Node) -> Node | None:
    return next((c for c in node.named_children if c.type == "modifiers"), None)
