"""What the Dagster instance records for a run over several weeks: each week's own truth."""

from __future__ import annotations

import dagster as dg

from report_pipeline.cli import main
from report_pipeline.dagster_defs.partitions import partition_key
from report_pipeline_tests.test_pipeline import REPO, sample_rows

WEEKS = ["2026-11-02", "2026-11-09", "2026-11-16"]


def latest_metadata(instance: dg.DagsterInstance, asset: str, week: str) -> dict:
    """The metadata of the latest materialization of ``asset`` for ``week`` of REPO."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[str(partition_key(REPO, week))]),
        limit=1,
    ).records
    assert records, f"{asset} {week} was not materialized"
    return {k: v.value for k, v in records[0].asset_materialization.metadata.items()}


def check_evaluations(instance: dg.DagsterInstance, run_id: str) -> list:
    return [
        e.dagster_event.event_specific_data
        for e in instance.all_logs(run_id)
        if e.dagster_event and e.dagster_event.event_type_value == "ASSET_CHECK_EVALUATION"
    ]


def test_a_range_run_records_each_weeks_own_metadata_and_checks(project):
    assert main(["build", "--from", WEEKS[0], "--to", WEEKS[-1], "--repo", REPO]) == 0
    counts = {w: len(sample_rows(w)) for w in WEEKS}
    assert len(set(counts.values())) == 3  # the weeks differ, so a shared figure would show
    with dg.DagsterInstance.get() as instance:
        (run,) = instance.get_runs()
        for week in WEEKS:
            raw = latest_metadata(instance, "raw_pull_requests", week)
            assert raw["dagster/row_count"] == counts[week]
            assert latest_metadata(instance, "enriched_pull_requests", week)["dagster/row_count"] == counts[week]
            aggregates = latest_metadata(instance, "weekly_aggregates", week)
            assert f"| pr\\_count | {float(counts[week])} |" in aggregates["summary"]  # cells are escaped Markdown
            report = latest_metadata(instance, "weekly_report", week)
            assert all(f"/{week}." in f["path"] for f in report["files"])
            assert f"{week}" in report["report"]
            others = [w for w in WEEKS if w != week]
            assert not any(f"/{w}." in f["path"] for w in others for f in report["files"])
        # the previews differ week by week: each shows its own PRs
        previews = {w: latest_metadata(instance, "raw_pull_requests", w)["preview"] for w in WEEKS}
        assert len(set(previews.values())) == 3
        first_pr = sample_rows(WEEKS[0])[0]["number"]
        assert f"| {first_pr} |" in previews[WEEKS[0]]

        # every check has one result per week, naming its week
        evaluations = check_evaluations(instance, run.run_id)
        by_check: dict[str, list] = {}
        for e in evaluations:
            by_check.setdefault(e.check_name, []).append(e)
        assert set(by_check) == {
            "unique_pr_numbers", "merged_inside_week", "score_in_range", "highlight_count_in_bounds",
            "counts_match_enriched", "report_figures_match_aggregates", "report_prs_inside_week",
        }
        for name, results in by_check.items():
            assert sorted(e.partition for e in results) == [str(partition_key(REPO, w)) for w in WEEKS], name
            for e in results:
                assert e.passed
                week = e.partition.split("|")[1]
                assert week in e.description and e.metadata["week"].value == week
                # linked to this run's materialization of the same week
                assert e.target_materialization_data.run_id == run.run_id
