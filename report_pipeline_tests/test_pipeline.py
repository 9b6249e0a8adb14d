"""The whole chain through Dagster on the bundled sample: figures checked against the raw data."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest

from report_pipeline.cli import main
from report_pipeline.domain.rules import load_rule_set
from report_pipeline.weeks import week_window
from report_pipeline_tests.conftest import SAMPLE, write_config

REPO = "lumen-ai/lumen"
WEEK = "2026-11-16"


def sample_rows(week: str, tz: str = "UTC", path: Path = SAMPLE) -> list[dict]:
    """The sample's PRs merged in ``week``, selected independently of the pipeline's code."""
    window = week_window(week, tz)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if window.start <= dt.datetime.fromisoformat(r["merged_at"]) < window.end]


def report_json(root: Path, week: str) -> dict:
    return json.loads((root / "out" / "reports" / "lumen-ai" / "lumen" / f"{week}.json").read_text(encoding="utf-8"))


def test_one_week_end_to_end(project, capsys):
    assert main(["build", "--week", WEEK]) == 0
    printed = capsys.readouterr().out.split()
    reports = project / "out" / "reports" / "lumen-ai" / "lumen"
    expected_files = {f"{WEEK}.json", f"{WEEK}.md", f"{WEEK}.html", f"{WEEK}.zh.md", f"{WEEK}.zh.html"}
    assert {p.name for p in reports.iterdir()} == expected_files
    assert {Path(p).name for p in printed} >= expected_files | {"index.html"}

    rows = sample_rows(WEEK)
    model = report_json(project, WEEK)
    n = len(rows)
    # the public contract of docs/report-json.md
    assert model["schema_version"] == "1.1"
    assert set(model) == {
        "schema_version", "repository", "repository_url", "source", "generated_at", "week", "summary", "kinds",
        "tags", "modules", "risks", "hot_files", "authors", "movements", "trend", "themes", "events", "follow_ups", "flow",
        "highlights", "suggestions", "pull_requests",
    }
    # themes never repeat a PR, and every PR they name is one of the week's
    themed = [p for t in model["themes"] for p in t["prs"]]
    assert len(themed) == len(set(themed)) and set(themed) <= {r["number"] for r in rows}
    assert isinstance(model["summary"]["mean_score"], float)
    assert n >= 40
    assert model["summary"]["pr_count"] == n
    assert {p["number"] for p in model["pull_requests"]} == {r["number"] for r in rows}
    # at most the configured share; a PR must earn its highlight (rules: highlights.min_score)
    assert 1 <= model["summary"]["highlight_count"] <= min(20, max(3, round(n * 0.1)))
    assert len(model["highlights"]) == model["summary"]["highlight_count"]
    assert model["summary"]["additions"] == sum(r["additions"] for r in rows)
    assert model["summary"]["deletions"] == sum(r["deletions"] for r in rows)
    assert model["summary"]["author_count"] == len({r["author_login"] or r["author_name"] for r in rows})
    # kinds partition the week
    assert sum(k["count"] for k in model["kinds"]) == n
    # tags: every label of the data is a tag, counted at least as often as the label occurs
    ignored = load_rule_set("lumen").ignore_labels  # workflow labels such as "ready" are not tags
    labels = Counter(label.lower() for r in rows for label in dict.fromkeys(r.get("labels") or [])
                     if label.lower() not in ignored)
    assert "ready" in ignored and "ready" not in {t["key"] for t in model["tags"]}
    tags = {t["key"]: t["count"] for t in model["tags"]}
    top_labels = [k for k, _ in labels.most_common(3)]
    for label in top_labels:
        assert tags[label] >= labels[label]
    assert tags == dict(Counter(t for p in model["pull_requests"] for t in p["tags"]))
    # hot files: the top file's PR count recomputed from the raw file lists
    top = model["hot_files"][0]
    assert top["pr_count"] == sum(1 for r in rows if any(f["path"] == top["path"] for f in r["files"]))

    # Parquet of every asset, one file per partition
    for asset in ("raw_pull_requests", "enriched_pull_requests", "weekly_flow_counts", "weekly_aggregates",
                  "highlight_reviews", "weekly_report"):
        assert (project / "out" / "warehouse" / asset / "lumen-ai__lumen" / f"{WEEK}.parquet").exists(), asset
    raw = pq.read_table(project / "out" / "warehouse" / "raw_pull_requests" / "lumen-ai__lumen" / f"{WEEK}.parquet")
    assert raw.num_rows == n

    # the run is recorded in the persistent instance with its checks passed
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs()
        assert len(runs) == 1 and runs[0].is_success
        checks = [
            e for e in instance.all_logs(runs[0].run_id)
            if e.dagster_event and e.dagster_event.event_type_value == "ASSET_CHECK_EVALUATION"
        ]
        assert len(checks) == 7
        assert all(e.dagster_event.event_specific_data.passed for e in checks)

    index = (project / "out" / "reports" / "index.html").read_text(encoding="utf-8")
    assert f"lumen-ai/lumen/{WEEK}.html" in index


def test_range_is_one_run_with_week_over_week_figures(project):
    weeks = ["2026-11-02", "2026-11-09", "2026-11-16"]
    assert main(["build", "--from", weeks[0], "--to", weeks[-1], "--repo", REPO]) == 0
    with dg.DagsterInstance.get() as instance:
        assert len(instance.get_runs()) == 1  # a single-run backfill
    models = {w: report_json(project, w) for w in weeks}
    for w in weeks:
        assert models[w]["summary"]["pr_count"] == len(sample_rows(w))
        # one run, yet every partition is stored on its own with its own rows
        raw = pq.read_table(project / "out" / "warehouse" / "raw_pull_requests" / "lumen-ai__lumen" / f"{w}.parquet")
        assert sorted(raw.column("number").to_pylist()) == sorted(r["number"] for r in sample_rows(w))
    assert models[weeks[0]]["summary"]["previous"] is None  # the week before was never built
    for before, after in zip(weeks, weeks[1:]):
        prev = models[after]["summary"]["previous"]
        assert prev["week"] == before
        assert prev["pr_count"] == models[before]["summary"]["pr_count"]
        kinds_before = {k["key"]: k["count"] for k in models[before]["kinds"]}
        for k in models[after]["kinds"]:
            assert k["previous_count"] == kinds_before.get(k["key"], 0)
    trend = models[weeks[-1]]["trend"]
    assert [t["week"] for t in trend] == weeks
    assert [t["pr_count"] for t in trend] == [models[w]["summary"]["pr_count"] for w in weeks]


def test_rebuild_replaces_outputs(project):
    assert main(["build", "--week", WEEK]) == 0
    first = report_json(project, WEEK)
    assert main(["build", "--week", WEEK]) == 0
    again = report_json(project, WEEK)
    assert again["summary"] == first["summary"]
    # the data changes (one PR dropped): the rebuilt week reflects it, nothing is appended
    rows = sample_rows(WEEK)
    dropped = rows[0]["number"]
    lines = [line for line in SAMPLE.read_text(encoding="utf-8").splitlines()
             if line.strip() and json.loads(line)["number"] != dropped]
    changed = project / "changed.jsonl"
    changed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_config(project, repos=f'[[repositories]]\nname = "{REPO}"\nsource = "sample"\npath = "{changed}"\nrules = "lumen"\n')
    assert main(["build", "--week", WEEK]) == 0
    rebuilt = report_json(project, WEEK)
    assert rebuilt["summary"]["pr_count"] == len(rows) - 1
    assert dropped not in {p["number"] for p in rebuilt["pull_requests"]}
    raw = pq.read_table(project / "out" / "warehouse" / "raw_pull_requests" / "lumen-ai__lumen" / f"{WEEK}.parquet")
    assert raw.num_rows == len(rows) - 1
    leftovers = [p for p in (project / "out").rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_empty_week_gives_a_correct_report(project):
    # 2026-08-24's week is before the sample's first PR: a valid partition with no PRs
    write_config(project, first_week='"2026-08-24"')
    assert main(["build", "--week", "2026-08-24"]) == 0
    model = report_json(project, "2026-08-24")
    assert model["summary"]["pr_count"] == 0
    assert model["highlights"] == [] and model["pull_requests"] == []
    md = (project / "out" / "reports" / "lumen-ai" / "lumen" / "2026-08-24.md").read_text(encoding="utf-8")
    assert "0" in md


@pytest.mark.parametrize(
    "args,message",
    [
        (["build", "--week", "2099-01-05"], "has not ended yet"),
        (["build", "--week", "2020-01-06"], "is before first_week"),
        (["build", "--week", "last-week"], "--week: 'last-week' is not a date"),
        (["build", "--week", WEEK, "--repo", "nobody/nothing"], "repository 'nobody/nothing' is not configured"),
        (["build", "--from", "2026-11-16", "--to", "2026-11-02"], "is after --to"),
    ],
)
def test_cli_usage_errors(project, capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_invalid_config(project, capsys):
    write_config(project, timezone='"Nowhere/Land"')
    assert main(["build", "--week", WEEK]) == 2
    assert "timezone: unknown time zone 'Nowhere/Land'" in capsys.readouterr().err


def test_github_without_token_fails_clearly(project, capsys):
    write_config(project, repos='[[repositories]]\nname = "acme/widgets"\nsource = "github"\n')
    assert main(["build", "--week", WEEK]) == 1
    err = capsys.readouterr().err
    assert "GITHUB_TOKEN" in err and "Traceback" not in err
    assert not (project / "out" / "reports" / "acme").exists()


def test_hostile_pull_requests_end_to_end(project):
    """Untrusted PR text reaches every output escaped, and is never evaluated as a template."""
    hostile = [
        ("<script>alert(1)</script> {{ 7*7 }}", "[x](javascript:alert(1)) <img src=x onerror=alert(1)>", ["<b>bold</b>"],
         "src/<evil>.py", "eve<script>"),
        ("\u202eevil\u202c title | with pipe\nand newline 🚀", "{% raw %}{{ config }}{% endraw %}", ["{{ 7*7 }}"],
         "docs/中文 文档.md", "\u202emallory"),
        ("](javascript:alert(1)) [Bugfix] normal", "", [], "README.md", "trent"),
    ]
    lines = []
    for i, (title, body, labels, path, author) in enumerate(hostile):
        lines.append(json.dumps({
            "repo": REPO, "number": 10 + i, "title": title, "body": body,
            "url": "javascript:alert(1)" if i == 0 else f"https://github.com/{REPO}/pull/{10 + i}",
            "author_login": author, "author_name": author, "created_at": "2026-11-16T10:00:00+00:00",
            "merged_at": f"2026-11-1{6 + i}T12:00:00+00:00", "merge_commit_sha": "0" * 40, "base_ref": "main",
            "additions": 5, "deletions": 1, "changed_files": 1, "labels": labels,
            "files": [{"path": path, "previous_path": None, "change_type": "MODIFIED", "additions": 5, "deletions": 1}],
        }, ensure_ascii=False))
    data = project / "hostile.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_config(project, repos=f'[[repositories]]\nname = "{REPO}"\nsource = "sample"\npath = "{data}"\nrules = "lumen"\n')
    assert main(["build", "--week", WEEK]) == 0
    folder = project / "out" / "reports" / "lumen-ai" / "lumen"
    model = report_json(project, WEEK)
    assert model["summary"]["pr_count"] == 3
    assert "<script>alert(1)</script> {{ 7*7 }}" in {p["title"] for p in model["pull_requests"]}  # JSON keeps data as is
    for name in (f"{WEEK}.html", f"{WEEK}.zh.html"):
        html = (folder / name).read_text(encoding="utf-8")
        assert "<script>alert(1)" not in html and "<img src=x" not in html and "<b>bold</b>" not in html
        assert 'href="javascript:' not in html
        assert "{{ 7*7 }}" in html and not re.search(r"[>\s]49[<\s]", html)
        assert "\u202e" not in html
    for name in (f"{WEEK}.md", f"{WEEK}.zh.md"):
        md = (folder / name).read_text(encoding="utf-8")
        assert "<script" not in md and "<img" not in md and "<b>" not in md
        assert "](javascript:" not in md
        assert "\u202e" not in md
    index = (project / "out" / "reports" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in index


def test_github_token_variable_named_in_the_error(project, capsys):
    write_config(project, extra='[github]\ntoken_env = "ACME_GH_PAT"\n',
                 repos='[[repositories]]\nname = "acme/widgets"\nsource = "github"\n')
    assert main(["build", "--week", WEEK]) == 1
    assert "set the ACME_GH_PAT environment variable" in capsys.readouterr().err


@pytest.mark.parametrize("before", [True, False])
def test_config_option_wins_over_the_working_directory(project, tmp_path_factory, monkeypatch, capsys, before):
    """``--config`` before or after the subcommand; a report_pipeline.toml in the cwd is ignored then."""
    other = tmp_path_factory.mktemp("other")
    cfg = write_config(other, repos=f'[[repositories]]\nname = "acme/other"\nsource = "sample"\npath = "{SAMPLE}"\n')
    monkeypatch.chdir(project)  # holds a report_pipeline.toml for lumen-ai/lumen
    monkeypatch.delenv("REPORT_PIPELINE_CONFIG")
    args = ["--config", str(cfg), "check-config"] if before else ["check-config", "--config", str(cfg)]
    assert main(args) == 0
    assert "acme/other" in capsys.readouterr().out


def test_missing_fields_give_a_correct_report(project):
    """PRs without title, body, author or files still make a report; no 'nan' or 'None' leaks into it."""
    rows = [
        {"repo": REPO, "number": 1, "title": None, "body": None, "author_login": None, "author_name": None,
         "merged_at": "2026-11-17T10:00:00+00:00", "additions": None, "deletions": None, "files": []},
        {"repo": REPO, "number": 2, "title": "", "merged_at": "2026-11-18T10:00:00+00:00", "files": None},
        {"repo": REPO, "number": 3, "title": "A" * 5000, "merged_at": "2026-11-19T10:00:00+00:00"},
    ]
    data = project / "odd.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    write_config(project, repos=f'[[repositories]]\nname = "{REPO}"\nsource = "sample"\npath = "{data}"\n')
    assert main(["build", "--week", WEEK]) == 0
    model = report_json(project, WEEK)
    assert model["summary"]["pr_count"] == 3 and model["summary"]["additions"] == 0
    assert {p["title"] for p in model["pull_requests"]} == {"", "A" * 5000}
    folder = project / "out" / "reports" / "lumen-ai" / "lumen"
    for name in (f"{WEEK}.md", f"{WEEK}.zh.md", f"{WEEK}.json"):
        text = (folder / name).read_text(encoding="utf-8")
        assert not re.search(r"\b(nan|NaN|None)\b", text), name


def test_one_broken_repository_does_not_stop_the_others(project, capsys):
    norules = project / "norules.jsonl"  # the sample's PRs under the repository's own name
    norules.write_text(SAMPLE.read_text(encoding="utf-8").replace(f'"{REPO}"', '"acme/norules"'), encoding="utf-8")
    write_config(project, repos=(
        f'[[repositories]]\nname = "acme/gone"\nsource = "sample"\npath = "{project / "missing.jsonl"}"\n'
        f'[[repositories]]\nname = "acme/norules"\nsource = "sample"\npath = "{norules}"\nrules = "nosuchrules"\n'
        f'[[repositories]]\nname = "{REPO}"\nsource = "sample"\npath = "{SAMPLE}"\nrules = "lumen"\n'
    ))
    assert main(["build", "--week", WEEK]) == 1
    err = capsys.readouterr().err
    assert "acme/gone: SampleSourceError:" in err and "missing.jsonl: sample file not found" in err
    assert "acme/norules: RuleSetError:" in err and "unknown rule set 'nosuchrules'" in err
    assert "Traceback" not in err
    assert report_json(project, WEEK)["summary"]["pr_count"] == len(sample_rows(WEEK))
