"""No secret ever leaves: malformed tokens through the real CLI, a fake GitHub on loopback and
a real Dagster instance, then every byte the run left behind is searched for the token."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest

from report_pipeline.cli import main
from report_pipeline.sources.github import GitHubAuthError, GitHubClient, GitHubError
from report_pipeline.weeks import week_window
from report_pipeline_tests.conftest import write_config
from report_pipeline_tests.github_server import FakeGitHub, synthetic_prs

REPO = "acme/widgets"
WEEK = "2026-11-16"


def _fake() -> FakeGitHub:
    window = week_window(WEEK)
    prs = synthetic_prs(REPO, 5, window.start.astimezone(dt.timezone.utc), window.end.astimezone(dt.timezone.utc))
    return FakeGitHub(prs={REPO: prs})


def _files_containing(root: Path, needles: list[bytes]) -> list[str]:
    """Every file under ``root`` (SQLite databases, compute logs, reports ...) holding a needle."""
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path}: {n!r}" for n in needles if n in data]
    return hits


# each token's distinctive parts, searched for separately: a leak may split or escape the token
TOKENS = {
    # built from parts so the source holds nothing that looks like a real token to secret scanners
    "newline": ("ghp_" + "firstLINEsecret" + "0123456789\n" + "ghp_" + "secondLINEsecret987654",
                [b"firstLINEsecret", b"secondLINEsecret"],
                "GITHUB_TOKEN contains whitespace inside it"),
    "non-ascii": ("ghp_unicodeSECRETpart\u00e9tailSECRET42", [b"unicodeSECRETpart", b"tailSECRET42"],
                  "GITHUB_TOKEN contains a character that is not printable ASCII"),
}


@pytest.mark.parametrize("kind", sorted(TOKENS))
def test_malformed_token_never_leaves(project, monkeypatch, capsys, kind):
    token, needles, message = TOKENS[kind]
    fake = _fake()
    with fake.serve():
        write_config(project, repos=f'[[repositories]]\nname = "{REPO}"\nsource = "github"\napi_url = "{fake.api_url}"\n')
        monkeypatch.setenv("GITHUB_TOKEN", token)
        assert main(["build", "--week", WEEK]) == 1
        assert fake.requests == [], "a malformed token is refused before any request"
    out = capsys.readouterr()
    assert message in out.err
    assert "Traceback" not in out.err
    printed = (out.out + out.err).encode("utf-8")
    assert [n for n in needles if n in printed] == []
    db_files = list((project / "dagster_home").rglob("*.db"))
    assert db_files, "the run was recorded in the instance's SQLite storage"
    assert _files_containing(project, needles) == []


def test_token_with_trailing_newline_is_accepted(project, monkeypatch):
    # `export GITHUB_TOKEN="$(cat file)"` keeps no newline, but .env files and secret mounts do
    fake = _fake()
    with fake.serve():
        write_config(project, repos=f'[[repositories]]\nname = "{REPO}"\nsource = "github"\napi_url = "{fake.api_url}"\n')
        monkeypatch.setenv("GITHUB_TOKEN", fake.token + "\n")
        assert main(["build", "--week", WEEK]) == 0
    assert _files_containing(project, [fake.token.encode()]) == []


class _Exploding(httpx.BaseTransport):
    """A transport whose failure message quotes the request's headers, as h11's errors do."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.LocalProtocolError(f"Illegal header value {request.headers['authorization']!r}")


def test_any_library_error_is_redacted(capsys):
    token = "ghp_libraryLEAKcheck123"
    client = GitHubClient(token, "https://api.github.com/graphql", "https://api.github.com",
                          transport=_Exploding(), max_retries=0)
    with pytest.raises(GitHubError) as err:
        with client:
            client.fetch_merged_prs(REPO, week_window(WEEK))
    chain, exc = [], err.value
    while exc is not None:
        chain.append(f"{type(exc).__name__}: {exc} {exc.args!r}")
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    assert "libraryLEAK" not in "\n".join(chain)
    assert "LocalProtocolError" in str(err.value)


def test_plain_http_to_another_host_warns():
    lines: list[str] = []
    GitHubClient("ghp_x", "http://github.example.com/api/graphql", "http://github.example.com/api/v3",
                 log=lines.append).close()
    assert any("http://" in line and "github.example.com" in line and "unencrypted" in line for line in lines)
    lines.clear()
    GitHubClient("ghp_x", "http://127.0.0.1:9/api/graphql", "http://127.0.0.1:9/api/v3", log=lines.append).close()
    assert lines == []


def test_token_error_names_the_variable():
    with pytest.raises(GitHubAuthError, match=r"^MY_GH_TOKEN contains whitespace inside it") as err:
        GitHubClient("ghp_a b", "https://api.github.com/graphql", "https://api.github.com", token_env="MY_GH_TOKEN")
    assert "ghp_a" not in str(err.value)
