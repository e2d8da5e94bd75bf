"""GitHub Actions integration: workflow commands, log groups, step outputs and the job summary.

Workflow commands (`::warning file=...,line=...::message`) are written to the step's stdout;
outputs and the job summary are appended to the files GitHub names in GITHUB_OUTPUT and
GITHUB_STEP_SUMMARY (cli passes the paths in). Values are escaped the way the Actions runner
unescapes them, so a message with a newline or a colon cannot forge another command.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

from mochi.errors import PublishError


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


class Actions:
    """Talks to the Actions runner through stdout and the files it names (None: not set)."""

    def __init__(self, stdout: IO[str], *, output_path: Path | None = None, summary_path: Path | None = None):
        self.stdout = stdout
        self.output_path = output_path
        self.summary_path = summary_path

    def command(self, name: str, message: str, **props: str | int | None) -> None:
        """`::name k=v,...::message`, escaped."""
        args = ",".join(f"{k}={_prop(str(v))}" for k, v in props.items() if v is not None)
        self.stdout.write(f"::{name}{' ' + args if args else ''}::{_data(message)}\n")
        self.stdout.flush()

    def error(self, message: str, **props: str | int | None) -> None:
        """An error annotation."""
        self.command("error", message, **props)

    def warning(self, message: str, **props: str | int | None) -> None:
        """A warning annotation (with file/line/endLine/title props for a code location)."""
        self.command("warning", message, **props)

    def notice(self, message: str, **props: str | int | None) -> None:
        """A notice annotation."""
        self.command("notice", message, **props)

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        """A collapsible group in the job log."""
        self.stdout.write(f"::group::{_data(title)}\n")
        self.stdout.flush()
        try:
            yield
        finally:
            self.stdout.write("::endgroup::\n")
            self.stdout.flush()

    def set_outputs(self, values: Mapping[str, str]) -> None:
        """Append step outputs to GITHUB_OUTPUT (multi-line safe); a no-op when it is not set."""
        if self.output_path is None:
            return
        parts = []
        for name, value in values.items():
            delimiter = f"mochi_{secrets.token_hex(8)}"
            parts.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        self._append(self.output_path, "".join(parts), "GITHUB_OUTPUT")

    def write_summary(self, markdown: str) -> None:
        """Append Markdown to the job summary (GITHUB_STEP_SUMMARY); a no-op when it is not set."""
        if self.summary_path is None:
            return
        self._append(self.summary_path, markdown.rstrip("\n") + "\n", "GITHUB_STEP_SUMMARY")

    @staticmethod
    def _append(path: Path, text: str, what: str) -> None:
        try:
            with path.open("a", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise PublishError(f"cannot append to {what} ({path}): {exc.strerror}") from exc
