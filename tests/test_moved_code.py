"""Code moved out of a deleted file into another file is not new code (parse-server 2d79c083 in the
second held-out sample: `request.js` took the body of the deleted `HTTPResponse.js`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.gitrepo import GitRepo
from tests.test_cli import mochi

MOVED = (
    "export function respond(res, body) {\n"
    "  console.log('responding with a body of length', body.length, 'to', res.url);\n"
    "  return res.send(body);\n"
    "}\n"
)


@pytest.mark.slow
def test_lines_moved_from_a_deleted_file_are_not_findings(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write(".mochi.toml", '[rules."js.console-log"]\nenabled = true\n')  # opt-in: the case's rule
    repo.write("src/cloud-code/HTTPResponse.js", MOVED)
    repo.write("src/request.js", "export const TIMEOUT = 30;\n")
    repo.commit("base")
    repo.checkout("-b", "move")
    repo.delete("src/cloud-code/HTTPResponse.js")
    repo.write("src/request.js", "export const TIMEOUT = 30;\n\n" + MOVED)
    repo.commit("move the response helper")
    moved = mochi("review", "--provider", "builtin", "--format", "json", cwd=repo.path)
    assert moved.returncode == 0, moved.stderr
    assert [f["rule_id"] for f in json.loads(moved.stdout)["findings"]] == []
    # the same line written anew is a finding
    repo.write("src/request.js", "export const TIMEOUT = 30;\n\n" + MOVED.replace("respond", "reply"))
    repo.commit("a new helper")
    new = json.loads(mochi("review", "--provider", "builtin", "--format", "json", cwd=repo.path).stdout)
    assert "js.console-log" in [f["rule_id"] for f in new["findings"]]


@pytest.mark.slow
def test_a_common_line_that_a_deleted_file_also_had_is_still_new(tmp_path: Path) -> None:
    """eladmin cd85594e (second held-out sample): a new `catch (Exception e) { e.printStackTrace(); }`
    is new code even when a deleted file had the same two lines around other code."""
    old = (
        "package app;\n\npublic class Zip {\n    void unzip() {\n        try {\n            extract();\n"
        "        } catch (Exception e) {\n            e.printStackTrace();\n        }\n    }\n}\n"
    )
    new = (
        "package app;\n\nimport java.nio.file.Path;\n\n/** Copies report files to the archive. */\n"
        "public class Files {\n    private final Path archive;\n\n"
        "    public Files(Path archive) {\n        this.archive = archive;\n    }\n\n"
        "    void copy(Path source) {\n        try {\n            write(source, archive.resolve(source));\n"
        "            flush();\n        } catch (Exception e) {\n            e.printStackTrace();\n        }\n"
        "    }\n}\n"
    )
    repo = GitRepo(tmp_path / "repo")
    repo.write("src/main/java/app/Zip.java", old)
    repo.commit("base")
    repo.checkout("-b", "change")
    repo.delete("src/main/java/app/Zip.java")
    repo.write("src/main/java/app/Files.java", new)
    repo.commit("files instead of zip")
    run = mochi("review", "--provider", "builtin", "--format", "json", cwd=repo.path)
    assert run.returncode == 0, run.stderr
    assert "java.print-stack-trace" in [f["rule_id"] for f in json.loads(run.stdout)["findings"]]
