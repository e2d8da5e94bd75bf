"""Render the review prompt (system + user message) from Jinja templates.

Templates (under `mochi/prompts/templates/`, shipped in the wheel):

    system.md.j2                  the reviewer's role, rules and the answer format
    review.md.j2                  the user message: target, instructions, tickets, guidelines, diff
    languages/<language>.md.j2    guidance per language (java, javascript, typescript, rust, python)
    languages/generic.md.j2       used for any language without its own template
    frameworks/<id>.md.j2         guidance per framework id (spring-boot, react, actix-web)

A repository customises them in `.mochi/prompts/`:

- Override: a file with the same relative name replaces the built-in one
  (`.mochi/prompts/frameworks/react.md.j2`). A new `languages/go.md.j2` or
  `frameworks/<id>.md.j2` adds guidance for a language or framework id we do not ship.
- Extend: `<name>.extra.md.j2` next to any template name is rendered with the same variables and
  appended to that template's output (`languages/java.extra.md.j2` adds the team's Java rules
  after ours); `extra.md.j2` at the top is appended to the system prompt (rules for every review).

Every template receives plain data (dicts, lists, strings; never live objects, since a
repository's templates are untrusted and run in Jinja's sandbox): `target` (ReviewTarget as a
dict), `files` (path, old_path, language, change, lines_changed), `paths`, `languages`,
`frameworks`, `tickets` (Ticket dicts), `instructions`, and the parts of the context that
match the prompt's files: `path_instructions` (path, instructions), `previous_findings` (path, line,
message, status), `related` (path, imported_by, signatures) and `design_patterns` (name,
description, examples; [] unless `include_design_patterns` is on). Language templates also get
`language`, framework templates `framework`; `review.md.j2` gets `guidelines` (kind, name, text)
and `diff` (the formatted diff, see `format_file_diff`). An undefined variable is an error
(StrictUndefined), reported as a ConfigError with the template file and line.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    DictLoader,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
)
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from mochi.context.frameworks import framework_applies, ordered
from mochi.context.scoped import scoped_context
from mochi.errors import ConfigError
from mochi.models import ChangeKind, Context, FileDiff, LineKind, Prompt, ReviewTarget

logger = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).parent / "templates"
OVERRIDES_DIR = Path(".mochi") / "prompts"  # relative to the reviewed repository

# Language names as other tools spell them -> our template names.
_LANGUAGE_ALIASES = {"js": "javascript", "jsx": "javascript", "ts": "typescript", "tsx": "typescript"}
_GENERIC = "generic"
_MARKERS = {LineKind.ADDED: "+", LineKind.REMOVED: "-", LineKind.CONTEXT: " "}
_CHAR_CAP = 4_000


def format_file_diff(f: FileDiff) -> str:
    """One file of the diff as the model sees it.

    A `### path (language, change)` header, then each hunk's `@@` header and its lines prefixed by
    the NEW-file line number (blank for removed lines) and the +/-/space marker, so the model can
    cite the numbers it sees: `  42 + foo();`, `     - bar();`.
    """
    details = [f.language or "unknown language"]
    if f.change in (ChangeKind.RENAMED, ChangeKind.COPIED) and f.old_path and f.old_path != f.path:
        details.append(f"{f.change.value} from {f.old_path}")
    else:
        details.append(f.change.value)
    if f.symlink:
        details.append("symlink")
    if f.old_mode and f.new_mode and f.old_mode != f.new_mode:
        details.append(f"mode {f.old_mode} -> {f.new_mode}")
    out = [f"### {f.path} ({', '.join(details)})"]
    if f.binary:
        out.append("(binary file, content not shown)")
        return "\n".join(out)
    if not f.hunks:
        out.append("(no content changes)")
        return "\n".join(out)
    if f.change is ChangeKind.DELETED:
        out.append("(file deleted: it has no new-file lines to comment on)")
    biggest = max((ln.new_no or 0 for h in f.hunks for ln in h.lines), default=0)
    width = max(4, len(str(biggest)))
    for h in f.hunks:
        section = f" {h.section}" if h.section else ""
        out.append(f"@@ -{h.old_start},{h.old_len} +{h.new_start},{h.new_len} @@{section}")
        for ln in h.lines:
            number = "" if ln.new_no is None else str(ln.new_no)
            out.append(f"{number:>{width}} {_MARKERS[ln.kind]} {ln.text}".rstrip())
            if ln.no_newline_at_eof:
                out.append(f"{'':>{width}} \\ No newline at end of file")
    return "\n".join(out)


class _ConfinedLoader(FileSystemLoader):
    """A FileSystemLoader that refuses files resolving outside its directory (symlinks)."""

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        roots = [Path(p).resolve() for p in self.searchpath]
        if not any(Path(filename).resolve().is_relative_to(r) for r in roots):
            raise TemplateNotFound(template)
        return source, filename, uptodate


# A repository's template is code from whoever wrote the change: nested loops over huge ranges, or
# a string multiplied a billion times, must cost a clear error, not the job's time or memory.
RENDER_TIMEOUT_S = 5.0
MAX_PRODUCT_CHARS = 1_000_000


class TemplateTooSlowError(Exception):
    """A template took longer than RENDER_TIMEOUT_S to render."""

    def __str__(self) -> str:
        return f"it took longer than {RENDER_TIMEOUT_S:g} s to render (a loop too large?)"


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` (SIGALRM: main thread on POSIX only; elsewhere no limit)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(_signum: int, _frame: Any) -> None:
        raise TemplateTooSlowError()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _BoundedSandbox(SandboxedEnvironment):
    """The sandbox, with `*` and `**` that refuse to build huge values."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """`left * right` or `left ** right`, refused when the result would be huge."""
        if operator == "**":
            if isinstance(right, int) and isinstance(left, int) and abs(right) > 64:
                raise SecurityError(f"{left} ** {right} is too large for a prompt template")
            return left**right
        if isinstance(left, str | list | tuple) and isinstance(right, int):
            size = len(left) * right
        elif isinstance(right, str | list | tuple) and isinstance(left, int):
            size = len(right) * left
        else:
            size = 0
        if size > MAX_PRODUCT_CHARS:
            raise SecurityError(f"a value of {size:,} items is too large for a prompt template")
        return left * right


class PromptRenderer:
    """Builds `Prompt`s from the packaged templates and a repository's `.mochi/prompts/`."""

    def __init__(self, overrides_dir: Path | None = None, stored: Mapping[str, str] | None = None) -> None:
        """`overrides_dir` (e.g. `<repo>/.mochi/prompts`) is searched before the packaged templates.

        `stored` (template name -> source, from `mochi templates`) is searched first of all.
        """
        if overrides_dir is not None and not overrides_dir.is_dir():
            raise ConfigError(
                f"The prompt template directory {overrides_dir} does not exist: create it "
                f"or do not set it to use the built-in templates."
            )
        self.overrides_dir = overrides_dir
        loaders: list[BaseLoader] = [FileSystemLoader(TEMPLATES_DIR)]
        if overrides_dir is not None:
            loaders.insert(0, _ConfinedLoader(overrides_dir))
        if stored:
            loaders.insert(0, DictLoader(dict(stored)))
        # The sandbox: a repository's templates come from whoever wrote the change.
        self._env = _BoundedSandbox(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self._env.filters["clip"] = _clip

    @classmethod
    def for_repository(cls, repo: Path | None, stored: Mapping[str, str] | None = None) -> PromptRenderer:
        """A renderer using `<repo>/.mochi/prompts/` when that directory exists (and `stored` first)."""
        overrides = repo / OVERRIDES_DIR if repo is not None else None
        return cls(overrides if overrides is not None and overrides.is_dir() else None, stored=stored)

    def validate(self) -> None:
        """Compile every template (built-in and overrides); a syntax error raises ConfigError."""
        for name in self._env.list_templates(filter_func=lambda n: n.endswith(".j2")):
            self._load(name)

    def render(
        self,
        files: Sequence[FileDiff],
        context: Context,
        target: ReviewTarget,
        *,
        frameworks_for: Callable[[str], tuple[str, ...]] | None = None,
    ) -> Prompt:
        """One prompt reviewing `files`, of any mix of languages and frameworks.

        Each language and framework present among `files` gets its guidelines once, and none that is
        absent (the demo change, Java/Spring, TSX/React, Rust/Actix-web and a properties file, is one
        prompt of ~3,300 tokens: tests/prompts/test_one_prompt.py).

        `frameworks_for(path)` names the frameworks whose guidance applies to that file (see
        `FrameworkDetection.for_file`); without it, `context.frameworks` that apply to the file's
        kind are used. Raises ConfigError when a template is broken.
        """
        if frameworks_for is None:
            frameworks_for = _from_context(context)
        languages = list(dict.fromkeys(_language_id(f.language) for f in files if f.language))
        frameworks = ordered(fw for f in files for fw in frameworks_for(f.path))
        common: dict[str, Any] = {
            "target": target.model_dump(mode="json"),
            "files": [
                {
                    "path": f.path,
                    "old_path": f.old_path,
                    "language": f.language,
                    "change": f.change.value,
                    "lines_changed": f.lines_changed,
                }
                for f in files
            ],
            "paths": [f.path for f in files],
            "languages": languages,
            "frameworks": list(frameworks),
            "tickets": [t.model_dump(mode="json") for t in context.tickets],
            "instructions": context.instructions,
            # issue 5: only what concerns this chunk's files (see mochi.context.scoped)
            **scoped_context(context, [f.path for f in files]),
            # issue 14: the repository's patterns for these files' languages ([] when not asked for)
            "design_patterns": _design_patterns(context, [f.path for f in files]),
        }
        guidelines = self._guidelines(files, languages, frameworks, common)
        system = self._render("system.md.j2", common)
        extra = self._render_optional("extra.md.j2", common)
        if extra:
            system = f"{system}\n\n{extra}"
        user = self._render(
            "review.md.j2",
            {**common, "guidelines": guidelines, "diff": "\n\n".join(format_file_diff(f) for f in files)},
        )
        return Prompt(
            system=system,
            user=user,
            paths=tuple(f.path for f in files),
            languages=tuple(languages),
            frameworks=frameworks,
        )

    # ------------------------------------------------------------------ internals

    def _guidelines(
        self,
        files: Sequence[FileDiff],
        languages: Sequence[str],
        frameworks: Sequence[str],
        common: Mapping[str, Any],
    ) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        generic_needed = any(f.language is None for f in files)
        for language in languages:
            text = self._render_optional(f"languages/{language}.md.j2", {**common, "language": language})
            if text is None:
                generic_needed = True
            elif text:
                out.append({"kind": "language", "name": language, "text": text})
        if generic_needed or not files:
            text = self._render(f"languages/{_GENERIC}.md.j2", {**common, "language": _GENERIC})
            out.append({"kind": "language", "name": _GENERIC, "text": text})
        for framework in frameworks:
            text = self._render_optional(f"frameworks/{framework}.md.j2", {**common, "framework": framework})
            if text is None:
                logger.debug("no prompt template for framework %s; no guidance sent for it", framework)
            elif text:
                out.append({"kind": "framework", "name": framework, "text": text})
        return out

    def _render(self, name: str, variables: Mapping[str, Any]) -> str:
        text = self._render_optional(name, variables)
        if text is None:
            raise ConfigError(
                f"The prompt template {name} is missing from {TEMPLATES_DIR}: reinstall sonar-mochi, "
                f"or provide it as {OVERRIDES_DIR / name} in the repository."
            )
        return text

    def _render_optional(self, name: str, variables: Mapping[str, Any]) -> str | None:
        """`name` rendered with its `.extra.md.j2` appended; None when there is no such template."""
        template = self._load(name)
        if template is None:
            return None
        text = self._run(template, variables).strip()
        extra_name = name.removesuffix(".md.j2") + ".extra.md.j2"
        extra = self._load(extra_name) if name.endswith(".md.j2") else None
        if extra is not None:
            more = self._run(extra, variables).strip()
            text = f"{text}\n\n{more}" if text and more else text or more
        return text

    def _load(self, name: str) -> Template | None:
        try:
            return self._env.get_template(name)
        except TemplateNotFound:
            return None
        except TemplateSyntaxError as exc:
            raise self._syntax_error(exc) from exc

    def _run(self, template: Template, variables: Mapping[str, Any]) -> str:
        try:
            with _time_limit(RENDER_TIMEOUT_S):
                return template.render(variables)
        except TemplateSyntaxError as exc:  # from an {% include %}
            raise self._syntax_error(exc) from exc
        except Exception as exc:  # a template is user code: any failure is a configuration error
            where = _template_location(exc, template.filename)
            if isinstance(exc, TemplateNotFound):  # {% include %}, {% extends %}, {% import %}
                problem = f"it uses the template {exc.name}, which does not exist"
            else:
                problem = str(exc).rstrip(".")
            names = ", ".join(sorted(variables))
            raise ConfigError(
                f"The prompt template {where}: {problem}. Fix the template; the variables it "
                f"receives are: {names}." + self._delete_hint(template.filename)
            ) from exc

    def _syntax_error(self, exc: TemplateSyntaxError) -> ConfigError:
        filename = exc.filename or exc.name or "?"
        reason = (exc.message or "").rstrip(".")
        return ConfigError(
            f"The prompt template {filename}, line {exc.lineno}, is not valid Jinja: {reason}. "
            f"Fix the syntax there (see https://jinja.palletsprojects.com/templates/)."
            + self._delete_hint(filename)
        )

    def _delete_hint(self, filename: str | None) -> str:
        if filename and self.overrides_dir is not None and Path(filename).is_relative_to(self.overrides_dir):
            return " Or delete it to use the built-in template."
        return ""


def _template_location(exc: BaseException, fallback: str | None) -> str:
    """`file, line N` of the innermost template frame: Jinja maps its frames to template lines."""
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        if frame.filename.endswith(".j2"):
            return f"{frame.filename}, line {frame.lineno}"
    return fallback or "?"


def _from_context(context: Context) -> Callable[[str], tuple[str, ...]]:
    def frameworks_for(path: str) -> tuple[str, ...]:
        return tuple(fw for fw in context.frameworks if framework_applies(fw, path))

    return frameworks_for


def _design_patterns(context: Context, paths: Sequence[str]) -> list[dict[str, Any]]:
    """The template's `design_patterns`: those of the prompt's languages (mochi.context.patterns)."""
    if not context.design_patterns:
        return []
    from mochi.context.patterns import patterns_for

    return [
        {"name": p.name, "description": p.description, "examples": list(p.examples)}
        for p in patterns_for(context.design_patterns, paths)
    ]


def _language_id(language: str) -> str:
    lowered = language.strip().lower()
    return _LANGUAGE_ALIASES.get(lowered, lowered)


def _clip(value: object, limit: int = _CHAR_CAP) -> str:
    """Jinja filter: at most `limit` characters, marking the cut."""
    text = str(value)
    return text if len(text) <= limit else text[:limit].rstrip() + " [...]"
