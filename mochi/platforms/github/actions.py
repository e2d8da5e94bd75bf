"""GitHub Actions integration: workflow commands, log groups, step outputs and the job summary.

Workflow commands (`::warning file=...,line=...::message`) are written to the step's stdout;
outputs and the job summary are appended to the files GitHub names in GITHUB_OUTPUT and
GITHUB_STEP_SUMMARY (cli passes the paths in). Values are escaped the way the Actions runner
unescapes them, so a message with a newline or a colon cannot forge another command.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING

from mochi.errors import PublishError
from mochi.models import Severity

if TYPE_CHECKING:
    from mochi.platforms.hosted import HostedResult
    from mochi.settings import Settings


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


class Actions:
    """Talks to the Actions runner through stdout and the files it names (None: not set)."""

    def __init__(self, stdout: IO[str], *, output_path: Path | None = None, summary_path: Path | None = None):
        self.stdout = stdout
        self._open = False  # a section() group is open
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

    def section(self, title: str) -> None:
        """Start a collapsible group, ending the open one first (the log cannot nest groups)."""
        self.end_section()
        self.stdout.write(f"::group::{_data(title)}\n")
        self.stdout.flush()
        self._open = True

    def end_section(self) -> None:
        """End the open group, if any."""
        if self._open:
            self.stdout.write("::endgroup::\n")
            self.stdout.flush()
            self._open = False

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


class ActionsFinisher:
    """The last publisher inside GitHub Actions: the job summary, the step outputs and the error
    annotations, written after everything else so they can link to it and say what failed."""

    def __init__(self, actions: Actions) -> None:
        self.actions = actions

    def __call__(self, result: HostedResult, settings: Settings) -> None:
        """Write the job summary and outputs; annotate what could not be posted and a failed model."""
        from mochi.platforms.hosted import fails
        from mochi.publish.markdown import render_markdown

        review, report = result.review, result.report
        counts = {s.value: sum(1 for f in review.findings if f.severity is s) for s in Severity}
        job = render_markdown(review)
        links = [
            f"- [{name.removesuffix('_url').replace('_', ' ')}]({url})" for name, url in report.urls.items()
        ]
        if links:
            job += "\n" + "\n".join(links) + "\n"
        if report.failures:
            job += "\n> [!WARNING]\n> Not everything could be posted: " + "; ".join(report.failures) + "\n"
        json_path = report.files.get("json")
        outputs: dict[str, str] = {
            "findings": str(len(review.findings)),
            **{k: str(v) for k, v in counts.items()},
            "review_url": report.urls.get("review_url", ""),
            "check_run_url": report.urls.get("check_run_url", ""),
            "summary_url": report.urls.get("summary_url", ""),
            "json_path": str(json_path) if json_path else "",
            "conclusion": "failure" if fails(review, settings) else "success",
        }
        try:
            self.actions.write_summary(job)
            self.actions.set_outputs(outputs)
        except PublishError as exc:
            report.failures.append(str(exc))
        for failure in report.failures:
            self.actions.error(f"Sonar-Mochi could not post the {failure}")
        if not report.failures and result.provider_error is not None:
            self.actions.error(
                f"Sonar-Mochi: the model failed ({result.provider_error}); only built-in findings were posted"
            )
