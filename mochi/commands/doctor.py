"""`mochi doctor`: check the set-up before a first review, one line per check, with the fix.

The composition root of the checks in mochi.doctor: it reads the environment and the settings the
way `mochi review` does (mochi.commands.compose), probes the record read-only first (so that a
database that is down costs its time once, and one that is behind is not migrated here), and
prints each line as its check ends (the model's test prompt can take a minute).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mochi.commands.runtime import errors as _errors
from mochi.errors import MochiError

if TYPE_CHECKING:
    from mochi.diff.git import Git
    from mochi.doctor import Check
    from mochi.settings import Settings

_LABEL = {"ok": "ok", "warn": "warn", "fail": "FAIL", "skip": "skip"}
_NAME_WIDTH = len("configuration")
_GITHUB_TOKENS = ("GITHUB_TOKEN", "INPUT_GITHUB_TOKEN", "GH_TOKEN")  # as `mochi ci` reads them


@click.command()
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    help="The checkout to check (default: the current directory).",
)
@click.option(
    "--no-prompt", is_flag=True, help="Skip the model's test prompt (it can take a minute on a CPU server)."
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Machine-readable: {"ok", "checks": [{"name", "status", "detail", "fix"}]}.',
)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="Print only the warnings and failures (--json still lists every check).",
)
def doctor(repo: Path | None, no_prompt: bool, as_json: bool, quiet: bool) -> None:
    """Check the set-up before a first review: git, settings, model, Jira, tokens, record, key.

    One line per check (ok, warn, FAIL, skip), with the fix when something is wrong. Exit status 0
    when no check failed (warnings allowed), 1 when one did.
    """
    from mochi.commands.runtime import setup_logging

    setup_logging(0)
    printer = _Printer(as_json=as_json, quiet=quiet)
    with _errors():
        _run(os.environ, printer, repo=repo, prompt=not no_prompt)
        printer.finish()
    sys.exit(1 if any(c.status == "fail" for c in printer.checks) else 0)


class _Printer:
    """Each line as its check ends (text), or one JSON document at the end; secrets never shown."""

    def __init__(self, *, as_json: bool, quiet: bool) -> None:
        self.as_json, self.quiet = as_json, quiet
        self.checks: list[Check] = []
        self.secrets: set[str] = set()

    def __call__(self, check: Check) -> None:
        from mochi.doctor import Check

        check = Check(check.name, check.status, self._scrub(check.detail), self._scrub(check.fix))
        self.checks.append(check)
        if self.as_json or (self.quiet and check.status in ("ok", "skip")):
            return
        text = check.detail + (f": {check.fix}" if check.fix else "")
        click.echo(f"{_LABEL[check.status]:<6}{check.name:<{_NAME_WIDTH}}  {text}")

    def _scrub(self, text: str | None) -> Any:
        from mochi.urls import mask_credentials

        if text is None:
            return None
        from mochi.providers.builtin.secret_values import is_placeholder

        for secret in sorted(self.secrets, key=len, reverse=True):
            # `OPENAI_API_KEY=none` for a local server: masking every "none" would garble the lines
            if len(secret) >= 8 or (len(secret) >= 4 and not is_placeholder(secret)):
                text = text.replace(secret, "********")
        return mask_credentials(text)

    def finish(self) -> None:
        if self.as_json:
            import json

            ok = not any(c.status == "fail" for c in self.checks)
            checks = [
                {"name": c.name, "status": c.status, "detail": c.detail, "fix": c.fix} for c in self.checks
            ]
            click.echo(json.dumps({"version": 1, "ok": ok, "checks": checks}, indent=2))


def _run(environ: Mapping[str, str], emit: _Printer, *, repo: Path | None, prompt: bool) -> None:
    from mochi import doctor as checks
    from mochi import doctor_record
    from mochi.commands.compose import compose, open_git
    from mochi.store.session import database_url

    emit(check_git())
    start = repo or Path.cwd()
    git = open_git(start) if shutil.which("git") else None
    root = git.top if git is not None else start
    emit(_guard("repository", check_repository, git, start, explicit=repo is not None))

    with _captured_warnings() as notes:  # they become notes on the configuration line
        settings, origin, problem = _load(environ, root)
        url = database_url(settings, in_ci=_in_ci(environ))
        record = doctor_record.probe_record(
            url, enabled=settings.record.enabled, from_env="database_url" in origin
        )
        if record.readable:  # the stored default model and Jira integration, applied as a review does
            with suppress(MochiError):  # an invalid environment: the configuration line says so
                composed = compose(environ, {}, git=git, root=root, record=False, read_file=problem is None)
                settings, origin = composed.settings, composed.origin
    notes[:] = dict.fromkeys(notes)  # the file's warnings come from _load and compose alike
    if record.check.status in ("warn", "fail"):
        notes.append("the stored default model and integrations were not read (see database)")
    emit.secrets |= _secrets(settings, environ)

    emit(_guard("base", check_base, git, settings.scope.base, origin.get("base")))
    emit(check_configuration(problem, origin, notes))
    name, model = settings.effective_provider, settings.effective_model
    line = _guard("provider", checks.check_provider, settings, name, model, check="provider", prompt=prompt)
    if line.status == "fail" and not settings.provider_explicit:  # the default Ollama is optional
        note = " (until then a review runs the built-in checks only)"
        line = replace(line, fix=line.fix + note) if line.fix else replace(line, detail=line.detail + note)
    emit(line)
    _fallbacks(settings, emit)
    emit(_guard("jira", checks.check_jira_access, settings, origin))
    _tokens(environ, emit)
    emit(record.check)
    emit(_guard("secret key", doctor_record.check_secret_key, settings, record.encrypted))


def _guard(name: str, run: Callable[..., Check], /, *args: Any, **kwargs: Any) -> Check:
    """A check's line; an error no check expected is its failure, and the other checks go on."""
    from mochi.doctor import failed

    try:
        return run(*args, **kwargs)
    except Exception as exc:
        return failed(name, exc, "unexpected error: ")


def _load(environ: Mapping[str, str], root: Path) -> tuple[Settings, dict[str, str], tuple[str, str] | None]:
    """The settings from .mochi.toml and the environment, else the environment's alone (else the
    defaults), and then what was wrong and which settings the other checks use instead."""
    from mochi.commands.compose import load_settings
    from mochi.settings import Settings, load

    try:
        settings, origin = load_settings(environ, {}, root, trust_file=not _in_ci(environ))
        return settings, origin, None
    except MochiError as exc:
        problem = str(exc)
    try:
        settings, origin = load(environ, {}, None)
        return settings, origin, (problem, "the settings without .mochi.toml")
    except MochiError:  # the environment itself is wrong: the message above names the value
        return Settings(), {}, (problem, "the defaults")


def _in_ci(environ: Mapping[str, str]) -> bool:
    from mochi.commands.runtime import in_ci

    return in_ci(environ)


@contextmanager
def _captured_warnings() -> Iterator[list[str]]:
    """The warnings logged meanwhile, instead of on stderr."""
    import logging

    notes: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            notes.append(record.getMessage())

    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers[:] = [Keep(logging.WARNING)]
    try:
        yield notes
    finally:
        root.handlers[:] = saved


def _secrets(settings: Settings, environ: Mapping[str, str]) -> set[str]:
    """Every secret value this run may meet, to be masked wherever it would show."""
    from urllib.parse import urlsplit

    from mochi.events.gitlab import TOKEN_VARIABLES
    from mochi.settings import SECRET_FIELDS, flatten

    values = {
        v.get_secret_value() for k, v in flatten(settings).items() if k in SECRET_FIELDS and v is not None
    }
    values |= {environ[n] for n in (*_GITHUB_TOKENS, *TOKEN_VARIABLES, "CI_JOB_TOKEN") if environ.get(n)}
    for value in list(values):
        if "://" in value:
            password = urlsplit(value).password
            if password:
                values.add(password)
        values |= {part.strip() for part in value.split(",") if part.strip()}  # rotated secret keys
    return values


def _fallbacks(settings: Settings, emit: _Printer) -> None:
    from mochi.doctor import Check, check_provider, failed
    from mochi.providers.registry import parse_provider_spec

    if not settings.providers.fallback:
        emit(Check("fallback", "skip", "none configured (fallback: providers to try when the model fails)"))
    for spec in settings.providers.fallback:
        try:
            name, model = parse_provider_spec(spec)
        except MochiError as exc:
            emit(failed("fallback", exc))
            continue
        emit(_guard("fallback", check_provider, settings, name, model, check="fallback", prompt=False))


