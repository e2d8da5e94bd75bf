"""FakeGitHub: the GitHub REST endpoints mochi uses, on loopback, backed by a real git repository.

Routes, request schemas and response templates all come from GitHub's own OpenAPI description
(tests/fixtures/github/openapi-subset.json). Every request body is validated against its
operation's request schema (a violation answers 422 in GitHub's validation-error shape and is
recorded in `violations`), every response is built from the operation's example and validated
against its response schema, and a review comment on a line outside the PR's diff answers 422
like GitHub. Diffs (`pulls/N/files`, `compare/A...B`) are computed with git from `repo_path`.

    with FakeGitHub.start(repo_path, "octo/app") as gh:
        gh.add_pull(7, base_ref="main", base_sha=..., head_sha=..., head_ref="feature")
        ... GITHUB_API_URL=gh.url ...
        gh.reviews, gh.review_comments, gh.issue_comments, gh.check_runs
        gh.enqueue("create-review", Reply(429, {...}, headers={"retry-after": "1"}))   # one failure

As a GitHub App: `gh.set_app(app_id, public_key_pem, installations=(1, 2))` makes POST
/app/installations/{id}/access_tokens verify the App's JWT (RS256 with that public key; iss, iat,
exp checked against `clock`) and answer 201 with a new `ghs_` token; `gh.token_requests` lists the
installation id of every request and `gh.installation_tokens` maps each issued token to its
installation. The other routes do not check `Authorization` (any token, an installation's too, is
accepted).
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import string
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema

from tests.fakes.http_fake import FakeService, Reply, Request, now_iso
from tests.fixtures_path import FIXTURES as ALL_FIXTURES

FIXTURES = ALL_FIXTURES / "github"
SPEC = json.loads((FIXTURES / "openapi-subset.json").read_text())
OPERATIONS: dict[str, dict[str, Any]] = SPEC["operations"]
DOCS = "https://docs.github.com/rest"
BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
HUMAN = {"login": "octocat", "id": 1, "type": "User"}


def _pattern(path: str) -> re.Pattern[str]:
    # GitHub's {path} (repos/get-content) spans directories; every other parameter is one segment
    regex = re.sub(r"\{(\w+)\}", lambda m: f"(?P<{m[1]}>{'.+' if m[1] == 'path' else '[^/]+?'})", path)
    return re.compile("^" + regex + "$")


_ROUTES = [(op["method"], _pattern(op["path"]), op_id) for op_id, op in OPERATIONS.items()]


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def git_files(repo: Path, base: str, head: str) -> list[dict[str, Any]]:
    """GitHub's file entries for base..head, computed with git (status, patch, previous_filename)."""
    out = _git(repo, "diff", "--no-color", "--no-ext-diff", "-M", "--full-index", f"{base}..{head}")
    entries: list[dict[str, Any]] = []
    for block in re.split(r"(?m)^diff --git ", out)[1:]:
        lines = block.split("\n")
        header = [ln for ln in lines if not ln.startswith("@@")]
        minus = next((ln[4:] for ln in header if ln.startswith("--- ")), "/dev/null")
        plus = next((ln[4:] for ln in header if ln.startswith("+++ ")), "/dev/null")
        old = minus[2:] if minus != "/dev/null" else None
        new = plus[2:] if plus != "/dev/null" else None
        rename_from = next((ln[12:] for ln in lines if ln.startswith("rename from ")), None)
        rename_to = next((ln[10:] for ln in lines if ln.startswith("rename to ")), None)
        name = new or rename_to or old or ""
        first = next((i for i, ln in enumerate(lines) if ln.startswith("@@")), None)
        patch = "\n".join(lines[first:]).rstrip("\n") if first is not None else None
        status = "added" if old is None and not rename_from else "removed" if new is None else "modified"
        if rename_from:
            status, old = "renamed", rename_from
            name = rename_to or name
        binary = any(ln.startswith("Binary files") for ln in lines)
        adds = sum(1 for ln in (patch or "").split("\n") if ln.startswith("+"))
        dels = sum(1 for ln in (patch or "").split("\n") if ln.startswith("-"))
        entry: dict[str, Any] = {
            "sha": "0" * 40,
            "filename": name,
            "status": status,
            "additions": adds,
            "deletions": dels,
            "changes": adds + dels,
            "blob_url": f"https://github.com/x/y/blob/h/{name}",
            "raw_url": f"https://github.com/x/y/raw/h/{name}",
            "contents_url": f"https://api.github.com/repos/x/y/contents/{name}",
        }
        if patch and not binary:
            entry["patch"] = patch
        if status == "renamed":
            entry["previous_filename"] = old
        entries.append(entry)
    return entries


