"""FakeGitLab: the merge request endpoints of GitLab's REST API v4 on loopback.

Response shapes follow GitLab's API docs (merge request versions, diffs, discussions, notes, draft
notes, repository compare). Like GitLab, it checks every position against the version's diff and
answers a position that names no diff line with 400 and GitLab's own body:
`{"message": "400 Bad request - Note {:line_code=>[\"can't be blank\", \"must be a valid line code\"]}"}`.

Its diff reading is written from GitLab's diff parser, independently of mochi's: each hunk line
gets an old and a new counter, an added line has no old_line, a deleted line no new_line, and
a line code is `<sha1(new_path)>_<old counter>_<new counter>`.

Build merge requests from real git repositories with `entries_from_git(repo, base, head)`.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from tests.fakes.http_fake import FakeService, Reply, Request, now_iso
from tests.gitrepo import GitRepo

LINE_CODE_ERROR = {
    "message": '400 Bad request - Note {:line_code=>["can\'t be blank", "must be a valid line code"]}'
}
_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_MR = re.compile(r"^/api/v4/projects/(?P<project>[^/]+)/merge_requests/(?P<iid>\d+)(?P<rest>/.*)?$")
_COMPARE = re.compile(r"^/api/v4/projects/(?P<project>[^/]+)/repository/compare$")
_MEMBERS = re.compile(r"^/api/v4/projects/(?P<project>[^/]+)/members/all$")
_RAW_FILE = re.compile(r"^/api/v4/projects/(?P<project>[^/]+)/repository/files/(?P<path>[^/]+)/raw$")


@dataclass
class DiffLine:
    type: str | None  # "new" (added), "old" (deleted), None (context)
    old_line: int | None
    new_line: int | None
    line_code: str


@dataclass
class Version:
    id: int
    base: str
    start: str
    head: str
    entries: list[dict[str, Any]]


@dataclass
class MergeRequest:
    iid: int
    versions: list[Version] = field(default_factory=list)
    discussions: list[dict[str, Any]] = field(default_factory=list)
    drafts: list[dict[str, Any]] = field(default_factory=list)
    title: str = "A merge request"
    # what GET /merge_requests/:iid says besides the latest version's commits
    state: str = "opened"  # opened, closed, locked, merged
    source_branch: str = "feature"
    target_branch: str = "main"
    description: str = ""
    draft: bool = False


def gitlab_lines(new_path: str, diff: str) -> list[DiffLine]:
    """The diff lines of one file entry, numbered as GitLab's diff parser numbers them."""
    sha = hashlib.sha1(new_path.encode("utf-8")).hexdigest()
    out: list[DiffLine] = []
    old = new = 0
    for raw in diff.split("\n"):
        if m := _HUNK.match(raw):
            old, new = int(m.group(1)), int(m.group(2))
            continue
        if not raw or raw.startswith("\\"):
            continue
        code = f"{sha}_{old}_{new}"
        if raw[0] == "+":
            out.append(DiffLine("new", None, new, code))
            new += 1
        elif raw[0] == "-":
            out.append(DiffLine("old", old, None, code))
            old += 1
        else:
            out.append(DiffLine(None, old, new, code))
            old, new = old + 1, new + 1
    return out


