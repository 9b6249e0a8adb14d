"""``enriched_pull_requests``: kind, tags, modules, risks, an explained score and the highlight flag."""


import dagster as dg
import pandas as pd

from report_pipeline.config import Config
from report_pipeline.dagster_defs.assets._common import (
    column_schema,
    for_partition,
    markdown_table,
    output_value,
    run_partitions,
)
from report_pipeline.dagster_defs.assets._records import week_checks
from report_pipeline.dagster_defs.io import stored_table
from report_pipeline.dagster_defs.resources import ReportSettings
from report_pipeline.domain.enrich import enrich
from report_pipeline.domain.quality import highlight_count_mismatch, scores_out_of_range
from report_pipeline.domain.rules import load_rule_set
from report_pipeline.parallel import per_week
from report_pipeline.schema import ENRICHED_SCHEMA


def _checks(partitions: dg.PartitionsDefinition) -> list[dg.AssetCheckSpec]:
    # advisory: an odd score or highlight count makes a report less useful, not untrue
    return [
        dg.AssetCheckSpec("score_in_range", asset="enriched_pull_requests", partitions_def=partitions,
                          description="Every importance score lies in [0, 10] and its reasons are recorded. Advisory."),
        dg.AssetCheckSpec("highlight_count_in_bounds", asset="enriched_pull_requests", partitions_def=partitions,
                          description="The week's highlight count is at most the configured share, clamped to "
                                      "[min, max] (a quiet week gets fewer). Advisory."),
    ]


def build(partitions: dg.PartitionsDefinition, config: Config) -> dg.AssetsDefinition:
    """The enrichment asset; rule sets are loaded once per repository."""
    rule_sets = {}

    def rules_for(repo_name: str):
        repo = config.repository(repo_name)
        if repo.rules not in rule_sets:
            rule_sets[repo.rules] = load_rule_set(repo.rules, config.rules_dirs)
        return rule_sets[repo.rules]

    @dg.asset(
        name="enriched_pull_requests",
        partitions_def=partitions,
        group_name="report",
        kinds={"pandas", "parquet"},
        description=(
            "The week's PRs classified with the repository's rule set (report_pipeline/rules/*.toml): "
            "kind, tags (labels plus derived), modules from path globs, risk flags, a 0-10 importance "
            "score with its reasons, the highlight flag (top share of the week, bounded) and a cleaned "
            "summary of the description."
        ),
        metadata={"dagster/column_schema": column_schema(ENRICHED_SCHEMA)},
        backfill_policy=dg.BackfillPolicy.single_run(),
        check_specs=_checks(partitions),
    )
    def enriched_pull_requests(context: dg.AssetExecutionContext, settings: ReportSettings, raw_pull_requests):
        repos = {key: repo_name for key, repo_name, _week in run_partitions(context)}
        for repo_name in set(repos.values()):
            rules_for(repo_name)  # loaded before workers fork, once

        def week(key: str):
            frame = enrich(for_partition(raw_pull_requests, key), rules_for(repos[key]), settings.highlights)
            return (stored_table("enriched_pull_requests", frame), scores_out_of_range(frame),
                    highlight_count_mismatch(frame, settings.highlights.count(len(frame))), _week_metadata(frame))

        results, bad_scores, bad_highlights = {}, {}, {}
        for key, (table, scores, counts, metadata) in per_week(week, list(repos)).items():
            results[key], bad_scores[key], bad_highlights[key] = table, scores, counts
            context.add_asset_metadata(metadata, partition_key=key)
        yield dg.Output(output_value(results))
        yield from week_checks(context, "score_in_range", bad_scores)
        yield from week_checks(context, "highlight_count_in_bounds", bad_highlights)

    return enriched_pull_requests


def _week_metadata(frame: pd.DataFrame) -> dict:
    """One week's figures: rows, highlights, kinds and the top-scored PRs."""
    top = frame.sort_values("score", ascending=False)
    return {
        "dagster/row_count": len(frame),
        "highlights": int(frame["highlight"].sum()) if len(frame) else 0,
        "kinds": dg.MetadataValue.json(frame["kind"].value_counts().to_dict() if len(frame) else {}),
        "top_scores": dg.MetadataValue.md(markdown_table(top, ["number", "title", "kind", "score", "risks", "highlight"])),
    }
