"""What every command shares: logging on stderr, the one error handler, progress lines.

Kept apart from cli.py so the command modules need not import the CLI that registers them.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

import click

from mochi.errors import MochiError
from mochi.urls import mask_credentials

# A line the Actions runner would take for a workflow command (`::add-mask::`, `::error::`): it
# trims leading whitespace first. Model text, a server's error text or a repository's file printed
# on its own line must never become one: a zero-width space (not whitespace to the runner) goes first.
_COMMAND_LINE = re.compile(r"(^|\n)([ \t]*)(::)")


class InertCommands:
    """A text stream whose lines cannot start a GitHub Actions workflow command."""

    def __init__(self, raw: IO[str]) -> None:
        self.raw = raw
        self._at_line_start = True

    def write(self, text: str) -> int:
        """Write `text`, defusing `::` at the start of every line."""
        if self._at_line_start and text.lstrip(" \t").startswith("::"):
            text = "\u200b" + text
        out = _COMMAND_LINE.sub(lambda m: m.group(1) + m.group(2) + "\u200b::", text)
        if text:
            self._at_line_start = text.endswith("\n")
        self.raw.write(out)
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def guard_workflow_commands(environ: Mapping[str, str]) -> None:
    """Inside GitHub Actions, make stdout and stderr unable to emit a workflow command by accident;
    mochi's own commands go to `command_stream()`."""
    if environ.get("GITHUB_ACTIONS", "").lower() != "true":
        return
    if not isinstance(sys.stdout, InertCommands):
        sys.stdout = InertCommands(sys.stdout)
    if not isinstance(sys.stderr, InertCommands):
        sys.stderr = InertCommands(sys.stderr)


def command_stream() -> IO[str]:
    """Where mochi writes its own workflow commands: stdout itself, not its guard."""
    out: Any = sys.stdout
    return out.raw if isinstance(out, InertCommands) else out


class Terminated(KeyboardInterrupt):
    """SIGTERM (a cancelled CI job): unwinds like ^C, so the check run is closed and the record
    says FAILED before the process ends."""


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated()


def handle_sigterm() -> None:
    """Turn SIGTERM into Terminated in the main thread (GitHub and GitLab send it on cancel)."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)


def setup_logging(verbose: int) -> None:
    """WARNING by default, INFO with -v, DEBUG with -vv; third-party request logs stay quiet."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("mochi: %(levelname)s: %(message)s"))
    handler.addFilter(_mask_urls)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # third-party clients log request lines (and sometimes headers) at INFO/DEBUG
    for noisy in ("httpx", "httpcore", "openai", "anthropic", "urllib3"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def _mask_urls(record: logging.LogRecord) -> bool:
    """No password inside a URL in a log line (a library's message, a warning with a URL)."""
    message = record.getMessage()
    masked = mask_credentials(message)
    if masked != message:
        record.msg, record.args = masked, None
    return True


@contextmanager
def errors() -> Iterator[None]:
    """The one error handler: MochiError -> its message on stderr and its exit status."""
    try:
        yield
    except MochiError as exc:
        click.echo(f"mochi: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except Terminated:
        click.echo("mochi: stopped (SIGTERM): the check run and the record say so", err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        # a model call in flight in a worker thread would hold the exit for minutes
        os._exit(143)
    except KeyboardInterrupt:
        click.echo("mochi: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        # the reader went away (`mochi prompt | head -1`): quiet and 0, like other Unix tools; stdout
        # goes to /dev/null so the interpreter's last flush does not fail again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)


_QUIET = [False]


def set_quiet(quiet: bool) -> None:
    """`-q`: no progress lines from here on (warnings and errors still show)."""
    if quiet:
        _QUIET[0] = True


def progress(message: str) -> None:
    """A progress line on stderr (no password inside a URL); nothing under `-q`."""
    if _QUIET[0]:
        return
    sys.stderr.write(f"mochi: {mask_credentials(message)}\n")
    sys.stderr.flush()


def in_ci(environ: Mapping[str, str]) -> bool:
    """True inside any CI (the record and a missing model behave differently there)."""
    return any(environ.get(v) for v in ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL", "BUILD_ID"))
