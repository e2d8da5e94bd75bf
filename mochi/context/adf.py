"""Atlassian Document Format (Jira Cloud REST v3 rich text) and Jira wiki markup -> Markdown.

ADF is a JSON tree (`{"type": "doc", "content": [...]}`); the node types are documented at
developer.atlassian.com/cloud/jira/platform/apis/document/structure. Unknown nodes contribute
their children's text, so a new node type loses its formatting, never its words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any


def adf_to_markdown(doc: Any) -> str:
    """Markdown for an ADF document (or any ADF node); "" for anything that is not ADF."""
    if not isinstance(doc, Mapping):
        return ""
    text = _block(doc, "").strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text)


def is_adf(value: Any) -> bool:
    """True for an ADF document as Jira Cloud REST v3 returns rich-text fields."""
    return (
        isinstance(value, Mapping) and value.get("type") == "doc" and isinstance(value.get("content"), list)
    )


def _children(node: Mapping[str, Any]) -> Sequence[Any]:
    content = node.get("content")
    return content if isinstance(content, list) else []


def _blocks(nodes: Sequence[Any], indent: str) -> str:
    parts = [_block(n, indent) for n in nodes if isinstance(n, Mapping)]
    return "\n\n".join(p for p in parts if p.strip())


def _block(node: Mapping[str, Any], indent: str) -> str:
    kind = node.get("type")
    attrs = node.get("attrs") if isinstance(node.get("attrs"), Mapping) else {}
    assert isinstance(attrs, Mapping)
    kids = _children(node)
    if kind in ("doc", "layoutSection", "layoutColumn", "extension", "bodiedExtension"):
        return _blocks(kids, indent)
    if kind == "paragraph":
        return indent + _inline(kids).replace("\n", "\n" + indent)
    if kind == "heading":
        level = attrs.get("level", 3)
        level = level if isinstance(level, int) and 1 <= level <= 6 else 3
        return f"{indent}{'#' * level} {_inline(kids).strip()}"
    if kind in ("bulletList", "orderedList", "taskList"):
        lines = []
        for i, item in enumerate(k for k in kids if isinstance(k, Mapping)):
            if kind == "orderedList":
                marker = f"{i + 1}."
            elif kind == "taskList":
                marker = "- [x]" if item.get("attrs", {}).get("state") == "DONE" else "- [ ]"
            else:
                marker = "-"
            lines.append(_list_item(item, indent, marker))
        return "\n".join(lines)
    if kind in ("listItem", "taskItem"):
        return _list_item(node, indent, "-")
    if kind == "codeBlock":
        lang = attrs.get("language") or ""
        code = "".join(str(k.get("text", "")) for k in kids if isinstance(k, Mapping))
        return f"{indent}```{lang}\n{code}\n{indent}```"
    if kind == "blockquote":
        inner = _blocks(kids, "")
        return "\n".join(f"{indent}> {ln}".rstrip() for ln in inner.splitlines())
    if kind in ("panel", "expand", "nestedExpand"):
        title = attrs.get("title")
        inner = _blocks(kids, indent)
        return f"{indent}**{title}**\n\n{inner}" if title else inner
    if kind == "rule":
        return f"{indent}---"
    if kind == "table":
        return _table(kids, indent)
    if kind in ("mediaSingle", "mediaGroup", "media"):
        return f"{indent}[attachment]"
    if kind in ("text", "hardBreak", "mention", "emoji", "inlineCard", "status", "date"):
        return indent + _inline([node])
    return _blocks(kids, indent) if kids else ""


def _list_item(item: Mapping[str, Any], indent: str, marker: str) -> str:
    kids = [k for k in _children(item) if isinstance(k, Mapping)]
    inline = [k for k in kids if k.get("type") not in _BLOCK_TYPES]
    blocks = [k for k in kids if k.get("type") in _BLOCK_TYPES]
    first = _inline(inline) if inline else ""
    rest: list[str] = []
    for b in blocks:
        if not first and b.get("type") == "paragraph":
            first = _inline(_children(b))
            continue
        rest.append(_block(b, indent + "  "))
    head = f"{indent}{marker} {first.strip()}"
    return "\n".join([head, *[r for r in rest if r.strip()]])


_BLOCK_TYPES = frozenset(
    {"paragraph", "bulletList", "orderedList", "taskList", "codeBlock", "blockquote", "heading", "table",
     "panel", "rule", "mediaSingle", "expand"}
)  # fmt: skip


def _table(rows: Sequence[Any], indent: str) -> str:
    out: list[str] = []
    for i, row in enumerate(r for r in rows if isinstance(r, Mapping)):
        cells = [
            _blocks(_children(c), "").replace("\n", " ").replace("|", "\\|")
            for c in _children(row)
            if isinstance(c, Mapping)
        ]
        out.append(f"{indent}| " + " | ".join(cells) + " |")
        if i == 0:
            out.append(f"{indent}|" + "---|" * len(cells))
    return "\n".join(out)


def _inline(nodes: Sequence[Any]) -> str:
    out: list[str] = []
    for n in nodes:
        if not isinstance(n, Mapping):
            continue
        kind = n.get("type")
        attrs = n.get("attrs") if isinstance(n.get("attrs"), Mapping) else {}
        assert isinstance(attrs, Mapping)
        if kind == "text":
            out.append(_marked(str(n.get("text", "")), n.get("marks")))
        elif kind == "hardBreak":
            out.append("\n")
        elif kind == "mention":
            out.append(str(attrs.get("text") or "@someone"))
        elif kind == "emoji":
            out.append(str(attrs.get("text") or attrs.get("shortName") or ""))
        elif kind == "inlineCard":
            out.append(str(attrs.get("url") or ""))
        elif kind == "status":
            out.append(f"[{attrs.get('text', '')}]")
        elif kind == "date":
            out.append(str(attrs.get("timestamp", "")))
        else:
            out.append(_inline(_children(n)))
    return "".join(out)


def _marked(text: str, marks: Any) -> str:
    if not isinstance(marks, list) or not text.strip():
        return text
    link = None
    for mark in marks:
        kind = mark.get("type") if isinstance(mark, Mapping) else None
        if kind == "code":
            text = f"`{text}`"
        elif kind == "strong":
            text = f"**{text}**"
        elif kind == "em":
            text = f"*{text}*"
        elif kind == "strike":
            text = f"~~{text}~~"
        elif kind == "link":
            link = (mark.get("attrs") or {}).get("href")
    return f"[{text}]({link})" if link else text


# --------------------------------------------------------------------------- wiki markup (REST v2)

_WIKI_HEADING = re.compile(r"^h([1-6])\.\s+(.*)$")
_WIKI_BULLET = re.compile(r"^([*#-]+)\s+(.*)$")


def wiki_to_markdown(text: str) -> str:
    """The common parts of Jira wiki markup (Server/Data Center, REST v2) as Markdown.

    Headings (`h3. Title`), bullet and numbered lists (`*`, `#`, nested `**`), `{code}` and
    `{noformat}` blocks, `{{monospace}}` and `*bold*`; everything else is left as written.
    """
    out: list[str] = []
    in_code = False
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        block = re.match(r"^\{(code|noformat)(?::([^}|]*))?[^}]*\}(.*)$", line.strip())
        if block:
            if in_code:
                out.append("```")
            else:
                out.append("```" + (block.group(2) or "").strip())
            in_code = not in_code
            continue
        if in_code:
            out.append(line)
            continue
        heading = _WIKI_HEADING.match(line.strip())
        if heading:
            out.append("#" * int(heading.group(1)) + " " + heading.group(2).strip())
            continue
        bullet = _WIKI_BULLET.match(line.strip())
        if bullet and not _is_bold_line(line.strip()):
            marks = bullet.group(1)
            depth = len(marks) - 1
            marker = "1." if marks.endswith("#") else "-"
            out.append("  " * depth + f"{marker} {_wiki_inline(bullet.group(2))}")
            continue
        out.append(_wiki_inline(line))
    if in_code:
        out.append("```")
    return "\n".join(out).strip()


def _is_bold_line(line: str) -> bool:
    return bool(re.fullmatch(r"\*[^*\s][^*]*\*:?", line))


def _wiki_inline(text: str) -> str:
    text = re.sub(r"\{\{(.+?)\}\}", r"`\1`", text)
    return re.sub(r"(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])", r"**\1**", text)