def entries_from_git(repo: GitRepo, base: str, head: str) -> list[dict[str, Any]]:
    """GitLab diff entries (old_path, new_path, modes, flags, diff = the hunks) from `git diff`."""
    text = repo.run("diff", "-M", "--no-color", "--full-index", base, head)
    entries: list[dict[str, Any]] = []
    for block in re.split(r"^(?=diff --git )", text, flags=re.MULTILINE):
        if not block.startswith("diff --git "):
            continue
        header, _, hunks = block.partition("\n@@")
        lines = header.split("\n")
        entry: dict[str, Any] = {
            "a_mode": "100644",
            "b_mode": "100644",
            "new_file": False,
            "renamed_file": False,
            "deleted_file": False,
            "generated_file": False,
        }
        m = re.match(r"diff --git a/(.*) b/(.*)$", lines[0])
        assert m, lines[0]
        entry["old_path"], entry["new_path"] = m.group(1), m.group(2)
        for ln in lines[1:]:
            if ln.startswith("new file mode "):
                entry["new_file"], entry["a_mode"], entry["b_mode"] = True, "0", ln.split()[-1]
            elif ln.startswith("deleted file mode "):
                entry["deleted_file"], entry["a_mode"], entry["b_mode"] = True, ln.split()[-1], "0"
            elif ln.startswith("rename from "):
                entry["renamed_file"], entry["old_path"] = True, ln[len("rename from ") :]
            elif ln.startswith("rename to "):
                entry["new_path"] = ln[len("rename to ") :]
        entry["diff"] = ("@@" + hunks) if hunks else ""
        entries.append(entry)
    return entries


