"""The Parquet IO manager on its own, and single assets materialized with ``dg.materialize``."""

from __future__ import annotations

import dagster as dg
import pyarrow.parquet as pq
import pytest

from report_pipeline.config import load_config
from report_pipeline.dagster_defs.assets import build_assets
from report_pipeline.dagster_defs.definitions import build_definitions
from report_pipeline.dagster_defs.io import WeeklyParquetIOManager, concurrently
from report_pipeline.dagster_defs.partitions import build_partitions, partition_key
from report_pipeline.schema import RAW_SCHEMA, empty_frame
from report_pipeline.sources.sample import read_sample_week
from report_pipeline.weeks import week_window
from report_pipeline_tests.conftest import SAMPLE, SAMPLE_WEEKS, write_config

REPO = "lumen-ai/lumen"


@pytest.fixture
def config(tmp_path):
    return load_config(write_config(tmp_path, languages='["en"]'))


def raw_week(week: str):
    return read_sample_week(SAMPLE, REPO, week_window(week, "UTC"))


def key(week: str) -> str:
    return str(partition_key(REPO, week))


def range_input(io: WeeklyParquetIOManager, config, weeks: list[str], metadata: dict | None = None):
    context = dg.build_input_context(
        asset_key=dg.AssetKey("raw_pull_requests"),
        asset_partitions_def=build_partitions(config),
        asset_partition_key_range=dg.PartitionKeyRange(key(weeks[0]), key(weeks[-1])),
        definition_metadata=metadata,
    )
    return io.load_input(context)


def test_a_range_output_is_stored_per_partition_and_loads_back(tmp_path, config):
    io = WeeklyParquetIOManager(base_path=str(tmp_path / "wh"))
    frames = {key(w): raw_week(w) for w in SAMPLE_WEEKS[:3]}
    context = dg.build_output_context(
        asset_key=dg.AssetKey("raw_pull_requests"),
        asset_partitions_def=build_partitions(config),
        asset_partition_key_range=dg.PartitionKeyRange(key(SAMPLE_WEEKS[0]), key(SAMPLE_WEEKS[2])),
    )
    io.handle_output(context, frames)
    for w in SAMPLE_WEEKS[:3]:
        stored = pq.read_table(tmp_path / "wh" / "raw_pull_requests" / "lumen-ai__lumen" / f"{w}.parquet")
        assert stored.schema.names == RAW_SCHEMA.names
        assert sorted(stored.column("number").to_pylist()) == sorted(frames[key(w)]["number"])
    loaded = range_input(io, config, SAMPLE_WEEKS[:3])
    assert sorted(loaded) == sorted(frames)
    assert {k: len(v) for k, v in loaded.items()} == {k: len(v) for k, v in frames.items()}


def test_an_output_missing_a_partition_of_the_range_fails(tmp_path, config):
    io = WeeklyParquetIOManager(base_path=str(tmp_path / "wh"))
    context = dg.build_output_context(
        asset_key=dg.AssetKey("raw_pull_requests"),
        asset_partitions_def=build_partitions(config),
        asset_partition_key_range=dg.PartitionKeyRange(key(SAMPLE_WEEKS[0]), key(SAMPLE_WEEKS[1])),
    )
    with pytest.raises(dg.Failure, match="no output for partitions"):
        io.handle_output(context, {key(SAMPLE_WEEKS[0]): raw_week(SAMPLE_WEEKS[0])})


def test_missing_partitions_fail_unless_allowed(tmp_path, config):
    io = WeeklyParquetIOManager(base_path=str(tmp_path / "wh"))
    io.write("raw_pull_requests", key(SAMPLE_WEEKS[0]), raw_week(SAMPLE_WEEKS[0]))
    io.write("raw_pull_requests", key(SAMPLE_WEEKS[2]), raw_week(SAMPLE_WEEKS[2]))
    with pytest.raises(dg.Failure, match=f"raw_pull_requests has no data for {REPO}\\|{SAMPLE_WEEKS[1]}"):
        range_input(io, config, SAMPLE_WEEKS[:3])
    loaded = range_input(io, config, SAMPLE_WEEKS[:3], metadata={"allow_missing_partitions": True})
    assert sorted(loaded) == [key(SAMPLE_WEEKS[0]), key(SAMPLE_WEEKS[2])]
    # one partition: the frame itself, or a message saying how to build it
    one = dg.build_input_context(asset_key=dg.AssetKey("raw_pull_requests"), partition_key=key(SAMPLE_WEEKS[1]),
                                 asset_partitions_def=build_partitions(config))
    with pytest.raises(dg.Failure, match=f"report-pipeline build --week {SAMPLE_WEEKS[1]}"):
        io.load_input(one)


