"""``weekly_report``: the Markdown, HTML and JSON report of the week, in every configured language."""


import json

import dagster as dg
import pandas as pd

from report_pipeline.config import Config
from report_pipeline.dagster_defs.assets._common import for_partition, output_value, run_partitions
from report_pipeline.domain.model import build_report_model
from report_pipeline.publish import publish_report, rebuild_index
from report_pipeline.weeks import week_window

CHECKS = [
    dg.AssetCheckSpec("report_figures_match_aggregates", asset="weekly_report",
                      description="The JSON report's headline figures equal weekly_aggregates, and every file was written."),
]


def build(partitions: dg.PartitionsDefinition, config: Config) -> dg.AssetsDefinition:
    """The report asset: renders and writes files, then rebuilds the archive index."""

    @dg.asset(
        name="weekly_report",
        partitions_def=partitions,
        group_name="report",
        kinds={"jinja", "html", "markdown"},
        description=(
            "The weekly report rendered with jinja2 from weekly_aggregates: header, executive summary, "
            "key changes, module and theme trends, risk observations, highlight PRs, follow-up "
            "suggestions, contributors and every PR; Markdown and self-contained HTML per language and "
            f"a versioned JSON (docs/report-json.md), written atomically under {config.output_dir}. "
            "The stored table lists the files written."
        ),
        backfill_policy=dg.BackfillPolicy.single_run(),
        check_specs=CHECKS,
    )
    def weekly_report(
        context: dg.AssetExecutionContext, weekly_aggregates, enriched_pull_requests, highlight_reviews
    ):
        results, mismatches, last_md = {}, [], ""
        for key, repo_name, week in run_partitions(context):
            repo = config.repository(repo_name)
            window = week_window(week, config.timezone)
            aggregates = for_partition(weekly_aggregates, key)
            enriched = for_partition(enriched_pull_requests, key)
            reviews = for_partition(highlight_reviews, key)
            reviews_known = repo.source in ("sample", "github") or repo.enrich_from_github
            model = build_report_model(
                repo_name, window, aggregates, enriched,
                reviews=reviews if reviews_known else None,
                source=repo.source, web_url=_web_url(repo.api_url),
            )
            rows = publish_report(model, config.output_dir, config.languages)
            results[key] = pd.DataFrame(rows)
            mismatches += _verify(key, rows, aggregates)
            md = next(r for r in rows if r["format"] == "md")
            last_md = open(md["path"], encoding="utf-8").read()
            context.log.info(f"{repo_name} {week}: " + ", ".join(r["path"] for r in rows))
        index = rebuild_index(config.output_dir, config.languages)
        last = results[max(results)]
        yield dg.Output(
            output_value(results),
            metadata={
                "partitions": len(results),
                "files": dg.MetadataValue.json([r for r in last["path"]]),
                "index": dg.MetadataValue.path(str(index)),
                # shown in the UI: the report of the (last) week as Markdown
                "report": dg.MetadataValue.md(last_md),
            },
        )
        yield dg.AssetCheckResult(check_name="report_figures_match_aggregates", passed=not mismatches,
                                  metadata={"mismatches": dg.MetadataValue.json(mismatches[:20])})

    return weekly_report


def _verify(key: str, rows: list[dict], aggregates: pd.DataFrame) -> list[str]:
    """Read the written JSON back and compare its headline figures with the aggregates."""
    problems = []
    json_row = next(r for r in rows if r["format"] == "json")
    with open(json_row["path"], encoding="utf-8") as fh:
        model = json.load(fh)
    summary = aggregates[aggregates["section"] == "summary"].set_index("key")["value"]
    for name in ("pr_count", "highlight_count", "additions", "deletions"):
        if model["summary"][name] != int(summary[name]):
            problems.append(f"{key}: {name} {model['summary'][name]} != {int(summary[name])}")
    for r in rows:
        if r["bytes"] <= 0:
            problems.append(f"{key}: {r['path']} is empty")
    return problems


def _web_url(api_url: str) -> str:
    # GitHub Enterprise Server: https://HOST/api/v3 -> https://HOST
    if api_url.rstrip("/").endswith("/api/v3"):
        return api_url.rstrip("/")[: -len("/api/v3")]
    return "https://github.com"
