"""Blocking checks keep a wrong report from readers: each one made to fail on real assets and data."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import pytest

from report_pipeline.cli import main
from report_pipeline.config import load_config
from report_pipeline.dagster_defs.definitions import build_definitions
from report_pipeline.dagster_defs.partitions import partition_key
from report_pipeline.dagster_defs.schedules import JOB_NAME
from report_pipeline_tests.conftest import PROJECT, SAMPLE, write_config
from report_pipeline_tests.test_pipeline import REPO, WEEK, sample_rows

REPORTS = ("out", "reports", "lumen-ai", "lumen")


def sample_config(project, data=SAMPLE, **top) -> None:
    """One language keeps these runs short; what they check does not depend on it."""
    repo = f'[[repositories]]\nname = "{REPO}"\nsource = "sample"\npath = "{data}"\nrules = "lumen"\n'
    write_config(project, repos=repo, **({"languages": '["en"]'} | top))


def evaluations(instance: dg.DagsterInstance, check: str) -> list:
    return [
        e.dagster_event.event_specific_data
        for run in instance.get_runs()
        for e in instance.all_logs(run.run_id)
        if e.dagster_event and e.dagster_event.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.dagster_event.event_specific_data.check_name == check
    ]


def report_materializations(instance: dg.DagsterInstance) -> int:
    return len(instance.fetch_materializations(dg.AssetKey("weekly_report"), limit=10).records)


def rebuild(assets: list[str]) -> dg.ExecuteInProcessResult:
    """Materialize only ``assets`` of WEEK with the current configuration (as the UI can)."""
    job = build_definitions(load_config()).resolve_job_def(JOB_NAME)
    with dg.DagsterInstance.get() as instance:
        return job.execute_in_process(
            instance=instance, partition_key=partition_key(REPO, WEEK), raise_on_error=False,
            asset_selection=[dg.AssetKey(a) for a in assets],
        )


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    return failure.step_failure_data.error.message


def test_duplicate_pr_blocks_the_week(project, capsys):
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    twice = next(line for line in lines if json.loads(line)["number"] == sample_rows(WEEK)[0]["number"])
    data = project / "duplicated.jsonl"
    data.write_text("\n".join([*lines, twice]) + "\n", encoding="utf-8")
    sample_config(project, data)
    number = json.loads(twice)["number"]

    assert main(["build", "--from", "2026-11-09", "--to", WEEK]) == 1
    err = capsys.readouterr().err
    assert "blocking check unique_pr_numbers failed" in err
    assert f"lumen-ai/lumen, week of {WEEK}: PR #{number} appears 2 times" in err and "Traceback" not in err
    assert not (project.joinpath(*REPORTS)).exists()  # neither week of the run was published
    with dg.DagsterInstance.get() as instance:
        assert report_materializations(instance) == 0
        results = {e.partition.split("|")[1]: e for e in evaluations(instance, "unique_pr_numbers")}
        assert not results[WEEK].passed and results["2026-11-09"].passed
        assert results[WEEK].blocking and WEEK in results[WEEK].description


def test_prs_outside_the_week_block_publishing(project):
    """Rows built under one timezone, a report rebuilt under another: the week's PRs no longer fit it."""
    sample_config(project)
    assert main(["build", "--week", WEEK]) == 0
    published = project.joinpath(*REPORTS, f"{WEEK}.json").read_bytes()
    sample_config(project, timezone='"America/Los_Angeles"')  # weeks now start Monday 08:00 UTC
    early = [r for r in sample_rows(WEEK) if dt.datetime.fromisoformat(r["merged_at"]).astimezone(dt.timezone.utc).hour < 8
             and dt.datetime.fromisoformat(r["merged_at"]).weekday() == 0]
    assert early, "the sample week should have a PR merged early on Monday (UTC)"

    result = rebuild(["weekly_aggregates", "weekly_report"])
    assert not result.success
    message = failure_message(result)
    assert "blocking check report_prs_inside_week failed" in message and f"PR #{early[0]['number']} merged" in message
    assert project.joinpath(*REPORTS, f"{WEEK}.json").read_bytes() == published  # the last good report stays
    with dg.DagsterInstance.get() as instance:
        assert report_materializations(instance) == 1  # the first build only
        (failed,) = [e for e in evaluations(instance, "report_prs_inside_week") if not e.passed]
        assert failed.partition == f"{REPO}|{WEEK}" and failed.metadata["problem_count"].value >= len(early)


def test_report_figures_not_matching_aggregates_block_publishing(project):
    """The highlight share changes and only enrichment and report are rebuilt: stale aggregates."""
    sample_config(project)
    assert main(["build", "--week", WEEK]) == 0
    published = project.joinpath(*REPORTS, f"{WEEK}.md").read_bytes()
    sample_config(project, extra="[highlights]\nshare = 0.3\nmin = 3\nmax = 30\n")

    result = rebuild(["enriched_pull_requests", "weekly_report"])
    assert not result.success
    message = failure_message(result)
    assert "blocking check report_figures_match_aggregates failed" in message
    assert "report says highlight_count" in message and "but lists" in message
    assert project.joinpath(*REPORTS, f"{WEEK}.md").read_bytes() == published
    with dg.DagsterInstance.get() as instance:
        assert report_materializations(instance) == 1
        assert sorted(e.passed for e in evaluations(instance, "report_figures_match_aggregates")) == [False, True]

    # rebuilding the aggregates too makes the week consistent again, and it publishes
    assert rebuild(["weekly_aggregates", "weekly_report"]).success
    assert project.joinpath(*REPORTS, f"{WEEK}.md").read_bytes() != published


@pytest.mark.parametrize("check", ["score_in_range", "highlight_count_in_bounds", "merged_inside_week", "counts_match_enriched"])
def test_advisory_checks_are_not_blocking(check):
    defs = build_definitions(load_config(PROJECT / "report_pipeline.toml"))
    specs = {s.name: s for a in defs.assets for s in a.check_specs}
    assert not specs[check].blocking
    assert {n for n, s in specs.items() if s.blocking} == {
        "unique_pr_numbers", "report_figures_match_aggregates", "report_prs_inside_week"
    }

