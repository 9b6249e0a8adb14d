"""The code location loads, and the schedule requests last week's partitions."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

from report_pipeline.config import load_config
from report_pipeline.dagster_defs.definitions import build_definitions
from report_pipeline_tests.conftest import SAMPLE, write_config

ASSETS = {"raw_pull_requests", "enriched_pull_requests", "weekly_flow_counts", "weekly_aggregates",
          "highlight_reviews", "weekly_report"}


def _two_repo_config(tmp_path, tz="Asia/Shanghai"):
    repos = (
        f'[[repositories]]\nname = "lumen-ai/lumen"\nsource = "sample"\npath = "{SAMPLE}"\nrules = "lumen"\n'
        '[[repositories]]\nname = "acme/widgets"\nsource = "github"\n'
    )
    tmp_path.mkdir(parents=True, exist_ok=True)
    return load_config(write_config(tmp_path, repos=repos, timezone=f'"{tz}"'))


def test_project_definitions_load(project):
    from report_pipeline import definitions

    defs = definitions.defs
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    assert {k.to_user_string() for k in graph.get_all_asset_keys()} == ASSETS
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, f"{key} lacks a description"
    assert defs.resolve_schedule_def("weekly_report_schedule")


def test_asset_graph_edges(tmp_path):
    defs = build_definitions(_two_repo_config(tmp_path))
    graph = defs.resolve_asset_graph()
    parents = {k.to_user_string(): {p.to_user_string() for p in graph.get(k).parent_keys} for k in graph.get_all_asset_keys()}
    assert parents["enriched_pull_requests"] == {"raw_pull_requests"}
    assert parents["weekly_aggregates"] == {"enriched_pull_requests", "weekly_flow_counts"}
    assert parents["weekly_flow_counts"] == set()
    assert parents["weekly_report"] == {"weekly_aggregates", "enriched_pull_requests", "highlight_reviews"}


def test_schedule_requests_last_complete_week_for_every_repo(tmp_path):
    config = _two_repo_config(tmp_path)
    defs = build_definitions(config)
    schedule = defs.resolve_schedule_def("weekly_report_schedule")
    assert schedule.cron_schedule == "0 6 * * 1"
    assert schedule.execution_timezone == "Asia/Shanghai"
    tick = dt.datetime(2026, 11, 23, 6, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    context = dg.build_schedule_context(scheduled_execution_time=tick, repository_def=defs.get_repository_def())
    requests = list(schedule.evaluate_tick(context).run_requests)
    keys = sorted(str(r.partition_key) for r in requests)
    assert keys == ["acme/widgets|2026-11-16", "lumen-ai/lumen|2026-11-16"]
    # every requested key is a real partition of the job
    job = defs.resolve_job_def("weekly_report_job")
    all_keys = set(job.partitions_def.get_partition_keys(current_time=tick))
    assert set(keys) <= all_keys


def test_schedule_uses_configured_timezone_for_last_week(tmp_path):
    # Sunday 23:00 UTC is already Monday 07:00 in Shanghai: "last complete week" differs
    tick = dt.datetime(2026, 11, 22, 23, 0, tzinfo=dt.timezone.utc)
    found = {}
    for tz in ("UTC", "Asia/Shanghai"):
        defs = build_definitions(_two_repo_config(tmp_path / tz, tz=tz))
        schedule = defs.resolve_schedule_def("weekly_report_schedule")
        context = dg.build_schedule_context(scheduled_execution_time=tick, repository_def=defs.get_repository_def())
        requests = schedule.evaluate_tick(context).run_requests
        found[tz] = {str(r.partition_key).split("|")[1] for r in requests}
    assert found == {"UTC": {"2026-11-09"}, "Asia/Shanghai": {"2026-11-16"}}


def test_assets_have_owners_code_references_and_settings(tmp_path):
    config = _two_repo_config(tmp_path)
    defs = build_definitions(config)
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        spec = graph.get(key)
        assert spec.owners == ["team:report-pipeline"], key
        refs = spec.metadata["dagster/code_references"].code_references
        assert refs and refs[0].file_path.endswith(".py") and "dagster_defs/assets" in refs[0].file_path
    settings = defs.resources["settings"]
    assert settings.output_dir == str(config.output_dir) and settings.languages == list(config.languages)
    assert settings.highlights == config.highlights and settings.trend_weeks == config.trend_weeks


def test_github_pool_only_where_a_repository_reads_github(tmp_path):
    def pools(config):
        graph = build_definitions(config).resolve_asset_graph()
        return {k.to_user_string(): graph.get(k).pools for k in graph.get_all_asset_keys() if graph.get(k).pools}

    mixed = _two_repo_config(tmp_path / "mixed")
    assert pools(mixed) == {"raw_pull_requests": {"github_api"}, "highlight_reviews": {"github_api"},
                           "weekly_flow_counts": {"github_api"}}
    sample_only = load_config(write_config(tmp_path))
    assert pools(sample_only) == {}
