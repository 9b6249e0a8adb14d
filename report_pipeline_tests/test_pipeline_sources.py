"""The whole chain with the GitHub and git sources: a fake GitHub on loopback, a real git repository."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess

import dagster as dg

from report_pipeline.cli import main
from report_pipeline.weeks import week_window
from report_pipeline_tests.conftest import write_config
from report_pipeline_tests.github_server import FakeGitHub, make_pr, synthetic_prs

REPO = "acme/widgets"
WEEK = "2026-11-16"
UTC = dt.timezone.utc


def _fake() -> FakeGitHub:
    window = week_window(WEEK)
    start, end = window.start.astimezone(UTC), window.end.astimezone(UTC)
    prs = synthetic_prs(REPO, 60, start - dt.timedelta(days=3), end + dt.timedelta(days=3), first_number=100)
    prs.append(make_pr(REPO, 7, start, title="[Core] Rework the scheduler", labels=["core", "performance"],
                       files=[{"path": "src/core/scheduler.py", "previous_path": None, "change_type": "MODIFIED",
                               "additions": 900, "deletions": 300}], threads=2, comments_per_thread=2))
    return FakeGitHub(prs={REPO: prs})


def _expected(fake: FakeGitHub) -> set[int]:
    window = week_window(WEEK)
    out = set()
    for number, pr in fake.repos[REPO].items():
        merged = dt.datetime.fromisoformat(pr["mergedAt"].replace("Z", "+00:00"))
        if window.start <= merged < window.end:
            out.add(number)
    return out


def _all_text(project) -> str:
    parts = []
    for path in (project / "out").rglob("*"):
        if path.is_file() and path.suffix in {".json", ".md", ".html"}:
            parts.append(path.read_text(encoding="utf-8"))
    with dg.DagsterInstance.get() as instance:
        for run in instance.get_runs():
            parts += [repr(e) for e in instance.all_logs(run.run_id)]
    return "\n".join(parts)


def test_github_source_end_to_end(project, monkeypatch, capsys):
    fake = _fake()
    with fake.serve():
        write_config(project, repos=f'[[repositories]]\nname = "{REPO}"\nsource = "github"\napi_url = "{fake.api_url}"\n')
        monkeypatch.setenv("GITHUB_TOKEN", fake.token)
        assert main(["build", "--week", WEEK]) == 0
        requests = len(fake.graphql_requests)
    model = json.loads((project / "out" / "reports" / "acme" / "widgets" / f"{WEEK}.json").read_text(encoding="utf-8"))
    expected = _expected(fake)
    assert {p["number"] for p in model["pull_requests"]} == expected
    assert model["source"] == "github"
    assert model["repository_url"].startswith("http://127.0.0.1")  # GitHub Enterprise web address
    highlighted = {h["number"]: h for h in model["highlights"]}
    assert 7 in highlighted and highlighted[7]["reviews"], "review comments of highlight PRs reach the report"
    # search pages of 25 + first-time authors + flow counts + highlight review batches, nothing per PR
    assert requests <= -(-len(expected) // 25) + 3
    assert model["flow"]["opened"] is not None and "opened" not in model["flow"]["notes"]
    assert model["flow"]["time_to_first_review_hours"] is not None
    out = capsys.readouterr()
    assert fake.token not in _all_text(project) + out.out + out.err


def test_github_bad_token_fails_clearly_without_leaking_it(project, monkeypatch, capsys):
    fake = _fake()
    with fake.serve():
        write_config(project, repos=f'[[repositories]]\nname = "{REPO}"\nsource = "github"\napi_url = "{fake.api_url}"\n')
        wrong = "ghp_wrong_token_abcdefghijklmnop"
        monkeypatch.setenv("GITHUB_TOKEN", wrong)
        assert main(["build", "--week", WEEK]) == 1
    out = capsys.readouterr()
    assert "401" in out.err and "Traceback" not in out.err
    assert wrong not in _all_text(project) + out.out + out.err
    assert not (project / "out" / "reports" / "acme").exists()
    assert not list((project / "out").rglob("raw_pull_requests/**/*.parquet"))


def _git(repo, *args, date=None):
    env = {**os.environ, "GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "1+ada@users.noreply.github.com",
           "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.com"}
    if date:
        env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def test_git_source_with_labels_from_github(project, monkeypatch):
    clone = project / "clone"
    clone.mkdir()
    _git(clone, "init", "-q", "-b", "main")
    for number, day in ((7, "2026-11-16T10:00:00+00:00"), (8, "2026-11-18T10:00:00+00:00"), (9, "2026-11-23T10:00:00+00:00")):
        (clone / f"f{number}.py").write_text("x = 1\n" * number, encoding="utf-8")
        _git(clone, "add", ".")
        _git(clone, "commit", "-q", "-m", f"[Bugfix] Fix thing {number} (#{number})", date=day)
    fake = FakeGitHub(prs={REPO: [make_pr(REPO, 7, "2026-11-16T10:00:00Z", labels=["bug", "performance"]),
                                  make_pr(REPO, 8, "2026-11-18T10:00:00Z", labels=["documentation"])]})
    with fake.serve():
        write_config(project, repos=(f'[[repositories]]\nname = "{REPO}"\nsource = "git"\npath = "{clone}"\n'
                                     f'branch = "main"\nenrich_from_github = true\napi_url = "{fake.api_url}"\n'))
        monkeypatch.setenv("GITHUB_TOKEN", fake.token)
        assert main(["build", "--week", WEEK]) == 0
        assert len(fake.graphql_requests) <= 2  # one metadata query, one review query
    model = json.loads((project / "out" / "reports" / "acme" / "widgets" / f"{WEEK}.json").read_text(encoding="utf-8"))
    prs = {p["number"]: p for p in model["pull_requests"]}
    assert set(prs) == {7, 8}
    assert {"bug", "performance"} <= set(prs[7]["tags"]) and "documentation" in prs[8]["tags"]
    assert model["pull_requests"][0]["author"] == "ada"