def diff_lines(files: list[dict[str, Any]]) -> dict[tuple[str, str], list[set[int]]]:
    """(path, side) -> the line numbers of each hunk GitHub allows comments on."""
    result: dict[tuple[str, str], list[set[int]]] = {}
    for f in files:
        old_no = new_no = 0
        right: set[int] = set()
        left: set[int] = set()
        for line in (f.get("patch") or "").split("\n"):
            m = re.match(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@", line)
            if m:
                if right or left:
                    result.setdefault((f["filename"], "RIGHT"), []).append(right)
                    result.setdefault((f["filename"], "LEFT"), []).append(left)
                old_no, new_no, right, left = int(m.group(1)), int(m.group(2)), set(), set()
                continue
            if line.startswith("+"):
                right.add(new_no)
                new_no += 1
            elif line.startswith("-"):
                left.add(old_no)
                old_no += 1
            elif line.startswith(" ") or line == "":
                right.add(new_no)
                left.add(old_no)
                new_no += 1
                old_no += 1
        if right or left:
            result.setdefault((f["filename"], "RIGHT"), []).append(right)
            result.setdefault((f["filename"], "LEFT"), []).append(left)
    return result


def app_key_pair() -> tuple[str, str]:
    """(private PEM, public PEM) of a new RSA key, as GitHub hands out a GitHub App's
    ("BEGIN RSA PRIVATE KEY"); give the public half to `set_app`."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


_VALIDATORS: dict[int, Any] = {}


def _validate(instance: Any, schema: Any) -> None:
    """jsonschema.validate with one compiled validator per schema: validate() checks the schema
    itself on every call, ~0.9 s of CPU for GitHub's pull request schema (every pulls/get)."""
    validator = _VALIDATORS.get(id(schema))
    if validator is None:  # the schemas live in the module's operations for the whole run: id() is stable
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        validator = _VALIDATORS[id(schema)] = cls(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise error


class FakeGitHub(FakeService):
    """GitHub's REST API for one repository (see the module docstring)."""

    endpoints = tuple(OPERATIONS)

    def __init__(self, repo_path: Path, full_name: str = "octo/app", *, user: dict[str, Any] | None = None):
        super().__init__()
        self.repo_path = Path(repo_path)
        self.full_name = full_name
        self.pulls: dict[int, dict[str, Any]] = {}
        self.reviews: list[dict[str, Any]] = []
        self.review_comments: list[dict[str, Any]] = []
        self.resolved: set[int] = set()  # ids of review comments whose thread a reviewer resolved
        self.issue_comments: list[dict[str, Any]] = []
        self.check_runs: dict[int, dict[str, Any]] = {}
        self.check_run_updates: list[dict[str, Any]] = []
        self.violations: list[str] = []
        self.content_reads: list[str] = []  # paths read through repos/get-content
        self.user = user  # None: GET /user answers 403 like the Actions GITHUB_TOKEN
        self.checks_forbidden = False
        self.next_id = 1000
        self.app: dict[str, Any] | None = None  # set_app(): the GitHub App whose JWTs are accepted
        self.token_requests: list[int] = []  # installation id of each access_tokens request
        self.installation_tokens: dict[str, int] = {}  # issued token -> installation id

    # ------------------------------------------------------------------ scripting

    def add_pull(
        self,
        number: int,
        *,
        base_ref: str,
        base_sha: str,
        head_sha: str,
        head_ref: str = "feature",
        title: str = "A change",
        body: str = "",
        draft: bool = False,
        state: str = "open",
        labels: tuple[str, ...] = (),
    ) -> None:
        """Declare pull request `number` (its diff is base_sha's merge-base with head_sha..head_sha)."""
        self.pulls[number] = dict(
            base_ref=base_ref,
            base_sha=base_sha,
            head_sha=head_sha,
            head_ref=head_ref,
            title=title,
            body=body,
            draft=draft,
            state=state,
            labels=labels,
        )

    def set_app(
        self,
        app_id: str,
        public_key_pem: str,
        *,
        installations: tuple[int, ...] = (1,),
        permissions: dict[str, str] | None = None,
        token_ttl_s: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Accept JWTs of GitHub App `app_id` signed with the private half of `public_key_pem`."""
        self.app = dict(
            app_id=str(app_id),
            public_key=public_key_pem,
            installations=set(installations),
            permissions=permissions
            or {"contents": "read", "pull_requests": "write", "checks": "write", "issues": "write"},
            token_ttl_s=token_ttl_s,
            clock=clock,
        )

    def pull_files(self, number: int) -> list[dict[str, Any]]:
        pr = self.pulls[number]
        mb = _git(self.repo_path, "merge-base", pr["base_sha"], pr["head_sha"]).strip()
        return git_files(self.repo_path, mb, pr["head_sha"])

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    # ------------------------------------------------------------------ plumbing

    def _route(self, request: Request) -> Callable[[Request], Reply] | None:
        path = request.path
        if request.method == "POST" and path in ("/graphql", "/api/graphql"):
            return self._graphql
        for method, pattern, op_id in _ROUTES:
            m = pattern.match(path)
            if method == request.method and m:
                args = m.groupdict()
                return lambda req, op_id=op_id, args=args: self._operation(op_id, req, args)
        return None

    def _operation(self, op_id: str, request: Request, args: dict[str, str]) -> Reply:
        op = OPERATIONS[op_id]
        scripted = self._next(op_id)
        if scripted is not None and not scripted.after_applying:
            return scripted
        if f"{args.get('owner')}/{args.get('repo')}" != self.full_name and "owner" in args:
            return Reply(404, {"message": "Not Found", "documentation_url": DOCS})
        body_spec = op.get("requestBody") or {}
        schema = body_spec.get("schema")
        optional_and_absent = request.body is None and not body_spec.get("required")
        if schema is not None and not optional_and_absent:
            try:
                _validate(request.body, schema)
            except jsonschema.ValidationError as exc:
                self.violations.append(f"{op_id}: {exc.message}")
                return Reply(
                    422,
                    {
                        "message": "Invalid request.",
                        "errors": [{"code": "invalid", "message": exc.message}],
                        "documentation_url": DOCS,
                    },
                )
        handler = getattr(self, "_" + op_id.replace("/", "_").replace("-", "_"), None)
        if handler is None:
            return Reply(
                501, {"message": f"FakeGitHub does not implement {op_id}", "documentation_url": DOCS}
            )
        reply: Reply = handler(request, args)
        if reply.status < 300:
            self._check_response(op_id, reply)
        return scripted if scripted is not None else reply

    def _check_response(self, op_id: str, reply: Reply) -> None:
        responses = OPERATIONS[op_id]["responses"]
        spec = responses.get(str(reply.status)) or {}
        if "schema" in spec:
            try:
                _validate(reply.body, spec["schema"])
            except jsonschema.ValidationError as exc:
                self.violations.append(f"response of {op_id}: {exc.message}")

    def _template(self, op_id: str) -> Any:
        responses = OPERATIONS[op_id]["responses"]
        code = next(c for c in responses if c.startswith("2"))
        example = copy.deepcopy(responses[code].get("example"))
        return example[0] if isinstance(example, list) else example

    def _page(self, request: Request, items: list[Any]) -> Reply:
        per_page = int(request.query.get("per_page", 30))
        page = int(request.query.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            headers["link"] = f'<{self.url}{request.path}?per_page={per_page}&page={page + 1}>; rel="next"'
        return Reply(200, chunk, headers=headers)

    def _pull_json(self, number: int) -> dict[str, Any]:
        pr = self.pulls[number]
        data = self._template("pulls/get")
        data.update(
            number=number,
            state=pr["state"],
            draft=pr["draft"],
            title=pr["title"],
            body=pr["body"],
            html_url=f"https://github.com/{self.full_name}/pull/{number}",
        )
        data["labels"] = (
            [dict(data["labels"][0], name=name) for name in pr["labels"]] if data["labels"] else []
        )
        data["head"].update(sha=pr["head_sha"], ref=pr["head_ref"])
        data["base"].update(sha=pr["base_sha"], ref=pr["base_ref"])
        return dict(data)

    def _user(self, who: dict[str, Any]) -> dict[str, Any]:
        user = self._template("users/get-authenticated")
        base = {
            k: user[k]
            for k in (
                "login",
                "id",
                "node_id",
                "avatar_url",
                "gravatar_id",
                "url",
                "html_url",
                "followers_url",
                "following_url",
                "gists_url",
                "starred_url",
                "subscriptions_url",
                "organizations_url",
                "repos_url",
                "events_url",
                "received_events_url",
                "type",
                "site_admin",
            )
        }
        return dict(base, **who)

    def _me(self) -> dict[str, Any]:
        return self._user(self.user or BOT)

    # ------------------------------------------------------------------ operations

    def _users_get_authenticated(self, request: Request, args: dict[str, str]) -> Reply:
        if self.user is None:
            return Reply(
                403, {"message": "Resource not accessible by integration", "documentation_url": DOCS}
            )
        return Reply(200, dict(self._template("users/get-authenticated"), **self.user))

    def _pulls_get(self, request: Request, args: dict[str, str]) -> Reply:
        number = int(args["pull_number"])
        if number not in self.pulls:
            return Reply(404, {"message": "Not Found", "documentation_url": DOCS})
        return Reply(200, self._pull_json(number))

    def _repos_get_content(self, request: Request, args: dict[str, str]) -> Reply:
        """A file's content at `ref` (base64), as GitHub's contents API answers for a file."""
        ref = request.query.get("ref") or "HEAD"
        path = args["path"]
        self.content_reads.append(path)
        proc = subprocess.run(
            ["git", "cat-file", "blob", f"{ref}:{path}"], cwd=self.repo_path, capture_output=True, check=False
        )
        if proc.returncode != 0:
            return Reply(404, {"message": "Not Found", "documentation_url": DOCS})
        data = self._template("repos/get-content") or {}
        if not isinstance(data, dict) or data.get("type") != "file":
            data = {}
        data.update(
            type="file",
            encoding="base64",
            size=len(proc.stdout),
            name=path.rsplit("/", 1)[-1],
            path=path,
            content=base64.b64encode(proc.stdout).decode("ascii"),
        )
        return Reply(200, data)

    def _pulls_list_files(self, request: Request, args: dict[str, str]) -> Reply:
        return self._page(request, self.pull_files(int(args["pull_number"])))

    def _repos_compare_commits_with_basehead(self, request: Request, args: dict[str, str]) -> Reply:
        base, _, head = args["basehead"].partition("...")
        try:
            mb = _git(self.repo_path, "merge-base", base, head).strip()
        except subprocess.CalledProcessError:
            return Reply(404, {"message": "Not Found", "documentation_url": DOCS})
        data = self._template("repos/compare-commits-with-basehead")
        ahead = mb == _git(self.repo_path, "rev-parse", base).strip()
        data.update(
            status="ahead" if ahead else "diverged", files=git_files(self.repo_path, mb, head), commits=[]
        )
        return Reply(200, data)

    def _pulls_list_review_comments(self, request: Request, args: dict[str, str]) -> Reply:
        number = int(args["pull_number"])
        return self._page(request, [c for c in self.review_comments if c["_pr"] == number])

    def _pulls_list_reviews(self, request: Request, args: dict[str, str]) -> Reply:
        number = int(args["pull_number"])
        return self._page(request, [r for r in self.reviews if r["_pr"] == number])

    def _issues_list_comments(self, request: Request, args: dict[str, str]) -> Reply:
        number = int(args["issue_number"])
        return self._page(request, [c for c in self.issue_comments if c["_issue"] == number])

    def _graphql(self, request: Request) -> Reply:
        """GitHub's GraphQL API, for the one query mochi sends: a PR's review threads, resolved or not.

        The answer has the shape of GitHub's schema (PullRequest.reviewThreads: PullRequestReviewThread
        with isResolved and comments.nodes.databaseId)."""
        body = request.body if isinstance(request.body, dict) else {}
        query, variables = str(body.get("query") or ""), body.get("variables") or {}
        if "reviewThreads" not in query or not {"owner", "name", "number"} <= set(variables):
            self.violations.append(f"graphql: unexpected query {query[:80]!r} {variables!r}")
            return Reply(200, {"errors": [{"message": "Field doesn't exist"}]})
        threads: dict[int, list[int]] = {}
        for c in self.review_comments:
            if c["_pr"] == int(variables["number"]):
                root = c.get("in_reply_to_id") or c["id"]
                threads.setdefault(int(root), []).append(int(c["id"]))
        nodes = [
            {"isResolved": root in self.resolved, "comments": {"nodes": [{"databaseId": i} for i in ids]}}
            for root, ids in threads.items()
        ]
        page = {"hasNextPage": False, "endCursor": None}
        data = {"repository": {"pullRequest": {"reviewThreads": {"pageInfo": page, "nodes": nodes}}}}
        return Reply(200, {"data": data})

    def _pulls_list_comments_for_review(self, request: Request, args: dict[str, str]) -> Reply:
        review_id = int(args["review_id"])
        items = [
            {k: v for k, v in c.items() if k != "_pr"}
            for c in self.review_comments
            if c.get("pull_request_review_id") == review_id
        ]
        return self._page(request, items)

    def _pulls_create_review(self, request: Request, args: dict[str, str]) -> Reply:
        number = int(args["pull_number"])
        body = request.body or {}
        allowed = diff_lines(self.pull_files(number))
        for c in body.get("comments") or []:
            hunks = allowed.get((c["path"], c.get("side", "RIGHT")), [])
            lines = {c.get("line")} | ({c["start_line"]} if c.get("start_line") else set())
            if not any(lines <= h for h in hunks):
                return Reply(
                    422,
                    {
                        "message": "Unprocessable Entity",
                        "errors": ["Pull request review thread line must be part of the diff"],
                        "documentation_url": f"{DOCS}/pulls/reviews#create-a-review-for-a-pull-request",
                        "status": "422",
                    },
                )
        review_id = self._id()
        review = self._template("pulls/create-review")
        review.update(
            id=review_id,
            body=body.get("body", ""),
            user=self._me(),
            commit_id=body.get("commit_id"),
            state="COMMENTED" if body.get("event") == "COMMENT" else "CHANGES_REQUESTED",
            html_url=f"https://github.com/{self.full_name}/pull/{number}#pullrequestreview-{review_id}",
        )
        for c in body.get("comments") or []:
            comment = self._template("pulls/list-review-comments")
            comment_id = self._id()
            comment.update(
                id=comment_id,
                html_url=f"https://github.com/{self.full_name}/pull/{number}#discussion_r{comment_id}",
                pull_request_review_id=review_id,
                path=c["path"],
                line=c.get("line"),
                side=c.get("side", "RIGHT"),
                start_line=c.get("start_line"),
                body=c["body"],
                user=self._me(),
                commit_id=body.get("commit_id"),
            )
            comment.pop("in_reply_to_id", None)  # GitHub sends it only on replies (it is not nullable)
            comment["_pr"] = number
            self.review_comments.append(comment)
        review["_pr"] = number
        self.reviews.append(review)
        return Reply(200, {k: v for k, v in review.items() if k != "_pr"})

    def _issues_create_comment(self, request: Request, args: dict[str, str]) -> Reply:
        comment = self._template("issues/create-comment")
        cid = self._id()
        comment.update(
            id=cid,
            body=request.body["body"],
            user=self._me(),
            html_url=f"https://github.com/{self.full_name}/pull/{args['issue_number']}#issuecomment-{cid}",
        )
        comment["_issue"] = int(args["issue_number"])
        self.issue_comments.append(comment)
        return Reply(201, {k: v for k, v in comment.items() if k != "_issue"})

    def _issues_update_comment(self, request: Request, args: dict[str, str]) -> Reply:
        for c in self.issue_comments:
            if c["id"] == int(args["comment_id"]):
                c["body"] = request.body["body"]
                c["updated_at"] = now_iso()
                return Reply(200, {k: v for k, v in c.items() if k != "_issue"})
        return Reply(404, {"message": "Not Found", "documentation_url": DOCS})

    def _checks_list_for_ref(self, request: Request, args: dict[str, str]) -> Reply:
        runs = [
            {k: v for k, v in r.items() if k != "_annotations"}
            for r in self.check_runs.values()
            if r["head_sha"] == args["ref"] and request.query.get("check_name") in (None, r["name"])
        ]
        return Reply(200, {"total_count": len(runs), "check_runs": runs})

    def _checks_create(self, request: Request, args: dict[str, str]) -> Reply:
        if self.checks_forbidden:
            return Reply(
                403, {"message": "Resource not accessible by integration", "documentation_url": DOCS}
            )
        run = self._template("checks/create")
        rid = self._id()
        run.update(
            id=rid,
            name=request.body["name"],
            head_sha=request.body["head_sha"],
            status=request.body.get("status", "queued"),
            conclusion=None,
            html_url=f"https://github.com/{self.full_name}/runs/{rid}",
        )
        run["_annotations"] = []
        self.check_runs[rid] = run
        return Reply(201, {k: v for k, v in run.items() if k != "_annotations"})

    def _checks_get(self, request: Request, args: dict[str, str]) -> Reply:
        run = self.check_runs.get(int(args["check_run_id"]))
        if run is None:
            return Reply(404, {"message": "Not Found", "documentation_url": DOCS})
        return Reply(200, {k: v for k, v in run.items() if k != "_annotations"})

    def _checks_update(self, request: Request, args: dict[str, str]) -> Reply:
        run = self.check_runs.get(int(args["check_run_id"]))
        if run is None:
            return Reply(404, {"message": "Not Found", "documentation_url": DOCS})
        body = request.body
        self.check_run_updates.append(body)
        run["_annotations"] += (body.get("output") or {}).get("annotations") or []
        for key in ("status", "conclusion", "completed_at"):
            if key in body:
                run[key] = body[key]
        if "output" in body:
            run["output"].update(
                title=body["output"].get("title"),
                summary=body["output"].get("summary"),
                annotations_count=len(run["_annotations"]),
            )
        return Reply(200, {k: v for k, v in run.items() if k != "_annotations"})

    def _apps_create_installation_access_token(self, request: Request, args: dict[str, str]) -> Reply:
        """An installation token for the App whose JWT signs the request (GitHub's checks and messages)."""
        import jwt  # PyJWT, the `secrets` extra: only the App tests need it

        installation_id = int(args["installation_id"])
        with self._lock:
            self.token_requests.append(installation_id)
        app = self.app
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if app is None or scheme.lower() != "bearer" or not token:
            return Reply(401, {"message": "A JSON web token could not be decoded", "documentation_url": DOCS})
        try:
            claims = jwt.decode(
                token,
                app["public_key"],
                algorithms=["RS256"],
                options={"verify_exp": False, "verify_iat": False, "require": ["iat", "exp", "iss"]},
            )
        except jwt.InvalidTokenError:
            return Reply(401, {"message": "A JSON web token could not be decoded", "documentation_url": DOCS})
        now = app["clock"]()
        problem = None
        if str(claims["iss"]) != app["app_id"]:
            problem = "'Issuer' claim ('iss') must be the ID of the GitHub App"
        elif not isinstance(claims["iat"], int) or claims["iat"] > now + 1:
            problem = "'Issued at' claim ('iat') must be an Integer representing a time in the past"
        elif not isinstance(claims["exp"], int) or claims["exp"] <= now:
            problem = (
                "'Expiration time' claim ('exp') must be a numeric value representing the future time "
                "at which the assertion expires"
            )
        elif claims["exp"] > now + 600:
            problem = "'Expiration time' claim ('exp') is too far in the future"
        if problem:
            return Reply(401, {"message": problem, "documentation_url": DOCS})
        if installation_id not in app["installations"]:
            return Reply(404, {"message": "Not Found", "documentation_url": DOCS})
        alphabet = string.ascii_letters + string.digits
        issued = "ghs_" + "".join(secrets.choice(alphabet) for _ in range(36))
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + app["token_ttl_s"]))
        data = self._template("apps/create-installation-access-token")
        data.pop("repositories", None)  # only when the installation is limited to selected repositories
        data.update(
            token=issued,
            expires_at=expires,
            permissions=dict(app["permissions"]),
            repository_selection="all",
        )
        with self._lock:
            self.installation_tokens[issued] = installation_id
        return Reply(201, data)
