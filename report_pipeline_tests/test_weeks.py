"""Week boundaries: Monday 00:00 to next Monday 00:00 in the configured timezone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from report_pipeline.config import load_config
from report_pipeline.dagster_defs.partitions import build_partitions
from report_pipeline.weeks import last_complete_week, week_of, week_window
from report_pipeline_tests.conftest import write_config


@pytest.mark.parametrize("tz", ["UTC", "Asia/Shanghai", "America/Los_Angeles"])
def test_sunday_last_second_and_monday_midnight_fall_in_different_weeks(tz):
    zone = ZoneInfo(tz)
    sunday = dt.datetime(2026, 4, 19, 23, 59, 59, tzinfo=zone)
    monday = dt.datetime(2026, 4, 20, 0, 0, 0, tzinfo=zone)
    assert week_of(sunday, tz) == "2026-04-13"
    assert week_of(monday, tz) == "2026-04-20"
    window = week_window("2026-04-13", tz)
    assert window.contains(sunday) and not window.contains(monday)
    assert week_window("2026-04-20", tz).contains(monday)


def test_same_instant_differs_by_timezone():
    # Sunday 20:00 UTC is already Monday 04:00 in Shanghai
    instant = dt.datetime(2026, 4, 19, 20, 0, tzinfo=dt.timezone.utc)
    assert week_of(instant, "UTC") == "2026-04-13"
    assert week_of(instant, "Asia/Shanghai") == "2026-04-20"


def test_dst_week_keeps_local_midnights():
    window = week_window("2026-03-23", "Europe/Berlin")  # clocks go forward on 2026-03-29
    utc = dt.timezone.utc
    # aware datetimes of one zone subtract as wall time: compare instants in UTC
    assert window.end.astimezone(utc) - window.start.astimezone(utc) == dt.timedelta(hours=167)
    assert window.end.hour == 0 and window.start.hour == 0


def test_not_a_monday_is_rejected():
    with pytest.raises(ValueError, match="is a Tuesday"):
        week_window("2026-04-14")


def test_last_complete_week():
    now = dt.datetime(2026, 11, 23, 6, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert last_complete_week(now, "Asia/Shanghai") == "2026-11-16"


@pytest.mark.parametrize("tz", ["UTC", "Asia/Shanghai"])
def test_dagster_partitions_match_week_windows(tmp_path, tz):
    """Dagster's own time windows equal ours: Monday-start, in the configured timezone."""
    config = load_config(write_config(tmp_path, timezone=f'"{tz}"'))
    weeks_def = build_partitions(config).get_partitions_def_for_dimension("week")
    keys = weeks_def.get_partition_keys(current_time=dt.datetime(2026, 11, 24, tzinfo=dt.timezone.utc))
    assert keys[0] == "2026-08-31" and keys[-1] == "2026-11-16"
    for key in keys[:3] + keys[-2:]:
        tw = weeks_def.time_window_for_partition_key(key)
        ours = week_window(key, tz)
        assert tw.start == ours.start and tw.end == ours.end
