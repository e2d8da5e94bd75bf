"""git's C-style quoting of path names, for diffs rebuilt from a host's API entries."""

from __future__ import annotations


def c_quote(name: str, *, quote_space: bool = False) -> str:
    """`name` as git writes it in a diff header: in double quotes, with C escapes and octal bytes,
    when it holds a quote, a backslash, a control character or non-ASCII (and, with `quote_space`,
    a space), so the one diff parser reads it back exactly; unchanged otherwise."""
    special = ' "\\' if quote_space else '"\\'
    if all(0x20 <= ord(c) < 0x7F and c not in special for c in name):
        return name
    out = []
    for byte in name.encode("utf-8"):
        ch = chr(byte)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\n":
            out.append("\\n")
        elif 0x20 <= byte < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'