class FakeGitLab(FakeService):
    """Merge requests of one project; `token` is the only PRIVATE-TOKEN it accepts.

    Endpoints with a queue ("versions", "diffs", "discussions", "notes", "merge_request") answer a
    scripted Reply first when one is queued (429s, 5xx), then normally. `project_path` is the
    project's path_with_namespace (in the merge requests' web_url).
    """

    endpoints = ("versions", "diffs", "discussions", "post_discussion", "notes", "compare", "merge_request")

    def __init__(
        self,
        *,
        token: str = "glpat-test-token",
        project_id: str = "42",
        per_page_max: int = 100,
        project_path: str = "group/app",
    ) -> None:
        super().__init__()
        self.token = token
        self.project_id = project_id
        self.project_path = project_path
        self.per_page_max = per_page_max
        self.mrs: dict[int, MergeRequest] = {}
        self.compares: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.rejected_positions: list[dict[str, Any]] = []
        self.files: dict[tuple[str, str], str] = {}  # (ref, path) -> content, for repository/files
        self.file_reads: list[str] = []
        # username -> access level (10 guest, 20 reporter, 30 developer, 40 maintainer, 50 owner)
        self.members: dict[str, int] = {"root": 50}
        self._ids = itertools.count(1000)
        self._state = threading.Lock()

    # ------------------------------------------------------------------ test set-up and inspection

    def push_version(
        self, iid: int, *, base: str, start: str, head: str, entries: list[dict[str, Any]]
    ) -> None:
        """A new diff version of merge request `iid` (created when new), as a push makes one."""
        with self._state:
            mr = self.mrs.setdefault(iid, MergeRequest(iid=iid))
            mr.versions.append(
                Version(id=next(self._ids), base=base, start=start, head=head, entries=entries)
            )

    def add_files(self, repo: GitRepo, ref: str) -> None:
        """Serve every file of `repo` at commit `ref` through `repository/files/:path/raw`."""
        names = repo.run("ls-tree", "-r", "--name-only", ref).split("\n")
        for name in filter(None, names):
            self.files[(ref, name)] = repo.run("show", f"{ref}:{name}")

    def add_compare(self, from_sha: str, to_sha: str, entries: list[dict[str, Any]]) -> None:
        self.compares[(from_sha, to_sha)] = entries

    def notes(self, iid: int) -> list[dict[str, Any]]:
        """Every note of the merge request, in order."""
        return [n for d in self.mrs[iid].discussions for n in d["notes"]]

    def diff_notes(self, iid: int) -> list[dict[str, Any]]:
        return [n for n in self.notes(iid) if n["type"] == "DiffNote"]

    # ------------------------------------------------------------------ routing

    def _route(self, request: Request) -> Callable[[Request], Reply] | None:
        if request.headers.get("private-token") != self.token:
            return lambda _r: Reply(401, {"message": "401 Unauthorized"})
        if (f := _RAW_FILE.match(request.path)) and request.method == "GET":
            return self._raw_file if f.group("project") == self.project_id else None
        if (mm := _MEMBERS.match(request.path)) and request.method == "GET":
            return self._members if mm.group("project") == self.project_id else None
        if m := _COMPARE.match(request.path):
            return self._compare if m.group("project") == self.project_id else None
        m = _MR.match(request.path)
        if m is None or m.group("project") != self.project_id:
            return lambda _r: Reply(404, {"message": "404 Project Not Found"})
        mr = self.mrs.get(int(m.group("iid")))
        if mr is None:
            return lambda _r: Reply(404, {"message": "404 Not found"})
        rest = m.group("rest") or ""
        routes: dict[tuple[str, str], Callable[[MergeRequest, Request], Reply]] = {
            ("GET", ""): self._show,
            ("GET", "/versions"): self._versions,
            ("GET", "/diffs"): self._diffs,
            ("GET", "/discussions"): self._list_discussions,
            ("POST", "/discussions"): self._create_discussion,
            ("POST", "/notes"): self._create_note,
            ("GET", "/draft_notes"): self._list_drafts,
            ("POST", "/draft_notes"): self._create_draft,
            ("POST", "/draft_notes/bulk_publish"): self._bulk_publish,
        }
        handler = routes.get((request.method, rest))
        if handler is None and request.method == "PUT" and (n := re.fullmatch(r"/notes/(\d+)", rest)):
            return lambda r: self._scripted("notes", r) or self._update_note(mr, int(n.group(1)), r)
        if handler is None:
            return None
        queue = {"/versions": "versions", "/diffs": "diffs", "/notes": "notes", "": "merge_request"}.get(rest)
        if rest == "/discussions":
            queue = "discussions" if request.method == "GET" else "post_discussion"

        def answer(r: Request) -> Reply:
            scripted = self._scripted(queue, r) if queue else None
            if scripted is None:
                return handler(mr, r)
            if scripted.after_applying:  # applied, then a proxy's 5xx instead of GitLab's answer
                handler(mr, r)
            return scripted

        return answer

    def _members(self, request: Request) -> Reply:
        """GET /projects/:id/members/all?query=: GitLab's member shape, filtered like GitLab does
        (a substring of the username or name)."""
        query = (request.query.get("query") or "").lower()
        found = [
            {"id": 100 + i, "username": name, "name": name.title(), "state": "active", "access_level": level,
             "web_url": f"https://gitlab.example.com/{name}", "avatar_url": None, "expires_at": None}
            for i, (name, level) in enumerate(sorted(self.members.items()))
            if query in name.lower()
        ]  # fmt: skip
        return self._page(request, found)

    def _scripted(self, endpoint: str, _request: Request) -> Reply | None:
        return self._next(endpoint)

    # ------------------------------------------------------------------ endpoints

    def _page(self, request: Request, items: list[Any]) -> Reply:
        page = int(request.query.get("page") or 1)
        per_page = min(int(request.query.get("per_page") or 20), self.per_page_max)
        total_pages = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {
            "x-page": str(page),
            "x-per-page": str(per_page),
            "x-total": str(len(items)),
            "x-total-pages": str(total_pages),
            "x-next-page": str(page + 1) if page < total_pages else "",
        }
        return Reply(200, chunk, headers=headers)

    def _show(self, mr: MergeRequest, _r: Request) -> Reply:
        """GET /projects/:id/merge_requests/:iid: the merge request, in the shape GitLab's API documents
        (the fields a client reads; `sha` and `diff_refs` are the latest version's commits)."""
        latest = mr.versions[-1] if mr.versions else None
        # GitLab answers with the numeric id even when the project was named by its path (group%2Fapp)
        project = int(self.project_id) if self.project_id.isdigit() else 42
        web_url = f"{self.url}/{self.project_path}/-/merge_requests/{mr.iid}"
        body = {
            "id": mr.iid + 10000,
            "iid": mr.iid,
            "project_id": project,
            "title": mr.title,
            "description": mr.description,
            "state": mr.state,
            "created_at": now_iso(),
            "updated_at": now_iso(),
            "merged_at": None,
            "closed_at": None,
            "target_branch": mr.target_branch,
            "source_branch": mr.source_branch,
            "source_project_id": project,
            "target_project_id": project,
            "author": {"id": 1, "username": "root", "name": "Administrator", "state": "active"},
            "draft": mr.draft,
            "work_in_progress": mr.draft,
            "merge_status": "can_be_merged",
            "detailed_merge_status": "mergeable",
            "sha": latest.head if latest else None,
            "merge_commit_sha": None,
            "squash_commit_sha": None,
            "user_notes_count": sum(len(d["notes"]) for d in mr.discussions),
            "references": {
                "short": f"!{mr.iid}",
                "relative": f"!{mr.iid}",
                "full": f"{self.project_path}!{mr.iid}",
            },
            "reference": f"!{mr.iid}",
            "web_url": web_url,
            "diff_refs": (
                {"base_sha": latest.base, "head_sha": latest.head, "start_sha": latest.start}
                if latest
                else None
            ),
            "changes_count": str(len(latest.entries)) if latest else None,
        }
        return Reply(200, body)

    def _versions(self, mr: MergeRequest, _r: Request) -> Reply:
        body = [
            {
                "id": v.id,
                "head_commit_sha": v.head,
                "base_commit_sha": v.base,
                "start_commit_sha": v.start,
                "created_at": now_iso(),
                "merge_request_id": mr.iid + 10000,
                "state": "collected",
                "real_size": str(len(v.entries)),
                "patch_id_sha": None,
            }
            for v in reversed(mr.versions)
        ]
        return Reply(200, body)

    def _diffs(self, mr: MergeRequest, r: Request) -> Reply:
        return self._page(r, mr.versions[-1].entries)

    def _list_discussions(self, mr: MergeRequest, r: Request) -> Reply:
        return self._page(r, mr.discussions)

    def _raw_file(self, r: Request) -> Reply:
        """GET /projects/:id/repository/files/:file_path/raw?ref=: the file's bytes, or 404."""
        m = _RAW_FILE.match(r.path)
        assert m is not None
        path = unquote(m.group("path"))
        self.file_reads.append(path)
        content = self.files.get((r.query.get("ref", ""), path))
        if content is None:
            return Reply(404, {"message": "404 File Not Found"})
        return Reply(200, content)

    def _compare(self, r: Request) -> Reply:
        entries = self.compares.get((r.query.get("from", ""), r.query.get("to", "")))
        if entries is None:
            return Reply(404, {"message": "404 Ref Not Found"})
        return Reply(
            200,
            {
                "commit": None,
                "commits": [],
                "diffs": entries,
                "compare_timeout": False,
                "compare_same_ref": False,
            },
        )

    def _note(self, body: str, position: dict[str, Any] | None) -> dict[str, Any]:
        note: dict[str, Any] = {
            "id": next(self._ids),
            "type": "DiffNote" if position else None,
            "body": body,
            "author": {"id": 7, "username": "project_42_bot", "name": "mochi"},
            "created_at": now_iso(),
            "updated_at": now_iso(),
            "system": False,
            "noteable_type": "MergeRequest",
            "resolvable": bool(position),
            "resolved": False,
        }
        if position:
            note["position"] = position
        return note

    def _create_discussion(self, mr: MergeRequest, r: Request) -> Reply:
        body = r.body if isinstance(r.body, dict) else {}
        if not body.get("body"):
            return Reply(400, {"error": "body is missing"})
        position = body.get("position")
        if position is not None and not self.position_ok(mr, position):
            self.rejected_positions.append(position)
            return Reply(400, LINE_CODE_ERROR)
        note = self._note(body["body"], position)
        discussion = {
            "id": hashlib.sha1(str(note["id"]).encode()).hexdigest(),
            "individual_note": False,
            "notes": [note],
        }
        with self._state:
            mr.discussions.append(discussion)
        return Reply(201, discussion)

    def _create_note(self, mr: MergeRequest, r: Request) -> Reply:
        body = r.body if isinstance(r.body, dict) else {}
        if not body.get("body"):
            return Reply(400, {"error": "body is missing"})
        note = self._note(body["body"], None)
        with self._state:
            mr.discussions.append(
                {
                    "id": hashlib.sha1(str(note["id"]).encode()).hexdigest(),
                    "individual_note": True,
                    "notes": [note],
                }
            )
        return Reply(201, note)

    def _update_note(self, mr: MergeRequest, note_id: int, r: Request) -> Reply:
        body = r.body if isinstance(r.body, dict) else {}
        for note in (n for d in mr.discussions for n in d["notes"]):
            if note["id"] == note_id:
                note["body"], note["updated_at"] = body.get("body", note["body"]), now_iso()
                return Reply(200, note)
        return Reply(404, {"message": "404 Not found"})

    def _list_drafts(self, mr: MergeRequest, r: Request) -> Reply:
        return self._page(r, mr.drafts)

    def _create_draft(self, mr: MergeRequest, r: Request) -> Reply:
        body = r.body if isinstance(r.body, dict) else {}
        position = body.get("position")
        if position is not None and not self.position_ok(mr, position):
            self.rejected_positions.append(position)
            return Reply(400, LINE_CODE_ERROR)
        draft = {
            "id": next(self._ids),
            "author_id": 7,
            "merge_request_id": mr.iid + 10000,
            "resolve_discussion": False,
            "discussion_id": None,
            "note": body.get("note", ""),
            "commit_id": None,
            "line_code": None,
            "position": position,
        }
        with self._state:
            mr.drafts.append(draft)
        return Reply(201, draft)

    def _bulk_publish(self, mr: MergeRequest, _r: Request) -> Reply:
        with self._state:
            for draft in mr.drafts:
                note = self._note(draft["note"], draft["position"])
                mr.discussions.append(
                    {
                        "id": hashlib.sha1(str(note["id"]).encode()).hexdigest(),
                        "individual_note": False,
                        "notes": [note],
                    }
                )
            mr.drafts.clear()
        return Reply(204, None)

    # ------------------------------------------------------------------ GitLab's position check

    def position_ok(self, mr: MergeRequest, position: dict[str, Any]) -> bool:
        """True when `position` names a line of the latest version's diff exactly, as GitLab requires."""
        v = mr.versions[-1]
        if position.get("position_type") != "text":
            return False
        if (position.get("base_sha"), position.get("start_sha"), position.get("head_sha")) != (
            v.base,
            v.start,
            v.head,
        ):
            return False
        entry = next(
            (
                e
                for e in v.entries
                if e["new_path"] == position.get("new_path") and e["old_path"] == position.get("old_path")
            ),
            None,
        )
        if entry is None:
            return False
        lines = gitlab_lines(entry["new_path"], entry["diff"])
        anchor = next(
            (
                ln
                for ln in lines
                if (ln.old_line, ln.new_line) == (position.get("old_line"), position.get("new_line"))
            ),
            None,
        )
        if anchor is None:
            return False
        line_range = position.get("line_range")
        if line_range is None:
            return True
        codes = {ln.line_code: ln for ln in lines}
        ends = [line_range.get("start") or {}, line_range.get("end") or {}]
        found = [codes.get(e.get("line_code", "")) for e in ends]
        if found[0] is None or found[1] is None or found[1] is not anchor:
            return False
        for end, line in zip(ends, found, strict=True):
            assert line is not None
            if end.get("type") != ("new" if line.type == "new" else "old"):
                return False
        return lines.index(found[0]) <= lines.index(found[1])
