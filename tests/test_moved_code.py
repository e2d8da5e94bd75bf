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
