"""The weekly schedule: every Monday, build last complete week's report for every repository."""


import dagster as dg

JOB_NAME = "weekly_report_job"


def build_job():
    """A job over the whole asset chain, partitioned like the assets."""
    return dg.define_asset_job(
        JOB_NAME,
        selection=dg.AssetSelection.groups("report"),
        description="Extract, enrich, aggregate and render one week of one repository.",
    )


def build_schedule(job):
    """Monday 06:00 in the configured timezone: one run per repository for the week just ended.

    For an asset job Dagster returns a schedule resolved with the Definitions (its
    ``UnresolvedPartitionedAssetScheduleDefinition``, not public API), hence no annotation.

    Dagster derives the cron and timezone from the weekly partitions (weeks start Monday in
    the configured timezone) and, for week x repository partitions, requests the last
    complete week of every repository, each with its own run key.
    """
    return dg.build_schedule_from_partitioned_job(
        job,
        name="weekly_report_schedule",
        description="Builds last complete week's report (Monday to Sunday) for every configured repository.",
        hour_of_day=6,
        minute_of_hour=0,
        day_of_week=1,
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )
