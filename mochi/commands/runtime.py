"""What every command shares: logging on stderr, the one error handler, progress lines.

Kept apart from cli.py so the command modules need not import the CLI that registers them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import click

from mochi.errors import MochiError


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
    from mochi.urls import mask_credentials

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
    except KeyboardInterrupt:
        click.echo("mochi: interrupted", err=True)
        sys.exit(130)


def progress(message: str) -> None:
    """A progress line on stderr (no password inside a URL)."""
    from mochi.urls import mask_credentials

    sys.stderr.write(f"mochi: {mask_credentials(message)}\n")
    sys.stderr.flush()


def in_ci(environ: Mapping[str, str]) -> bool:
    """True inside any CI (the record and a missing model behave differently there)."""
    return any(environ.get(v) for v in ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL", "BUILD_ID"))
