"""``enriched_pull_requests``: kind, tags, modules, risks, an explained score and the highlight flag."""


import dagster as dg

from report_pipeline.config import Config
from report_pipeline.dagster_defs.assets._common import (
    column_schema,
    for_partition,
    markdown_table,
    output_value,
    run_partitions,
)
from report_pipeline.domain.enrich import enrich
from report_pipeline.domain.rules import load_rule_set
from report_pipeline.schema import ENRICHED_SCHEMA

CHECKS = [
    dg.AssetCheckSpec("score_in_range", asset="enriched_pull_requests",
                      description="Every importance score lies in [0, 10] and its reasons are recorded."),
    dg.AssetCheckSpec("highlight_count_in_bounds", asset="enriched_pull_requests",
                      description="The week's highlight count equals the configured share, clamped to [min, max]."),
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
        check_specs=CHECKS,
    )
    def enriched_pull_requests(context: dg.AssetExecutionContext, raw_pull_requests):
        results = {}
        bad_scores, bad_highlights = [], []
        for key, repo_name, _week in run_partitions(context):
            raw = for_partition(raw_pull_requests, key)
            frame = enrich(raw, rules_for(repo_name), config.highlights)
            results[key] = frame
            scores = frame["score"]
            if len(frame) and (scores.isna().any() or (scores < 0).any() or (scores > 10).any()):
                bad_scores.append(key)
            expected = config.highlights.count(len(frame))
            if int(frame["highlight"].sum()) != expected:
                bad_highlights.append(f"{key}: {int(frame['highlight'].sum())} != {expected}")
        last = results[max(results)]
        top = last.sort_values("score", ascending=False)
        yield dg.Output(
            output_value(results),
            metadata={
                "dagster/row_count": sum(len(f) for f in results.values()),
                "partitions": len(results),
                "highlights": int(sum(int(f["highlight"].sum()) for f in results.values())),
                "kinds": dg.MetadataValue.json(last["kind"].value_counts().to_dict() if len(last) else {}),
                "top_scores": dg.MetadataValue.md(
                    markdown_table(top, ["number", "title", "kind", "score", "risks", "highlight"])
                ),
            },
        )
        yield dg.AssetCheckResult(check_name="score_in_range", passed=not bad_scores,
                                  metadata={"partitions": dg.MetadataValue.json(bad_scores)})
        yield dg.AssetCheckResult(check_name="highlight_count_in_bounds", passed=not bad_highlights,
                                  metadata={"mismatches": dg.MetadataValue.json(bad_highlights)})

    return enriched_pull_requests
