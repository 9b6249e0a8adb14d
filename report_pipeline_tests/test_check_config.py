"""``check-config`` reports what ``build`` would fail on, with build's own messages."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from report_pipeline.cli import main
from report_pipeline_tests.conftest import SAMPLE, write_config

WEEK = "2026-11-16"


def _repo(name: str, source: str, **keys: str) -> str:
    extra = "".join(f'{k} = "{v}"\n' for k, v in keys.items())
    return f'[[repositories]]\nname = "{name}"\nsource = "{source}"\n{extra}'


def test_good_config_is_ok(project, capsys):
    assert main(["check-config"]) == 0
    assert "OK, 1 repositories: lumen-ai/lumen (sample)" in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_every_problem_is_reported_at_once(project, monkeypatch, capsys):
    plain_dir = project / "not_a_clone"
    plain_dir.mkdir()
    clone = project / "clone"
    subprocess.run(["git", "init", "-q", "-b", "main", str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "-c", "user.name=a", "-c", "user.email=a@b",
                    "commit", "-q", "--allow-empty", "-m", "x"], check=True)
    (project / "out").mkdir()
    (project / "out" / "reports").write_text("a file where a directory belongs", encoding="utf-8")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_two\nlines")
    write_config(project, repos="".join([
        _repo("acme/norules", "sample", path=str(SAMPLE), rules="nosuchrules"),
        _repo("acme/gone", "sample", path=str(project / "missing.jsonl")),
        _repo("acme/plain", "git", path=str(plain_dir)),
        _repo("acme/branchless", "git", path=str(clone), branch="release"),
        _repo("acme/hub", "github"),
    ]))
    assert main(["check-config"]) == 1
    err = capsys.readouterr().err
    expected = [
        "report-pipeline: error: output_dir: NotADirectoryError: ",
        "report-pipeline: error: acme/norules: RuleSetError: ",
        "unknown rule set 'nosuchrules'",
        "report-pipeline: error: acme/gone: SampleSourceError: ",
        "missing.jsonl: sample file not found",
        f"report-pipeline: error: acme/plain: GitSourceError: {plain_dir} is not a git repository",
        "report-pipeline: error: acme/branchless: GitSourceError: branch 'release' does not exist",
        "report-pipeline: error: acme/hub: GitHubAuthError: GITHUB_TOKEN contains whitespace inside it",
    ]
    assert [e for e in expected if e not in err] == []
    assert "ghp_two" not in err and "Traceback" not in err


def test_messages_are_the_ones_build_gives(project, capsys):
    write_config(project, repos=_repo("acme/gone", "sample", path=str(project / "missing.jsonl"), rules="lumen"))
    assert main(["check-config"]) == 1
    checked = capsys.readouterr().err.strip().splitlines()
    assert main(["build", "--week", WEEK]) == 1
    built = capsys.readouterr().err
    assert checked and all(line in built for line in checked)


def test_output_dir_that_can_be_created_is_fine(project, capsys):
    write_config(project, output_dir='"deep/new/reports"')
    assert main(["check-config"]) == 0
    assert not (project / "deep").exists(), "checking creates nothing"
