"""File path -> language name, used to pick the prompt's language guidance.

Names are lowercase and stable (they name prompt templates: prompts/languages/<name>.j2). An
unknown text file gets None and a generic review.
"""

from __future__ import annotations

from pathlib import PurePosixPath

# Whole file names first: they win over the extension (pom.xml is Maven, but .xml is "xml").
_BY_NAME = {
    "dockerfile": "dockerfile",
    "containerfile": "dockerfile",
    "makefile": "makefile",
    "gnumakefile": "makefile",
    "cmakelists.txt": "cmake",
    "jenkinsfile": "groovy",
    "vagrantfile": "ruby",
    "rakefile": "ruby",
    "gemfile": "ruby",
    "podfile": "ruby",
    "build.gradle": "gradle",
    "settings.gradle": "gradle",
    "build.gradle.kts": "gradle",
    "settings.gradle.kts": "gradle",
    "gradlew": "shell",
    "pom.xml": "xml",
    "cargo.toml": "toml",
    "pyproject.toml": "toml",
    "package.json": "json",
    "go.mod": "go",
    ".bashrc": "shell",
    ".zshrc": "shell",
    ".profile": "shell",
}

_BY_SUFFIX = {
    ".java": "java",
    ".kt": "kotlin",
    ".kts": "kotlin",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "typescript",
    ".rs": "rust",
    ".py": "python",
    ".pyi": "python",
    ".go": "go",
    ".rb": "ruby",
    ".rake": "ruby",
    ".cs": "csharp",
    ".cpp": "cpp",
    ".cc": "cpp",
    ".cxx": "cpp",
    ".c++": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".hxx": "cpp",
    ".c": "c",
    ".h": "c",
    ".php": "php",
    ".scala": "scala",
    ".sc": "scala",
    ".swift": "swift",
    ".m": "objective-c",
    ".mm": "objective-c",
    ".dart": "dart",
    ".lua": "lua",
    ".pl": "perl",
    ".pm": "perl",
    ".r": "r",
    ".ex": "elixir",
    ".exs": "elixir",
    ".erl": "erlang",
    ".hs": "haskell",
    ".clj": "clojure",
    ".groovy": "groovy",
    ".gradle": "gradle",
    ".sh": "shell",
    ".bash": "shell",
    ".zsh": "shell",
    ".ps1": "powershell",
    ".sql": "sql",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".jsonc": "json",
    ".toml": "toml",
    ".properties": "properties",
    ".ini": "ini",
    ".cfg": "ini",
    ".conf": "config",
    ".env": "dotenv",
    ".xml": "xml",
    ".xsd": "xml",
    ".html": "html",
    ".htm": "html",
    ".vue": "vue",
    ".svelte": "svelte",
    ".css": "css",
    ".scss": "css",
    ".sass": "css",
    ".less": "css",
    ".md": "markdown",
    ".markdown": "markdown",
    ".tf": "terraform",
    ".proto": "protobuf",
    ".graphql": "graphql",
    ".gql": "graphql",
    ".dockerfile": "dockerfile",
}

_JSX_SUFFIXES = (".jsx", ".tsx")


def detect_language(path: str) -> str | None:
    """The language of `path` from its name or extension, or None when it is not known."""
    name = PurePosixPath(path).name.lower()
    if name in _BY_NAME:
        return _BY_NAME[name]
    # Dockerfile.dev, Dockerfile.prod, ...
    if name.startswith(("dockerfile.", "containerfile.")):
        return "dockerfile"
    suffix = PurePosixPath(name).suffix
    return _BY_SUFFIX.get(suffix)


def is_jsx(path: str) -> bool:
    """True for .jsx/.tsx files: JavaScript/TypeScript with JSX (React) syntax."""
    return path.lower().endswith(_JSX_SUFFIXES)
