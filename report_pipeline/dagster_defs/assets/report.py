"""``weekly_report``: the Markdown, HTML and JSON report of the week, in every configured language."""

import dagster as dg
import pandas as pd

from report_pipeline.config import Config
from report_pipeline.dagster_defs.assets._common import for_partition, output_value, run_partitions
from report_pipeline.dagster_defs.assets._records import stop_if_blocked, week_checks
from report_pipeline.dagster_defs.partitions import split_key
from report_pipeline.dagster_defs.resources import NarratorResource, ReportSettings
from report_pipeline.domain.model import build_report_model
from report_pipeline.domain.quality import merged_outside, report_vs_aggregates
from report_pipeline.parallel import per_week
from report_pipeline.publish import publish_report, rebuild_index
from report_pipeline.weeks import week_window

NOT_PUBLISHED = "No report of this run's weeks was written (earlier reports stay as they were)."


def _checks(partitions: dg.PartitionsDefinition) -> list[dg.AssetCheckSpec]:
    # both are evaluated on the report model before any file is written, and block publishing
    return [
        dg.AssetCheckSpec(
            "report_figures_match_aggregates", asset="weekly_report", partitions_def=partitions, blocking=True,
            description="The report's headline figures (PRs, highlights, lines added and deleted) equal "
                        "weekly_aggregates, and the report lists as many PRs and highlights as it counts. "
                        "Blocking: checked before writing; a mismatch publishes nothing.",
        ),
        dg.AssetCheckSpec(
            "report_prs_inside_week", asset="weekly_report", partitions_def=partitions, blocking=True,
            description="Every PR the report lists was merged inside its week (stored rows built for "
                        "another timezone are not). Blocking: checked before writing.",
        ),
    ]


def build(partitions: dg.PartitionsDefinition, config: Config) -> dg.AssetsDefinition:
    """The report asset: checks each week's model, then writes files and rebuilds the archive index."""

    @dg.asset(
        name="weekly_report",
        partitions_def=partitions,
        group_name="report",
        kinds={"jinja", "html", "markdown"},
        description=(
            "The weekly report rendered with jinja2 from weekly_aggregates: header, executive summary, "
            "key changes, module and theme trends, risk observations, highlight PRs, follow-up "
            "suggestions, contributors and every PR; Markdown and self-contained HTML per language and "
            "a versioned JSON (docs/report-json.md), written atomically under the output_dir of the "
            "resource 'settings'. "
            "Nothing is written when a blocking check fails. The stored table lists the files written."
        ),
        backfill_policy=dg.BackfillPolicy.single_run(),
        check_specs=_checks(partitions),
    )
    def weekly_report(
        context: dg.AssetExecutionContext, settings: ReportSettings, narrator: NarratorResource,
        weekly_aggregates, enriched_pull_requests, highlight_reviews,
    ):
        narrating = narrator.session(context.log)  # None without [narrator]
        weeks = {key: (repo_name, week) for key, repo_name, week in run_partitions(context)}

        def checked_model(key: str):
            repo_name, week = weeks[key]
            window = week_window(week, config.timezone)
            aggregates = for_partition(weekly_aggregates, key)
            enriched = for_partition(enriched_pull_requests, key)
            model = _model(config, repo_name, window, aggregates, enriched, for_partition(highlight_reviews, key))
            return model, report_vs_aggregates(model, aggregates), merged_outside(enriched, window)

        models, figures, outside = {}, {}, {}
        for key, (model, mismatch, misplaced) in per_week(checked_model, list(weeks)).items():
            models[key], figures[key], outside[key] = model, mismatch, misplaced
        if any(figures.values()) or any(outside.values()):
            # a run publishes all its weeks or none: Dagster records one output for the whole range
            yield from week_checks(context, "report_figures_match_aggregates", figures)
            yield from week_checks(context, "report_prs_inside_week", outside)
            stop_if_blocked(context, "report_figures_match_aggregates", figures, NOT_PUBLISHED)
            stop_if_blocked(context, "report_prs_inside_week", outside, NOT_PUBLISHED)
        if narrating is not None:  # only weeks that passed the checks; never raises, deterministic on failure
            models = {key: narrating.narrate(model, log=context.log) for key, model in models.items()}

        def published(key: str):
            rows = publish_report(models[key], settings.output_path, settings.language_tuple)
            return rows, _week_metadata(rows)

        results = {}
        for key, (rows, metadata) in per_week(published, list(models)).items():
            results[key] = pd.DataFrame(rows)
            context.add_asset_metadata(metadata, partition_key=key)
        context.log.info(_published(results))
        index = rebuild_index(settings.output_path, settings.language_tuple)
        yield dg.Output(output_value(results), metadata={"index": dg.MetadataValue.path(str(index))})
        yield from week_checks(context, "report_figures_match_aggregates", figures)
        yield from week_checks(context, "report_prs_inside_week", outside)

    return weekly_report


def _model(config: Config, repo_name: str, window, aggregates, enriched, reviews) -> dict:
    """The week's report model; reviews only where the source knows them."""
    repo = config.repository(repo_name)
    reviews_known = repo.source in ("sample", "github") or repo.enrich_from_github
    return build_report_model(
        repo_name, window, aggregates, enriched,
        reviews=reviews if reviews_known else None,
        source=repo.source, web_url=_web_url(repo.api_url),
    )


def _week_metadata(rows: list[dict]) -> dict:
    """One week's files and its Markdown report (first language), shown in the UI."""
    md = next(r for r in rows if r["format"] == "md")
    with open(md["path"], encoding="utf-8") as fh:
        text = fh.read()
    return {
        "files": dg.MetadataValue.json([{"path": r["path"], "bytes": r["bytes"]} for r in rows]),
        "report": dg.MetadataValue.md(text),
    }


def _published(results: dict[str, pd.DataFrame]) -> str:
    """One log line per run (each week's files are in its own materialization metadata)."""
    if len(results) == 1:
        key, frame = next(iter(results.items()))
        return "{} {}: ".format(*split_key(key)) + ", ".join(frame["path"])
    weeks = sorted(split_key(k) for k in results)
    repos = ", ".join(sorted({repo for repo, _ in weeks}))
    files = sum(len(f) for f in results.values())
    return (f"{repos} {min(w for _, w in weeks)} .. {max(w for _, w in weeks)}: {len(weeks)} weeks published, "
            f"{files} files (each week's are in its materialization metadata)")


def _web_url(api_url: str) -> str:
    # GitHub Enterprise Server: https://HOST/api/v3 -> https://HOST
    if api_url.rstrip("/").endswith("/api/v3"):
        return api_url.rstrip("/")[: -len("/api/v3")]
    return "https://github.com"
