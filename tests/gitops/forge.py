"""A loopback stand-in for the forges' REST APIs: the parts of GitHub's and GitLab's that
ci/imgb/ci.py calls, with their pagination (GitHub's Link header, GitLab's X-Next-Page), tokens
and artifact downloads. The tests read what was posted from it, and the CI runner models in
tests/gitops/runner.py record runs, jobs and artifacts into it as the real forges would.

A request for anything else is answered 404 and kept in ``unexpected``, so a workflow that starts
calling an endpoint this stub does not serve fails its test instead of passing by accident.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GITHUB_TOKEN = "ghs-test-token"
GITLAB_TOKEN = "glpat-test-token"
REPO = "acme/images"
PROJECT = "42"


@dataclass
class ForgeState:
    # GitHub
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    run_artifacts: dict[int, dict[str, dict[str, bytes]]] = field(default_factory=dict)
    gh_issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    # GitLab
    mrs: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    commit_mrs: dict[str, list[int]] = field(default_factory=dict)
    commits: dict[str, list[str]] = field(default_factory=dict)
    jobs: dict[int, dict[str, Any]] = field(default_factory=dict)
    job_artifacts: dict[int, dict[str, bytes]] = field(default_factory=dict)
    gl_issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    # both
    requests: list[tuple[str, str]] = field(default_factory=list)
    unexpected: list[tuple[str, str]] = field(default_factory=list)


class Forge:
    """Serve ``ForgeState`` on 127.0.0.1; ``github_api`` and ``gitlab_api`` are the base URLs."""

    def __init__(self) -> None:
        self.state = ForgeState()
        self.ids = itertools.count(1000)
        self.lock = threading.Lock()
        forge = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                with forge.lock:
                    status, payload, headers = forge.route(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.github_api = f"{self.base}/github"
        self.gitlab_api = f"{self.base}/gitlab/api/v4"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def new_id(self) -> int:
        return next(self.ids)

    # -- routing --------------------------------------------------------------------------------
    def route(self, method: str, raw: str, headers: dict[str, str], body: Any) -> tuple[int, Any, dict[str, str]]:
        url = urllib.parse.urlsplit(raw)
        query = dict(urllib.parse.parse_qsl(url.query))
        self.state.requests.append((method, raw))
        if url.path.startswith("/github/"):
            if headers.get("authorization") != f"Bearer {GITHUB_TOKEN}":
                return 401, {"message": "Bad credentials"}, {}
            table, path = GITHUB_ROUTES, url.path[len("/github"):]
        elif url.path.startswith("/gitlab/api/v4/"):
            if headers.get("private-token") != GITLAB_TOKEN:
                return 401, {"message": "401 Unauthorized"}, {}
            table, path = GITLAB_ROUTES, url.path[len("/gitlab/api/v4"):]
        else:
            table, path = [], url.path
        for m, pattern, handler in table:
            match = re.fullmatch(pattern, path)
            if m == method and match:
                return handler(self, match, query, body, raw)
        self.state.unexpected.append((method, raw))
        return 404, {"message": "Not Found"}, {}

    def page(self, items: list[dict[str, Any]], query: dict[str, str], raw: str, style: str) -> tuple[int, Any, dict[str, str]]:
        per = min(int(query.get("per_page", "20")), 100)
        page = int(query.get("page", "1"))
        chunk = items[(page - 1) * per : page * per]
        headers: dict[str, str] = {}
        if page * per < len(items):
            if style == "github":
                url = urllib.parse.urlsplit(raw)
                q = dict(urllib.parse.parse_qsl(url.query)) | {"page": str(page + 1)}
                headers["Link"] = f'<{self.base}{url.path}?{urllib.parse.urlencode(q)}>; rel="next"'
            else:
                headers["X-Next-Page"] = str(page + 1)
        elif style == "gitlab":
            headers["X-Next-Page"] = ""
        return 200, chunk, headers

    # -- what the tests read ----------------------------------------------------------------------
    def marked(self, items: list[dict[str, Any]], marker: str) -> list[dict[str, Any]]:
        return [c for c in items if (c.get("body") or c.get("description") or "").startswith(marker)]


Route = tuple[str, str, Callable[..., tuple[int, Any, dict[str, str]]]]
R = re.escape(REPO)
P = re.escape(PROJECT)


def _gh_comment(f: Forge, number: int, body: str) -> dict[str, Any]:
    c = {"id": f.new_id(), "body": body, "user": {"login": "github-actions[bot]"}}
    f.state.comments.setdefault(number, []).append(c)
    return c


def _gh_edit_comment(f: Forge, m: re.Match[str], q: dict[str, str], body: Any, raw: str) -> tuple[int, Any, dict[str, str]]:
    for comments in f.state.comments.values():
        for c in comments:
            if c["id"] == int(m["id"]):
                c["body"] = body["body"]
                return 200, c, {}
    return 404, {"message": "Not Found"}, {}


def _gh_issue(f: Forge, body: dict[str, Any]) -> dict[str, Any]:
    number = len(f.state.gh_issues) + len(f.state.pulls) + 1000
    issue = {"number": number, "title": body["title"], "body": body["body"], "state": "open"}
    f.state.gh_issues[number] = issue
    return issue


GITHUB_ROUTES: list[Route] = [
    ("GET", rf"/repos/{R}/pulls/(?P<n>\d+)", lambda f, m, q, b, raw: (200, f.state.pulls[int(m["n"])], {})),
    ("GET", rf"/repos/{R}/issues/(?P<n>\d+)/comments",
     lambda f, m, q, b, raw: f.page(f.state.comments.get(int(m["n"]), []), q, raw, "github")),
    ("POST", rf"/repos/{R}/issues/(?P<n>\d+)/comments", lambda f, m, q, b, raw: (201, _gh_comment(f, int(m["n"]), b["body"]), {})),
    ("PATCH", rf"/repos/{R}/issues/comments/(?P<id>\d+)", _gh_edit_comment),
    ("GET", rf"/repos/{R}/actions/runs/(?P<id>\d+)",
     lambda f, m, q, b, raw: (200, f.state.runs[int(m["id"])], {}) if int(m["id"]) in f.state.runs else (404, {}, {})),
    ("GET", rf"/repos/{R}/issues",
     lambda f, m, q, b, raw: f.page([i for i in f.state.gh_issues.values() if i["state"] == q.get("state", "open")], q, raw, "github")),
    ("PATCH", rf"/repos/{R}/issues/(?P<n>\d+)",
     lambda f, m, q, b, raw: (200, f.state.gh_issues[int(m["n"])].update(b) or f.state.gh_issues[int(m["n"])], {})),
    ("POST", rf"/repos/{R}/issues", lambda f, m, q, b, raw: (201, _gh_issue(f, b), {})),
]


def _gl_note(f: Forge, iid: int, body: str) -> dict[str, Any]:
    n = {"id": f.new_id(), "body": body, "author": {"username": "project_42_bot"}, "system": False}
    f.state.notes.setdefault(iid, []).append(n)
    return n


def _gl_edit_note(f: Forge, m: re.Match[str], q: dict[str, str], body: Any, raw: str) -> tuple[int, Any, dict[str, str]]:
    for n in f.state.notes.get(int(m["iid"]), []):
        if n["id"] == int(m["id"]):
            n["body"] = body["body"]
            return 200, n, {}
    return 404, {"message": "404 Not found"}, {}


def _gl_issue(f: Forge, body: dict[str, Any]) -> dict[str, Any]:
    iid = len(f.state.gl_issues) + 1
    issue = {"iid": iid, "title": body["title"], "description": body["description"], "state": "opened"}
    f.state.gl_issues[iid] = issue
    return issue


def _gl_artifact(f: Forge, m: re.Match[str], q: dict[str, str], body: Any, raw: str) -> tuple[int, Any, dict[str, str]]:
    files = f.state.job_artifacts.get(int(m["id"]), {})
    if m["path"] not in files:
        return 404, {"message": "404 Not Found"}, {}
    return 200, files[m["path"]], {"Content-Type": "application/octet-stream"}


GITLAB_ROUTES: list[Route] = [
    ("GET", rf"/projects/{P}/merge_requests/(?P<iid>\d+)", lambda f, m, q, b, raw: (200, f.state.mrs[int(m["iid"])], {})),
    ("GET", rf"/projects/{P}/merge_requests/(?P<iid>\d+)/notes",
     lambda f, m, q, b, raw: f.page(f.state.notes.get(int(m["iid"]), []), q, raw, "gitlab")),
    ("POST", rf"/projects/{P}/merge_requests/(?P<iid>\d+)/notes", lambda f, m, q, b, raw: (201, _gl_note(f, int(m["iid"]), b["body"]), {})),
    ("PUT", rf"/projects/{P}/merge_requests/(?P<iid>\d+)/notes/(?P<id>\d+)", _gl_edit_note),
    ("GET", rf"/projects/{P}/repository/commits/(?P<sha>[0-9a-f]{{40}})/merge_requests",
     lambda f, m, q, b, raw: (200, [f.state.mrs[i] for i in f.state.commit_mrs.get(m["sha"], [])], {})),
    ("GET", rf"/projects/{P}/repository/commits/(?P<sha>[0-9a-f]{{40}})",
     lambda f, m, q, b, raw: (200, {"id": m["sha"], "parent_ids": f.state.commits[m["sha"]]}, {})
     if m["sha"] in f.state.commits else (404, {"message": "404 Commit Not Found"}, {})),
    ("GET", rf"/projects/{P}/jobs/(?P<id>\d+)",
     lambda f, m, q, b, raw: (200, f.state.jobs[int(m["id"])], {}) if int(m["id"]) in f.state.jobs else (404, {}, {})),
    ("GET", rf"/projects/{P}/jobs/(?P<id>\d+)/artifacts/(?P<path>.+)", _gl_artifact),
    ("GET", rf"/projects/{P}/issues",
     lambda f, m, q, b, raw: f.page([i for i in f.state.gl_issues.values() if i["state"] == q.get("state", "opened")], q, raw, "gitlab")),
    ("PUT", rf"/projects/{P}/issues/(?P<iid>\d+)",
     lambda f, m, q, b, raw: (200, f.state.gl_issues[int(m["iid"])].update(b) or f.state.gl_issues[int(m["iid"])], {})),
    ("POST", rf"/projects/{P}/issues", lambda f, m, q, b, raw: (201, _gl_issue(f, b), {})),
]
