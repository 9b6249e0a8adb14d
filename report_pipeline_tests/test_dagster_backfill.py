"""A backfill launched as the UI launches it, run by Dagster's own backfill daemon code."""

from __future__ import annotations

import logging
import time

import dagster as dg
import pytest

from report_pipeline.config import load_config
from report_pipeline.dagster_defs.definitions import build_definitions
from report_pipeline.dagster_defs.partitions import partition_key
from report_pipeline.dagster_defs.schedules import JOB_NAME
from report_pipeline_tests.conftest import write_config

REPO = "lumen-ai/lumen"
ASSETS = ["raw_pull_requests", "enriched_pull_requests", "weekly_flow_counts", "weekly_aggregates",
          "highlight_reviews", "weekly_report"]
# runs launched in this process, one after the other, with the instance's default coordinator
SYNC_INSTANCE = {
    "run_coordinator": {"module": "dagster._core.run_coordinator", "class": "DefaultRunCoordinator"},
    "run_launcher": {
        "module": "dagster._core.launcher.sync_in_memory_run_launcher", "class": "SyncInMemoryRunLauncher",
    },
}


def materialized_weeks(instance: dg.DagsterInstance, asset: str) -> list[str]:
    """The week of every materialization of ``asset`` (one entry per materialization)."""
    records = instance.fetch_materializations(dg.AssetKey(asset), limit=100).records
    return sorted(str(r.partition_key).split("|")[1] for r in records)


def run_backfill(instance: dg.DagsterInstance, weeks: list[str]) -> None:
    """Launch a backfill of every asset for ``weeks`` of REPO, as the UI does, and run it to the end."""
    from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill
    from dagster._core.test_utils import create_test_daemon_workspace_context
    from dagster._core.workspace.load_target import ModuleTarget
    from dagster._daemon.backfill import execute_backfill_iteration

    target = ModuleTarget(module_name="report_pipeline.definitions", attribute="defs",
                          working_directory=None, location_name="report_pipeline")
    with create_test_daemon_workspace_context(target, instance) as workspace:
        graph = workspace.create_request_context().asset_graph
        backfill = PartitionBackfill.from_asset_partitions(
            backfill_id="ui", asset_graph=graph, partition_names=[str(partition_key(REPO, w)) for w in weeks],
            asset_selection=[dg.AssetKey(a) for a in ASSETS], backfill_timestamp=time.time(), tags={},
            dynamic_partitions_store=instance, all_partitions=False, title=None, description=None, run_config=None,
        )
        instance.add_backfill(backfill)
        for _ in range(10):
            list(execute_backfill_iteration(workspace, logging.getLogger("backfill")))
            if instance.get_backfill("ui").status != BulkActionStatus.REQUESTED:
                break
        assert instance.get_backfill("ui").status == BulkActionStatus.COMPLETED_SUCCESS


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_backfill_of_a_range_is_one_run_and_touches_only_its_weeks(project):
    write_config(project, languages='["en"]')
    later = "2026-11-16"
    with dg.instance_for_test(overrides=SYNC_INSTANCE) as instance:
        # a later week already built: its trend window covers the weeks backfilled below
        job = build_definitions(load_config()).resolve_job_def(JOB_NAME)
        assert job.execute_in_process(instance=instance, partition_key=partition_key(REPO, later)).success
        report = project / "out" / "reports" / "lumen-ai" / "lumen" / f"{later}.json"
        before = report.stat().st_mtime_ns

        run_backfill(instance, ["2026-11-02", "2026-11-09"])

        runs = instance.get_runs()
        assert len(runs) == 2  # the later week's own run, and one run for the whole backfill
        backfill_run = next(r for r in runs if r.tags.get("dagster/backfill") == "ui")
        assert backfill_run.tags["dagster/asset_partition_range_start"] == f"{REPO}|2026-11-02"
        assert backfill_run.tags["dagster/asset_partition_range_end"] == f"{REPO}|2026-11-09"
        for asset in ASSETS:
            # the later week was materialized once (its own run), the backfilled weeks once each
            assert materialized_weeks(instance, asset) == ["2026-11-02", "2026-11-09", later], asset
        assert report.stat().st_mtime_ns == before  # its published report was not rewritten
