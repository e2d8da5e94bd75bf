"""Output specs, the renderer registry and atomic writes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mochi import __version__
from mochi.errors import PublishError, UsageError
from mochi.models import Diff, Review
from mochi.publish.files import RENDERERS, parse_output_spec, render, write_output


def test_parse_output_spec() -> None:
    assert parse_output_spec("sarif=out/review.sarif") == ("sarif", Path("out/review.sarif"))
    assert parse_output_spec("MD=report.md") == ("markdown", Path("report.md"))
    assert parse_output_spec("json=a=b.json") == ("json", Path("a=b.json"))


@pytest.mark.parametrize("spec", ["review.sarif", "=x.json", "json=", "json=  "])
def test_malformed_specs_say_how_to_write_one(spec: str) -> None:
    with pytest.raises(UsageError, match=r"FORMAT=PATH, e\.g\. sarif=out/review\.sarif"):
        parse_output_spec(spec)


def test_unknown_format_suggests_a_close_one() -> None:
    with pytest.raises(UsageError, match="Did you mean 'sarif'"):
        parse_output_spec("sarfi=x.sarif")


def test_every_format_renders(review: Review, diff: Diff) -> None:
    outputs = {fmt: RENDERERS[fmt](review) for fmt in RENDERERS}
    assert json.loads(outputs["json"])["version"] == 1
    assert json.loads(outputs["sarif"])["runs"][0]["tool"]["driver"]["version"] == __version__
    assert outputs["markdown"].startswith("# Sonar-Mochi review")
    assert outputs["text"].startswith("Sonar-Mochi review")
    assert "\x1b" not in outputs["text"]


def test_render_passes_the_diff_color_and_version(review: Review, diff: Diff) -> None:
    excerpt = "ResultSet rs = st.executeQuery(sql);"
    assert excerpt not in RENDERERS["text"](review)
    assert excerpt in render("text", review, diff=diff)
    assert "\x1b[" in render("txt", review, diff=diff, color=True)
    sarif = json.loads(render("sarif", review, tool_version="9.9.9"))
    assert sarif["runs"][0]["tool"]["driver"]["version"] == "9.9.9"
    assert render("md", review) == RENDERERS["markdown"](review)
    with pytest.raises(UsageError, match="unknown output format 'html'"):
        render("html", review)


def test_write_output_creates_parents_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "out" / "nested" / "review.sarif"
    write_output(target, "first\n")
    write_output(target, "second ✓\n")
    assert target.read_text(encoding="utf-8") == "second ✓\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["review.sarif"]  # no temp files left
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_write_output_into_a_directory_fails_clearly(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    with pytest.raises(PublishError, match="cannot write"):
        write_output(tmp_path / "taken", "x")
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]