def _tokens(environ: Mapping[str, str], emit: _Printer) -> None:
    """The GitHub and GitLab tokens `mochi ci` and `mochi review --pr` would use, when set."""
    from mochi.doctor import check_github_token, check_gitlab_token
    from mochi.events.gitlab import TOKEN_VARIABLES, gitlab_token

    for variable in _GITHUB_TOKENS:
        if environ.get(variable):
            api = environ.get("GITHUB_API_URL") or "https://api.github.com"
            emit(check_github_token(environ[variable], variable, api))
            break
    token, job_only = gitlab_token(environ)
    if token is not None:
        variable = next(n for n in TOKEN_VARIABLES if (environ.get(n) or "").strip())
        server = environ.get("MOCHI_GITLAB_URL") or environ.get("CI_SERVER_URL") or ""
        server = server or environ.get("CI_API_V4_URL") or "https://gitlab.com"
        emit(check_gitlab_token(token.get_secret_value(), variable, server, job_token=job_only))


# --------------------------------------------------------------------------- the checkout and the settings


def check_git() -> Check:
    """git is installed, and which version."""
    from mochi.doctor import Check

    exe = shutil.which("git")
    if exe is None:
        return Check(
            "git", "fail", "git is not installed (or not on PATH)", "install git: mochi reads changes with it"
        )
    try:
        run = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        return Check("git", "fail", f"{exe} --version failed ({type(exc).__name__})", "reinstall git")
    return Check("git", "ok", f"{run.stdout.strip().removeprefix('git version ')} ({exe})")


def check_repository(git: Git | None, path: Path, *, explicit: bool) -> Check:
    """The directory is inside a git work tree (only --repo makes a missing one a failure)."""
    from mochi.doctor import Check, failed

    if git is None:
        fix = "pass --repo PATH, or run mochi doctor inside the checkout you review"
        if not explicit:
            fix += " (`mochi review --diff-file` needs none)"
        return Check(
            "repository", "fail" if explicit else "warn", f"{path} is not inside a git repository", fix
        )
    try:
        branch = git.current_branch()
        commits = git.has_commits()
    except MochiError as exc:
        return failed("repository", exc, f"{git.top}: ")
    where = f"on branch {branch}" if branch else "detached HEAD"
    return Check("repository", "ok", f"{git.top}, {where}" + ("" if commits else ", no commits yet"))


def check_base(git: Git | None, configured: str | None, origin: str | None) -> Check:
    """The base a review compares with: a configured one must exist; no default one is a warning."""
    from mochi.doctor import Check, failed

    if git is None:
        return Check("base", "skip", "no repository")
    if configured:
        try:
            git.rev_parse(configured)
        except MochiError as exc:
            return failed("base", exc, f"base '{configured}' (from {origin or 'the settings'}): ")
        return Check("base", "ok", f"{configured} (from {origin or 'the settings'})")
    try:
        base = git.default_base()
    except MochiError as exc:
        return failed("base", exc, status="warn")
    if base == git.current_branch():
        return Check("base", "ok", f"{base}, the branch checked out: a review sees uncommitted work only")
    return Check("base", "ok", f"{base}: `mochi review` compares this branch with it")


def check_configuration(
    problem: tuple[str, str] | None, origin: Mapping[str, str], notes: list[str]
) -> Check:
    """The settings loaded (else what was wrong, and which the other checks use instead); where the
    values that are not defaults came from."""
    from mochi.doctor import Check, split_fix

    if problem is not None:
        detail, fix = split_fix(problem[0])
        return Check("configuration", "fail", f"{detail} (the other checks use {problem[1]})", fix)
    sources: dict[str, set[str]] = {}
    for key, where in origin.items():
        label = "the environment" if where.startswith("$") else where
        sources.setdefault(label, set()).add(where[1:] if where.startswith("$") else key)
    parts = [
        f"{label} ({', '.join(sorted(names)[:6])}{', ...' if len(names) > 6 else ''})"
        for label, names in sources.items()
    ]
    detail = "settings from " + "; ".join(parts) if parts else "the defaults (no .mochi.toml, no MOCHI_*)"
    if notes:
        return Check("configuration", "warn", detail + "; " + "; ".join(notes))
    return Check("configuration", "ok", detail)
