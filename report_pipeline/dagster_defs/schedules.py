"""The weekly schedule: every Monday, build last complete week's report for every repository."""


import dagster as dg

from report_pipeline.config import Config
from report_pipeline.dagster_defs.partitions import partition_key
from report_pipeline.weeks import last_complete_week

JOB_NAME = "weekly_report_job"


def build_job():
    """A job over the whole asset chain, partitioned like the assets."""
    return dg.define_asset_job(
        JOB_NAME,
        selection=dg.AssetSelection.groups("report"),
        description="Extract, enrich, aggregate and render one week of one repository.",
    )


def build_schedule(job, config: Config) -> dg.ScheduleDefinition:
    """Monday 06:00 in the configured timezone: one run per repository for the week just ended."""

    @dg.schedule(
        job=job,
        cron_schedule="0 6 * * 1",
        execution_timezone=config.timezone,
        name="weekly_report_schedule",
        description="Builds last complete week's report (Monday to Sunday) for every configured repository.",
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )
    def weekly_report_schedule(context: dg.ScheduleEvaluationContext):
        week = last_complete_week(context.scheduled_execution_time, config.timezone)
        for repo in config.repositories:
            yield dg.RunRequest(
                run_key=f"{repo.name}|{week}",
                partition_key=partition_key(repo.name, week),
                tags={"report_pipeline/source": repo.source},
            )

    return weekly_report_schedule
