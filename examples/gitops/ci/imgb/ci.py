"""imgb's CI helper: the pull-request comment, the reviewed plan, the apply report, the drift issue.

Written by `imgb init` next to the workflows (.github/workflows/imgb.yml, .gitlab-ci.yml), which
call it; the guide is docs/gitops.md in imgb. Standard library only, so it runs before imgb is
installed. It talks to the forge's REST API: GitHub (GITHUB_API_URL, GITHUB_REPOSITORY,
GITHUB_TOKEN, GITHUB_EVENT_PATH) or GitLab (CI_API_V4_URL, CI_PROJECT_ID, IMGB_GITLAB_TOKEN).

  pin-check      the imgb that CI installs is pinned (a commit, or an archive with its hash)
  plan-comment   the one plan comment of the pull request, replaced by every run: the plan, or
                 "plan failed" with the error; it records the head commit, the run and the hash
                 of the saved plan it shows
  reviewed-plan  at merge: the saved plan that comment showed for the merged head, checked by run,
                 commit and hash (imgb.plan.sha256); refuses when there is none or it failed
  apply-comment  the outcome of the apply, as a comment on the merged pull request
  drift-issue    one open issue with the drift report, updated by later checks
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

PLAN_MARKER = "<!-- imgb-plan -->"
APPLY_MARKER = "<!-- imgb-apply -->"
DRIFT_MARKER = "<!-- imgb-drift -->"
META = re.compile(r"<!-- imgb-plan-meta (\{.*?\}) -->")
REQUIREMENTS = "ci/imgb/requirements.txt"
PLAN, PLAN_MD, PLAN_LOG, APPLY_LOG, SUMS = "imgb.plan", "imgb-plan.md", "imgb-plan.log", "imgb-apply.log", "imgb.plan.sha256"
LOG_CHARS = 20_000


class Refused(Exception):
    """Nothing reviewed to apply: the message goes to the job log, imgb-apply.log and the comment."""


def env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        sys.exit(f"imgb ci: the environment variable {name} is not set (see docs/gitops.md).")
    return value


def tail(path: str, chars: int = LOG_CHARS) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return ""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text).strip()
    return text if len(text) <= chars else "...\n" + text[-chars:]


def fenced(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}\n{text}\n{fence}"


def sha256_of(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# -- the forges' REST APIs -------------------------------------------------------------------------
class Forge:
    def __init__(self, base: str, headers: dict[str, str]):
        self.base = base.rstrip("/")
        self.headers = headers

    def call(self, method: str, path: str, body: object = None) -> tuple[Any, dict[str, str]]:
        url = path if path.startswith(("http://", "https://")) else self.base + path
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data, method=method, headers={**self.headers, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                raw = r.read()
                return (json.loads(raw) if raw else None), {k.lower(): v for k, v in r.headers.items()}
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", "replace")[:500]
            sys.exit(f"imgb ci: {method} {urllib.parse.urlsplit(url).path} failed: HTTP {e.code} {detail}")

    def get(self, path: str) -> Any:
        return self.call("GET", path)[0]

    def pages(self, path: str) -> list[dict[str, Any]]:
        """Every item of a paginated list (GitHub's Link header, GitLab's X-Next-Page)."""
        sep = "&" if "?" in path else "?"
        url, items = f"{path}{sep}per_page=100", list[dict[str, Any]]()
        while url:
            page, headers = self.call("GET", url)
            items += page
            url = self.next_page(url, headers)
        return items

    def next_page(self, url: str, headers: dict[str, str]) -> str:
        raise NotImplementedError


class GitHub(Forge):
    def __init__(self) -> None:
        super().__init__(os.environ.get("GITHUB_API_URL") or "https://api.github.com",
                         {"Authorization": f"Bearer {env('GITHUB_TOKEN')}", "Accept": "application/vnd.github+json"})
        self.repo = env("GITHUB_REPOSITORY")
        with open(env("GITHUB_EVENT_PATH"), encoding="utf-8") as f:
            self.event = json.load(f)
        self.run = os.environ.get("GITHUB_RUN_ID", "")
        self.run_url = f"{os.environ.get('GITHUB_SERVER_URL', 'https://github.com')}/{self.repo}/actions/runs/{self.run}"

    def next_page(self, url: str, headers: dict[str, str]) -> str:
        m = re.search(r'<([^>]+)>;\s*rel="next"', headers.get("link", ""))
        return m.group(1) if m else ""

    def change(self) -> tuple[str, str]:
        """(pull request number, head commit) of the event."""
        pr = self.event["pull_request"]
        return str(pr["number"]), pr["head"]["sha"]

    def current_head(self, number: str) -> str:
        return self.get(f"/repos/{self.repo}/pulls/{number}")["head"]["sha"]

    def comments(self, number: str) -> list[dict[str, Any]]:
        return self.pages(f"/repos/{self.repo}/issues/{number}/comments")

    def edit_comment(self, number: str, comment: dict[str, Any], body: str) -> None:
        self.call("PATCH", f"/repos/{self.repo}/issues/comments/{comment['id']}", {"body": body})

    def add_comment(self, number: str, body: str) -> None:
        self.call("POST", f"/repos/{self.repo}/issues/{number}/comments", {"body": body})

    def merged_change(self) -> tuple[str, str]:
        return self.change()

    def fetch_reviewed(self, meta: dict[str, Any], head: str) -> None:
        run = self.get(f"/repos/{self.repo}/actions/runs/{int(meta['run'])}")
        if run["head_sha"] != head or run["conclusion"] != "success":
            raise Refused(f"The run {meta['run']} that the plan comment names did not plan {head} successfully.")
        with open(env("GITHUB_OUTPUT"), "a", encoding="utf-8") as f:
            f.write(f"run-id={int(meta['run'])}\n")

    def issues(self) -> list[dict[str, Any]]:
        return [i for i in self.pages(f"/repos/{self.repo}/issues?state=open") if "pull_request" not in i]

    def edit_issue(self, issue: dict[str, Any], body: str) -> None:
        self.call("PATCH", f"/repos/{self.repo}/issues/{issue['number']}", {"body": body})

    def add_issue(self, title: str, body: str) -> None:
        self.call("POST", f"/repos/{self.repo}/issues", {"title": title, "body": body})


class GitLab(Forge):
    def __init__(self) -> None:
        super().__init__(env("CI_API_V4_URL"), {"PRIVATE-TOKEN": env("IMGB_GITLAB_TOKEN")})
        self.project = f"/projects/{env('CI_PROJECT_ID')}"
        self.run = os.environ.get("CI_JOB_ID", "")
        self.run_url = os.environ.get("CI_JOB_URL", "")

    def next_page(self, url: str, headers: dict[str, str]) -> str:
        nxt = headers.get("x-next-page", "")
        if not nxt:
            return ""
        parts = urllib.parse.urlsplit(url)
        query = dict(urllib.parse.parse_qsl(parts.query)) | {"page": nxt}
        return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))

    def change(self) -> tuple[str, str]:
        # In a merged results pipeline CI_COMMIT_SHA is the merge of the head into the target;
        # the reviewed head is the source branch's commit.
        return env("CI_MERGE_REQUEST_IID"), os.environ.get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") or env("CI_COMMIT_SHA")

    def current_head(self, number: str) -> str:
        return self.get(f"{self.project}/merge_requests/{number}")["sha"]

    def comments(self, number: str) -> list[dict[str, Any]]:
        return self.pages(f"{self.project}/merge_requests/{number}/notes?sort=asc&order_by=created_at")

    def edit_comment(self, number: str, comment: dict[str, Any], body: str) -> None:
        self.call("PUT", f"{self.project}/merge_requests/{number}/notes/{comment['id']}", {"body": body})

    def add_comment(self, number: str, body: str) -> None:
        self.call("POST", f"{self.project}/merge_requests/{number}/notes", {"body": body})

    def merged_change(self) -> tuple[str, str]:
        sha = env("CI_COMMIT_SHA")
        merged = [m for m in self.get(f"{self.project}/repository/commits/{sha}/merge_requests")
                  if m["state"] == "merged"]
        if not merged:
            raise Refused(f"No merged merge request for {sha}: nothing reviewed to apply.")
        return str(merged[0]["iid"]), merged[0]["sha"]

    def fetch_reviewed(self, meta: dict[str, Any], head: str) -> None:
        job = self.get(f"{self.project}/jobs/{int(meta['run'])}")
        planned = job["pipeline"]["sha"]
        if planned != head:  # a merged results pipeline planned the merge of head into the target
            parents = self.get(f"{self.project}/repository/commits/{planned}")["parent_ids"]
            if head not in parents:
                raise Refused(f"The job {meta['run']} that the plan note names did not plan {head}.")
        if job["status"] != "success" or job["name"] != "imgb-plan":
            raise Refused(f"The job {meta['run']} that the plan note names did not succeed.")
        req = urllib.request.Request(f"{self.base}{self.project}/jobs/{int(meta['run'])}/artifacts/{PLAN}", headers=self.headers)
        with urllib.request.urlopen(req, timeout=300) as r, open(PLAN, "wb") as f:
            f.write(r.read())

    def issues(self) -> list[dict[str, Any]]:
        return self.pages(f"{self.project}/issues?state=opened")

    def edit_issue(self, issue: dict[str, Any], body: str) -> None:
        self.call("PUT", f"{self.project}/issues/{issue['iid']}", {"description": body})

    def add_issue(self, title: str, body: str) -> None:
        self.call("POST", f"{self.project}/issues", {"title": title, "description": body})


def forge() -> GitHub | GitLab:
    if os.environ.get("GITHUB_ACTIONS") == "true":
        return GitHub()
    if os.environ.get("GITLAB_CI") == "true":
        return GitLab()
    sys.exit("imgb ci: neither GitHub Actions (GITHUB_ACTIONS) nor GitLab CI (GITLAB_CI).")


def job_succeeded() -> bool | None:
    """True, False, or None when the job was cancelled (a newer run takes over)."""
    status = os.environ.get("JOB_STATUS") or os.environ.get("CI_JOB_STATUS") or ""
    return {"success": True, "failure": False, "failed": False}.get(status)


# -- commands --------------------------------------------------------------------------------------
_PINNED = (
    re.compile(r"@\s*git\+\S+@[0-9a-f]{40}$"),  # a commit of a Git repository
    re.compile(r"@\s*\S+#sha256=[0-9a-f]{64}$"),  # an archive with its hash
    re.compile(r"==\s*[^\s;]+.*--hash=sha256:[0-9a-f]{64}"),  # a version with its hash
)


def pin_check() -> None:
    try:
        with open(REQUIREMENTS, encoding="utf-8") as f:
            lines = [ln.split(" #")[0].strip() for ln in f if ln.strip() and not ln.lstrip().startswith("#")]
    except OSError as e:
        sys.exit(f"imgb ci: cannot read {REQUIREMENTS}: {e.strerror}. Run imgb init, or write it (docs/gitops.md).")
    named = [ln for ln in lines if re.match(r"imgb\b", ln)]
    if not named:
        sys.exit(f"imgb ci: {REQUIREMENTS} names no imgb to install. Add a pinned requirement: "
                 "imgb[pg] @ git+https://YOUR-GIT-SERVER/imgb.git@<commit>, or an archive URL ending in "
                 "#sha256=<hash> (see the comments in the file).")
    loose = [ln for ln in named if not any(p.search(ln) for p in _PINNED)]
    if loose:
        sys.exit(f"imgb ci: {REQUIREMENTS}: {loose[0]!r} is not pinned. Name a commit (git+URL@<40 hex digits>) "
                 "or an archive with its hash (URL#sha256=<64 hex digits>), from a server you control: a bare "
                 "name installs whatever the package index serves under it.")
    print(f"imgb ci: installing {named[0]}")


def plan_comment() -> None:
    f = forge()
    ok = job_succeeded()
    if ok is None:
        print("imgb ci: the plan job was cancelled; the newer run comments.")
        return
    number, head = f.change()
    current = f.current_head(number)
    if current != head:
        print(f"imgb ci: the pull request moved on to {current}; its own run comments.")
        return
    meta = {"sha": head, "run": f.run, "ok": bool(ok and os.path.exists(PLAN))}
    where = f"`{head[:12]}`" + (f" ([run]({f.run_url}))" if f.run_url else "")
    if meta["ok"]:
        meta["plan_sha256"] = sha256_of(PLAN)
        with open(PLAN_MD, encoding="utf-8") as fh:
            body = fh.read().rstrip("\n")
        body += f"\n\n_Planned at {where}. Merging applies exactly this plan, if nothing changed meanwhile._"
    else:
        log = tail(PLAN_LOG) or "(no output: the job failed before planning; see the job's log)"
        body = "\n".join([
            PLAN_MARKER, "### imgb plan failed", "",
            f"Planning {where} failed, so merging this now applies nothing. Fix the error and push again.", "",
            fenced(log),
        ])
    body += f"\n<!-- imgb-plan-meta {json.dumps(meta, sort_keys=True)} -->\n"
    mine = [c for c in f.comments(number) if (c.get("body") or "").startswith(PLAN_MARKER)]
    if mine:
        f.edit_comment(number, mine[0], body)
    else:
        f.add_comment(number, body)
    print(f"imgb ci: plan comment {'updated' if mine else 'added'} for {head[:12]}")


def reviewed_plan() -> None:
    f = forge()
    try:
        number, head = f.merged_change()
        metas = [json.loads(m.group(1)) for c in f.comments(number)
                 if (c.get("body") or "").startswith(PLAN_MARKER) for m in [META.search(c["body"])] if m]
        if not metas:
            raise Refused(f"No plan comment on {number}: nothing reviewed to apply.")
        meta = metas[0]
        if meta.get("sha") != head:
            raise Refused(f"The plan comment shows a plan of {str(meta.get('sha'))[:12]}, but {head[:12]} was merged: "
                          "its plan was not reviewed.")
        if not meta.get("ok"):
            raise Refused(f"Planning {head[:12]} failed: nothing reviewed to apply.")
        f.fetch_reviewed(meta, head)
    except Refused as e:
        with open(APPLY_LOG, "a", encoding="utf-8") as log:
            log.write(f"Not applied: {e}\n")
        sys.exit(f"imgb ci: {e}")
    with open(SUMS, "w", encoding="utf-8") as out:
        out.write(f"{meta['plan_sha256']}  {PLAN}\n")
    print(f"imgb ci: the reviewed plan of {head[:12]} is in run {meta['run']}")


def apply_comment() -> None:
    f = forge()
    ok = job_succeeded()
    try:
        number, head = f.merged_change()
    except Refused as e:
        print(f"imgb ci: {e}")
        return
    if ok:
        title, text = "applied", f"The reviewed plan of `{head[:12]}` was applied."
    elif ok is None:
        title, text = "cancelled", "The apply job was cancelled. Run `imgb plan` to see where things stand."
    else:
        title, text = "not applied", (
            f"The reviewed plan of `{head[:12]}` was not applied (a stale plan is refused: something changed "
            "since it was made). Plan again: push to a new pull request, or plan and apply from a workstation.")
    body = "\n".join([APPLY_MARKER, f"### imgb apply: {title}", "", text, "", fenced(tail(APPLY_LOG) or "(no output)")])
    if f.run_url:
        body += f"\n\n[The job]({f.run_url})"
    f.add_comment(number, body + "\n")


def drift_issue() -> None:
    f = forge()
    with open("imgb-drift.md", encoding="utf-8") as fh:
        body = fh.read()
    if not body.startswith(DRIFT_MARKER) or "**No drift.**" in body:
        print("imgb ci: no drift")
        return
    old = [i for i in f.issues() if (i.get("body") or i.get("description") or "").startswith(DRIFT_MARKER)]
    if old:
        f.edit_issue(old[0], body)
    else:
        f.add_issue("imgb: images changed outside imgb", body)


COMMANDS = {"pin-check": pin_check, "plan-comment": plan_comment, "reviewed-plan": reviewed_plan,
            "apply-comment": apply_comment, "drift-issue": drift_issue}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: python3 {sys.argv[0]} {{{','.join(COMMANDS)}}}")
    COMMANDS[sys.argv[1]]()