def test_a_failed_write_leaves_the_stored_partition_whole(tmp_path, monkeypatch):
    io = WeeklyParquetIOManager(base_path=str(tmp_path / "wh"))
    path = io.write("raw_pull_requests", key(SAMPLE_WEEKS[0]), raw_week(SAMPLE_WEEKS[0]))
    before = open(path, "rb").read()
    real_write = pq.write_table

    def crash_midway(table, where, **kwargs):
        # the new file is (partly) written, then the disk fills up
        real_write(table.slice(0, 1), where, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pq, "write_table", crash_midway)
    with pytest.raises(OSError, match="No space left"):
        io.write("raw_pull_requests", key(SAMPLE_WEEKS[0]), raw_week(SAMPLE_WEEKS[1]))
    assert open(path, "rb").read() == before
    assert [p.name for p in (tmp_path / "wh").rglob("*") if p.is_file()] == [f"{SAMPLE_WEEKS[0]}.parquet"]


def test_a_range_write_with_one_failing_partition_raises_its_error_and_writes_the_others_whole(tmp_path, config, monkeypatch):
    # partitions are written several at a time: an error surfaces once every write has ended
    io = WeeklyParquetIOManager(base_path=str(tmp_path / "wh"))
    weeks = SAMPLE_WEEKS
    frames = {key(w): raw_week(w) for w in weeks}
    real_write = pq.write_table

    def disk_full_for_the_second_week(table, where, **kwargs):
        if f"/{weeks[1]}.parquet." in str(where):
            raise OSError(28, "No space left on device")
        real_write(table, where, **kwargs)

    context = dg.build_output_context(
        asset_key=dg.AssetKey("raw_pull_requests"),
        asset_partitions_def=build_partitions(config),
        asset_partition_key_range=dg.PartitionKeyRange(key(weeks[0]), key(weeks[-1])),
    )
    monkeypatch.setattr(pq, "write_table", disk_full_for_the_second_week)
    with pytest.raises(OSError, match="No space left"):
        io.handle_output(context, frames)
    monkeypatch.undo()
    folder = tmp_path / "wh" / "raw_pull_requests" / "lumen-ai__lumen"  # and no temporary file left
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{w}.parquet" for w in weeks if w != weeks[1])
    for w in weeks:
        if w != weeks[1]:
            assert pq.read_table(folder / f"{w}.parquet").column("number").to_pylist() == frames[key(w)]["number"].tolist()
    loaded = range_input(io, config, weeks, metadata={"allow_missing_partitions": True})
    assert sorted(loaded) == sorted(key(w) for w in weeks if w != weeks[1])


@pytest.mark.parametrize("threads", [1, 4])
def test_concurrently_keeps_the_order_and_raises_the_first_error_once_all_are_done(threads):
    done = []

    def work(n: int) -> int:
        if n in (3, 7):
            raise ValueError(f"item {n}")
        done.append(n)
        return n * n

    assert concurrently(work, [5, 1, 4, 2], threads) == [25, 1, 16, 4]
    done.clear()
    with pytest.raises(ValueError, match="^item 7$"):
        concurrently(work, [0, 7, 1, 3, 2, 6], threads)
    assert sorted(done) == [0, 1, 2, 6]  # the items after the failures were done too


def test_an_empty_week_is_stored_with_its_schema(tmp_path):
    io = WeeklyParquetIOManager(base_path=str(tmp_path / "wh"))
    path = io.write("raw_pull_requests", key(SAMPLE_WEEKS[0]), empty_frame(RAW_SCHEMA))
    assert pq.read_table(path).schema.names == RAW_SCHEMA.names
    assert len(io.read("raw_pull_requests", key(SAMPLE_WEEKS[0]))) == 0


def test_one_asset_with_dg_materialize(tmp_path, config):
    """raw_pull_requests alone for one week, then enriched_pull_requests alone from what it stored."""
    assets = {a.key.to_user_string(): a for a in build_assets(build_partitions(config), config)}
    resources = dict(build_definitions(config).resources)  # io_manager, warehouse, github, settings
    week = SAMPLE_WEEKS[-1]
    expected = raw_week(week)
    with dg.instance_for_test() as instance:
        result = dg.materialize([assets["raw_pull_requests"]], partition_key=key(week), resources=resources,
                                instance=instance)
        assert result.success
        (mat,) = result.asset_materializations_for_node("raw_pull_requests")
        assert mat.partition == key(week) and mat.metadata["dagster/row_count"].value == len(expected)
        checks = result.get_asset_check_evaluations()
        assert {(c.check_name, c.passed, c.partition) for c in checks} == {
            ("unique_pr_numbers", True, key(week)), ("merged_inside_week", True, key(week))
        }
        result = dg.materialize([assets["raw_pull_requests"], assets["enriched_pull_requests"]],
                                selection=["enriched_pull_requests"], partition_key=key(week),
                                resources=resources, instance=instance)
        assert result.success
        (mat,) = result.asset_materializations_for_node("enriched_pull_requests")
        assert mat.metadata["dagster/row_count"].value == len(expected)
        assert mat.metadata["highlights"].value == config.highlights.count(len(expected))
