"""Report formats and writing them to files: the renderer registry, FORMAT=PATH specs, atomic writes."""

from __future__ import annotations

import contextlib
import difflib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from mochi import __version__
from mochi.errors import PublishError, UsageError
from mochi.models import Diff, Review
from mochi.publish.codequality import render_codequality
from mochi.publish.json_out import render_json
from mochi.publish.junit import render_junit
from mochi.publish.markdown import render_markdown
from mochi.publish.sarif import render_sarif
from mochi.publish.text import ReadLine, render_text

Renderer = Callable[[Review], str]


def _text(review: Review) -> str:
    # Without the diff there are no code excerpts: `render("text", ..., diff=...)` has them.
    return render_text(review, Diff(), color=False)


def _sarif(review: Review) -> str:
    return render_sarif(review, tool_version=__version__)


RENDERERS: dict[str, Renderer] = {
    "text": _text,
    "markdown": render_markdown,
    "json": render_json,
    "sarif": _sarif,
    "junit": render_junit,  # issue 7: Jenkins
    "codequality": render_codequality,  # issue 7: GitLab Code Quality (gl-code-quality-report.json)
}
ALIASES = {"md": "markdown", "txt": "text"}


def render(
    fmt: str,
    review: Review,
    *,
    diff: Diff | None = None,
    color: bool = False,
    read_line: ReadLine | None = None,
    tool_version: str = __version__,
) -> str:
    """Render `review` in the named format (or alias), with what text and SARIF can use besides it."""
    fmt = _format(fmt, fmt)
    if fmt == "text":
        return render_text(review, diff if diff is not None else Diff(), color=color, read_line=read_line)
    if fmt == "sarif":
        return render_sarif(review, tool_version=tool_version)
    return RENDERERS[fmt](review)


def _format(name: str, spec: str) -> str:
    fmt = ALIASES.get(name.strip().lower(), name.strip().lower())
    if fmt in RENDERERS:
        return fmt
    close = difflib.get_close_matches(fmt, [*RENDERERS, *ALIASES], n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    where = f" in {spec!r}" if spec != name else ""
    raise UsageError(f"unknown output format {name!r}{where}: use one of {', '.join(RENDERERS)}.{hint}")


def parse_output_spec(spec: str) -> tuple[str, Path]:
    """'sarif=out/review.sarif' -> ('sarif', Path('out/review.sarif')). Raises UsageError when malformed."""
    fmt, sep, path = spec.partition("=")
    if not sep or not fmt.strip() or not path.strip():
        raise UsageError(
            f"bad output {spec!r}: write FORMAT=PATH, e.g. sarif=out/review.sarif "
            f"(formats: {', '.join(RENDERERS)})"
        )
    return _format(fmt, spec), Path(path.strip())


def write_output(path: Path, content: str) -> None:
    """Write `content` (UTF-8) to `path` atomically, creating parent directories.

    A reader (or a CI step that uploads the file) sees the old file or the new one, never half.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # os.open with 0o666 lets the umask decide the mode, like a plain open() would.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise PublishError(
            f"cannot write {path}: {exc.strerror or exc}. Check that the directory is writable, "
            "or choose another output path."
        ) from exc
