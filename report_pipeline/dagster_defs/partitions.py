"""Week × repository partitions: weeks run Monday 00:00 to next Monday 00:00 in the configured timezone."""

from __future__ import annotations

import dagster as dg

from report_pipeline.config import Config

WEEK = "week"
REPO = "repo"


def build_partitions(config: Config) -> dg.MultiPartitionsDefinition:
    """The partitions of every asset: one per configured repository and week."""
    weeks = dg.WeeklyPartitionsDefinition(
        start_date=config.first_week,
        # Dagster's weekly partitions start on Sunday unless told otherwise: 1 = Monday
        day_offset=1,
        timezone=config.timezone,
        fmt="%Y-%m-%d",
    )
    repos = dg.StaticPartitionsDefinition([r.name for r in config.repositories])
    return dg.MultiPartitionsDefinition({WEEK: weeks, REPO: repos})


def partition_key(repo: str, week: str) -> dg.MultiPartitionKey:
    """The partition key of ``repo`` in the week starting Monday ``week``."""
    return dg.MultiPartitionKey({REPO: repo, WEEK: week})


def split_key(key: str | dg.MultiPartitionKey) -> tuple[str, str]:
    """``(repo, week)`` of a partition key."""
    if isinstance(key, dg.MultiPartitionKey):
        dims = key.keys_by_dimension
        return dims[REPO], dims[WEEK]
    # the serialized form joins dimensions in name order: "repo|week"
    repo, week = str(key).split("|", 1)
    return repo, week
