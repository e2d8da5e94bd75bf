"""Each built-in rule's documentation, in one place: `mochi rules show`, SARIF `help` and docs/rules/.

The words and examples are data (mochi.providers.builtin.rule_docs, whose examples the tests run
through the rules); this module renders them as Markdown and plain text, with the part every rule
shares: how to suppress a finding in each comment syntax and how to configure the rule.
`scripts/gen-rule-docs` writes docs/rules/<id>.md from here, and a test keeps them in sync.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from mochi.providers.builtin import ANY_LANGUAGE, RULES, Rule
from mochi.providers.builtin.engine import rule_enabled
from mochi.providers.builtin.rule_docs import DOCS

REPOSITORY_URL = "https://github.com/sonar-mochi/sonar-mochi"
DOCS_DIR = "docs/rules"
LLM_DOC = "llm"  # docs/rules/llm.md: the AI review's findings

_FENCES = {
    "java": "java", "javascript": "javascript", "typescript": "typescript", "tsx": "tsx", "rust": "rust",
    ".java": "java", ".js": "javascript", ".jsx": "jsx", ".mjs": "javascript", ".cjs": "javascript",
    ".ts": "typescript", ".tsx": "tsx", ".rs": "rust", ".properties": "properties", ".yml": "yaml",
    ".yaml": "yaml", ".toml": "toml", ".json": "json", ".xml": "xml", ".sh": "sh", ".py": "python",
}  # fmt: skip
# (languages or file kinds, how a suppression comment is written there)
_COMMENT_STYLES = (
    ("Java, JavaScript, TypeScript, Rust", "// mochi-ignore[{id}]: why this is fine"),
    ("properties, YAML, TOML, .env, shell, Python", "# mochi-ignore[{id}]: why this is fine"),
    ("XML, HTML", "<!-- mochi-ignore[{id}]: why this is fine -->"),
    ("SQL", "-- mochi-ignore[{id}]: why this is fine"),
)
_SLASH_LANGUAGES = frozenset({"java", "javascript", "typescript", "tsx", "rust"})


def help_uri(rule_id: str) -> str:
    """The rule's page in the repository (docs/rules/<id>.md)."""
    return f"{REPOSITORY_URL}/blob/main/{DOCS_DIR}/{rule_id}.md"


def summary(rule: Rule) -> str:
    doc = DOCS.get(rule.id)
    return doc.summary if doc is not None else rule.message


def _fence(rule: Rule, path: str) -> str:
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in _FENCES:
        return _FENCES[suffix]
    return next((_FENCES[lang] for lang in rule.languages if lang in _FENCES), "")


def _styles(rule: Rule) -> list[tuple[str, str]]:
    if ANY_LANGUAGE in rule.languages:
        return [(where, how.format(id=rule.id)) for where, how in _COMMENT_STYLES]
    where = ", ".join(sorted({lang.capitalize() if lang != "tsx" else "TSX" for lang in rule.languages}))
    slash = _SLASH_LANGUAGES.intersection(rule.languages)
    return [(where, _COMMENT_STYLES[0 if slash else 1][1].format(id=rule.id))]


def _file_level(rule: Rule) -> bool:
    return rule.id in ("generic.large-file", "generic.sensitive-file")


def _suppress_markdown(rule: Rule) -> list[str]:
    out = [
        "## Suppress",
        "",
        "When you have judged a finding and it is fine here, say so next to the code, on the line or on "
        "a line of its own just above it:",
        "",
    ]
    for where, how in _styles(rule):
        out += [f"- {where}: `{how}`"]
    out += [
        "",
        f"`mochi-ignore-file[{rule.id}]: why` in a comment within a file's first 30 lines covers the whole "
        "file. Suppressed findings are counted in the review's `stats.findings_suppressed`; "
        "`mochi review --no-suppress` shows them.",
    ]
    if _file_level(rule):
        out += [
            "",
            "This rule reports whole files, some of them binary (no comment possible): exclude their paths "
            "in `.mochi.toml` instead (below).",
        ]
    out += [
        "",
        "## Configure",
        "",
        "```toml",
        "# .mochi.toml",
        f'[rules."{rule.id}"]',
        f"enabled = {'false' if rule_enabled(rule, None) else 'true'}"
        + ("  # the rule is on by default" if rule_enabled(rule, None) else "  # the rule is opt-in"),
        f'severity = "{rule.severity.value}"',
        'exclude = ["src/legacy/**"]  # paths where it does not run',
        "```",
    ]
    return out


def markdown(rule_id: str) -> str:
    """The rule's documentation page (Markdown), as docs/rules/<id>.md holds it."""
    rule = RULES[rule_id]
    doc = DOCS.get(rule_id)
    languages = "any text file" if ANY_LANGUAGE in rule.languages else ", ".join(rule.languages)
    out = [
        f"# {rule.id}",
        "",
        summary(rule),
        "",
        "| | |",
        "|---|---|",
        f"| Severity | {rule.severity.value} |",
        f"| Category | {rule.category} |",
        f"| Type | {rule.type.value} |",
        f"| Languages | {languages} |",
        f"| Default | {'on' if rule_enabled(rule, None) else 'off (opt-in)'} |",
        "",
        "## Why",
        "",
        doc.why if doc is not None else rule.doc,
        "",
    ]
    if doc is not None:
        fence = _fence(rule, doc.example_path)
        out += ["## Wrong", "", f"`{doc.example_path}`", "", f"```{fence}", doc.wrong.rstrip("\n"), "```", ""]
        if doc.repeat > 1:
            out += [f"(repeated {doc.repeat} times: the rule looks at the size)", ""]
        out += ["## Right", "", f"```{fence}", doc.right.rstrip("\n"), "```", ""]
        if doc.notes:
            out += ["## When it stays silent", "", doc.notes.strip(), ""]
    out += _suppress_markdown(rule)
    return "\n".join(out) + "\n"


def text(rule_id: str) -> str:
    """The same documentation as plain text (SARIF `help.text`, terminals without Markdown)."""
    rule = RULES[rule_id]
    doc = DOCS.get(rule_id)
    out = [f"{rule.id}: {summary(rule)}", "", doc.why if doc is not None else rule.doc]
    if doc is not None:
        out += ["", "Wrong:", _indent(doc.wrong), "", "Right:", _indent(doc.right)]
    out += ["", "Suppress (on the line or the line above):"]
    out += [f"  {where}: {how}" for where, how in _styles(rule)]
    out += [f'Configure in .mochi.toml: [rules."{rule.id}"] enabled / severity / exclude.', help_uri(rule.id)]
    return "\n".join(out) + "\n"


def _indent(code: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in code.rstrip("\n").split("\n"))


LLM_MARKDOWN = """# The AI review's findings (mochi/llm/...)

Findings from the model have no built-in rule: SARIF files them under `mochi/llm/<type>/<category>`
(`mochi/llm/bug/security`, `mochi/llm/suggestion/maintainability`, ...). Each one is the model's
judgement of this change, with the reason in its message; check it as you would a colleague's
comment.

## Suppress

A model finding you have judged and accept: `mochi-ignore[llm]: why` in a comment on the line or on
a line of its own just above it (`// ...` in Java, JavaScript, TypeScript and Rust; `# ...` in
properties, YAML, TOML). `mochi review --no-suppress` shows what is hidden.

## Configure

The model, its prompts and the instructions it follows are configured in `.mochi.toml`
(`instructions`, `[[path_instructions]]`) and by prompt templates: see the README.
"""


def llm_text() -> str:
    return (
        "A finding of the AI review: the model's judgement of this change, with the reason in its message.\n"
        "Suppress one you have judged with `mochi-ignore[llm]: why` in a comment on the line or the "
        "line above.\n"
    )


def pages() -> dict[str, str]:
    """Every page of docs/rules/ by file name: one per rule, llm.md and the README index."""
    from mochi.providers.builtin import RULES

    out = {f"{rid}.md": markdown(rid) for rid in RULES}
    out[f"{LLM_DOC}.md"] = LLM_MARKDOWN
    index = [
        "# Built-in rules",
        "",
        "Generated by `scripts/gen-rule-docs` from the rules' code; `mochi rules show ID` prints the same.",
        "",
        "| Rule | Severity | Default | What it finds |",
        "|---|---|---|---|",
    ]
    for rid, rule in RULES.items():
        default = "on" if rule_enabled(rule, None) else "opt-in"
        index.append(f"| [{rid}]({rid}.md) | {rule.severity.value} | {default} | {summary(rule)} |")
    index += ["", "Findings of the AI review: [llm.md](llm.md).", ""]
    out["README.md"] = "\n".join(index)
    return out
