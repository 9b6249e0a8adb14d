"""report_pipeline.sqlite_events.writes_eased on real Dagster instances: every event stored, nothing left behind.

The SQLite instances are Dagster's own (``dg.instance_for_test``: a temporary directory
with the default SQLite storages); runs are real job executions. What a connection does is
read back from SQLite itself (PRAGMA), and open files from /proc/self/fd.
"""

from __future__ import annotations

import inspect
import os
import sqlite3
from collections import Counter
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.event_log.sqlite import sqlite_event_log as sel
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.utils import make_new_run_id

from report_pipeline.sqlite_events import writes_eased

WEEKS = dg.StaticPartitionsDefinition(["2026-11-09", "2026-11-16"])
SQLITE_SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


@dg.asset(partitions_def=WEEKS, check_specs=[dg.AssetCheckSpec("positive", asset="pr_counts")])
def pr_counts(context):
    yield dg.Output(len(context.partition_key), metadata={"week": context.partition_key})
    yield dg.AssetCheckResult(check_name="positive", passed=True, metadata={"week": context.partition_key})


@dg.asset(partitions_def=WEEKS, deps=[pr_counts])
def weekly_summary(context):
    context.log.info(f"summarised {context.partition_key}")
    return 1


JOB = dg.Definitions(assets=[pr_counts, weekly_summary], jobs=[dg.define_asset_job("weeks_job")]).resolve_job_def("weeks_job")

RANGE = ["2026-10-19", "2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16"]


@dg.asset(partitions_def=dg.StaticPartitionsDefinition(RANGE), backfill_policy=dg.BackfillPolicy.single_run())
def week_sizes(context) -> None:
    """A step over a range of partitions, as the pipeline's range runs are: one materialization per week."""
    for key in context.partition_keys:
        context.add_asset_metadata({"week": key}, partition_key=key)


RANGE_JOB = dg.Definitions(assets=[week_sizes], jobs=[dg.define_asset_job("range_job")]).resolve_job_def("range_job")


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        assert isinstance(instance.event_log_storage, SqliteEventLogStorage)
        yield instance


def pragma(conn, name: str):
    return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


def overrides(storage) -> set[str]:
    """The storage's methods shadowed by attributes of the object itself."""
    return {name for name in vars(storage) if callable(getattr(type(storage), name, None))}


def assert_restored(storage, shadowed: set[str]) -> None:
    """Nothing shadows the class's methods any more: ``shadowed`` are the class's own again."""
    assert overrides(storage) == set()
    for name in shadowed:
        assert getattr(storage, name).__func__ is getattr(SqliteEventLogStorage, name), name


def open_descriptors(path: str) -> int:
    """How many file descriptors of this process are open on ``path`` (Linux)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}") == path
        except OSError:  # closed meanwhile (the listing's own descriptor)
            pass
    return count


def run_event_types(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """The run's stored Dagster events, in order."""
    return [e.dagster_event.event_type_value for e in instance.all_logs(run_id) if e.is_dagster_event]


RUN_SUCCESS = dg.DagsterEventType.RUN_SUCCESS.value


def test_events_written_inside_the_block_are_all_stored_and_the_storage_is_restored(instance):
    storage = instance.event_log_storage
    run_id = make_new_run_id()
    index = storage.path_for_shard(sel.INDEX_SHARD_NAME)
    environment = dict(os.environ)
    with writes_eased(instance, run_id):
        shadowed = overrides(storage)
        assert {"_connect", "has_table", "_has_asset_key_col_on_connection"} <= shadowed  # applied: no silent fallback
        result = JOB.execute_in_process(instance=instance, partition_key="2026-11-16", run_id=run_id)
        instance.report_runless_asset_event(dg.AssetMaterialization("reported_elsewhere", partition="2026-11-16"))
        # the index shard: one pooled connection, in WAL mode, committing with synchronous=NORMAL
        with storage.index_connection() as conn:
            first = conn.connection.dbapi_connection
            assert pragma(conn, "journal_mode") == "wal"
            assert SQLITE_SYNCHRONOUS[pragma(conn, "synchronous")] == "NORMAL"
        with storage.index_connection() as conn:
            assert conn.connection.dbapi_connection is first
        # has_table answers as Dagster's does; only tables found are remembered, so one created later is seen
        assert storage.has_table("event_logs") and storage.has_table("asset_check_executions")
        assert not storage.has_table("added_later")
        with sqlite3.connect(index) as db:
            db.execute("CREATE TABLE added_later (id INTEGER)")
        db.close()
        assert storage.has_table("added_later")
        # so does the asset_keys column question: a column added later is seen too
        with storage.index_connection() as conn:
            assert storage._has_asset_key_col_on_connection(conn, "last_materialization_timestamp")
            assert not storage._has_asset_key_col_on_connection(conn, "added_later")
        with sqlite3.connect(index) as db:
            db.execute("ALTER TABLE asset_keys ADD COLUMN added_later TEXT")
        db.close()
        with storage.index_connection() as conn:
            assert storage._has_asset_key_col_on_connection(conn, "added_later")
    assert result.success

    # the class's methods again, no attribute left on the object, the environment as it was, every connection closed
    assert_restored(storage, shadowed)
    assert dict(os.environ) == environment
    assert open_descriptors(index) == 0

    # everything the run emitted is stored, read back through a new instance on the same directory
    with dg.DagsterInstance.from_ref(instance.get_ref()) as fresh:
        stored = run_event_types(fresh, run_id)
        # the run's events in the order they were emitted; before them, those of the run's creation
        planned = [t for t in stored if t.endswith("_PLANNED")]
        assert Counter(planned) == {"ASSET_MATERIALIZATION_PLANNED": 2, "ASSET_CHECK_EVALUATION_PLANNED": 1}
        assert [t for t in stored if t not in planned] == [e.event_type_value for e in result.all_events]
        assert stored.count("ASSET_MATERIALIZATION") == 2 and stored[-1] == RUN_SUCCESS
        assert any("summarised 2026-11-16" in e.user_message for e in fresh.all_logs(run_id) if not e.is_dagster_event)
        for asset in ("pr_counts", "weekly_summary", "reported_elsewhere"):
            records = fresh.fetch_materializations(dg.AssetKey(asset), limit=10).records
            assert [r.partition_key for r in records] == ["2026-11-16"], asset
        (evaluation,) = [e.dagster_event.event_specific_data
                         for e in fresh.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)]
        assert evaluation.passed and evaluation.metadata["week"].value == "2026-11-16"
        check = fresh.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("pr_counts"), "positive")])
        assert check[dg.AssetCheckKey(dg.AssetKey("pr_counts"), "positive")].run_id == run_id

    # and the storage, as Dagster made it, goes on writing
    later = JOB.execute_in_process(instance=instance, partition_key="2026-11-09")
    assert later.success and run_event_types(instance, later.run_id)[-1] == RUN_SUCCESS
    assert len(instance.fetch_materializations(dg.AssetKey("pr_counts"), limit=10).records) == 2


def test_a_run_over_a_range_of_partitions_stores_each_partitions_materialization(instance):
    storage = instance.event_log_storage
    run_id = make_new_run_id()
    with writes_eased(instance, run_id):
        shadowed = overrides(storage)
        result = RANGE_JOB.execute_in_process(instance=instance, run_id=run_id, tags={
            "dagster/asset_partition_range_start": RANGE[0], "dagster/asset_partition_range_end": RANGE[-1]})
    assert result.success
    assert_restored(storage, shadowed)
    with dg.DagsterInstance.from_ref(instance.get_ref()) as fresh:
        stored = run_event_types(fresh, run_id)
        assert [t for t in stored if not t.endswith("_PLANNED")] == [e.event_type_value for e in result.all_events]
        assert stored.count("ASSET_MATERIALIZATION") == len(RANGE) and stored[-1] == RUN_SUCCESS
        records = fresh.fetch_materializations(dg.AssetKey("week_sizes"), limit=100).records
        assert sorted(r.partition_key for r in records) == RANGE
        assert all(r.run_id == run_id for r in records)
        assert all(r.asset_materialization.metadata["week"].value == r.partition_key for r in records)
        assert fresh.get_materialized_partitions(dg.AssetKey("week_sizes")) == set(RANGE)


@pytest.mark.parametrize(("journal_mode", "synchronous"), [("wal", "NORMAL"), ("delete", "FULL")])
def test_synchronous_normal_only_in_wal_mode(instance, journal_mode, synchronous):
    storage = instance.event_log_storage
    index = storage.path_for_shard(sel.INDEX_SHARD_NAME)
    with sqlite3.connect(index) as db:  # Dagster made it WAL; a rollback journal is what NORMAL would endanger
        assert db.execute(f"PRAGMA journal_mode={journal_mode}").fetchone()[0] == journal_mode
    db.close()
    with writes_eased(instance, make_new_run_id()):
        assert {"_connect", "has_table"} <= overrides(storage)
        with storage.index_connection() as conn:
            assert pragma(conn, "journal_mode") == journal_mode
            assert SQLITE_SYNCHRONOUS[pragma(conn, "synchronous")] == synchronous
        instance.report_runless_asset_event(dg.AssetMaterialization("reported_elsewhere"))
    assert len(instance.fetch_materializations(dg.AssetKey("reported_elsewhere"), limit=10).records) == 1


def test_a_runs_shard_created_inside_the_block_commits_with_synchronous_normal_too(instance):
    storage = instance.event_log_storage
    run_id = make_new_run_id()
    assert not Path(storage.path_for_shard(run_id)).exists()
    with writes_eased(instance, run_id):
        assert JOB.execute_in_process(instance=instance, partition_key="2026-11-09", run_id=run_id).success
        with storage.run_connection(run_id) as conn:  # created (and made WAL by Dagster) during the run
            assert pragma(conn, "journal_mode") == "wal"
            assert SQLITE_SYNCHRONOUS[pragma(conn, "synchronous")] == "NORMAL"


def test_a_batch_size_the_user_set_is_kept(instance, monkeypatch):
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "0")  # no batches, by choice
    with writes_eased(instance, make_new_run_id()):
        assert os.environ["DAGSTER_EVENT_BATCH_SIZE"] == "0"
    assert os.environ["DAGSTER_EVENT_BATCH_SIZE"] == "0"
    monkeypatch.delenv("DAGSTER_EVENT_BATCH_SIZE")
    with writes_eased(instance, make_new_run_id()):
        assert int(os.environ["DAGSTER_EVENT_BATCH_SIZE"]) > 1  # a range's materializations in one batch
    assert "DAGSTER_EVENT_BATCH_SIZE" not in os.environ


def test_the_index_and_the_runs_shard_are_held_open_only_while_the_block_runs_and_never_created(instance):
    storage = instance.event_log_storage
    index = storage.path_for_shard(sel.INDEX_SHARD_NAME)
    earlier = JOB.execute_in_process(instance=instance, partition_key="2026-11-09")
    shard = storage.path_for_shard(earlier.run_id)
    absent = make_new_run_id()
    assert open_descriptors(index) == open_descriptors(shard) == 0
    with writes_eased(instance, earlier.run_id):
        assert open_descriptors(index) == 1 and open_descriptors(shard) == 1  # an idle reader on each
    assert open_descriptors(index) == open_descriptors(shard) == 0
    with writes_eased(instance, absent):
        assert open_descriptors(index) == 1
        assert not Path(storage.path_for_shard(absent)).exists()  # Dagster creates a shard, with its schema
    assert not Path(storage.path_for_shard(absent)).exists()


def test_an_error_inside_the_block_propagates_and_restores_the_storage(instance):
    storage = instance.event_log_storage
    environment = dict(os.environ)
    with pytest.raises(RuntimeError, match="^step failed$"), writes_eased(instance, make_new_run_id()):
        shadowed = overrides(storage)
        assert {"_connect", "has_table"} <= shadowed
        raise RuntimeError("step failed")
    assert_restored(storage, shadowed)
    assert dict(os.environ) == environment
    assert open_descriptors(storage.path_for_shard(sel.INDEX_SHARD_NAME)) == 0


def test_the_private_names_writes_eased_relies_on_exist_in_the_installed_dagster(instance):
    # writes_eased falls back to Dagster's own (slower) path when one is missing: an upgrade renaming one fails here
    storage = instance.event_log_storage
    for name in ("_connect", "_initdb", "_db_lock", "_initialized_dbs"):
        assert hasattr(storage, name), name
    assert isinstance(storage._initialized_dbs, set)
    with storage._db_lock:  # a lock writes_eased takes around each write, as Dagster's _connect does
        assert storage._db_lock.locked()
    assert list(inspect.signature(storage._connect).parameters) == ["shard"]
    assert list(inspect.signature(storage._initdb).parameters)[0] == "engine"
    assert list(inspect.signature(storage.has_table).parameters) == ["table_name"]
    assert list(inspect.signature(storage._has_asset_key_col_on_connection).parameters) == ["conn", "column_name"]
    with storage._connect(sel.INDEX_SHARD_NAME) as conn:  # a context manager yielding a connection in a transaction
        assert conn.in_transaction() and conn.exec_driver_sql("SELECT 1").scalar() == 1
    # the public helpers and constants it uses
    assert storage.conn_string_for_shard("x").startswith("sqlite:///")
    assert storage.path_for_shard("x") == os.path.join(os.path.dirname(storage.path_for_shard("y")), "x.db")
    assert isinstance(sel.SQLITE_BUSY_TIMEOUT_SECONDS, int | float) and sel.SQLITE_BUSY_TIMEOUT_SECONDS > 0
    assert storage.has_table("event_logs")


def test_an_event_storage_that_is_not_sqlite_is_left_untouched():
    with dg.DagsterInstance.ephemeral() as instance:
        storage = instance.event_log_storage
        assert not isinstance(storage, SqliteEventLogStorage)
        before = dict(vars(storage))
        objects = {k: v for k, v in before.items() if not isinstance(v, int)}  # ints: counters, moved by writes
        run_id = make_new_run_id()
        with writes_eased(instance, run_id):
            assert set(vars(storage)) == set(before)
            assert all(vars(storage)[k] is v for k, v in objects.items())
            result = JOB.execute_in_process(instance=instance, partition_key="2026-11-16", run_id=run_id)
        assert set(vars(storage)) == set(before)
        assert all(vars(storage)[k] is v for k, v in objects.items())
        assert result.success and run_event_types(instance, run_id)[-1] == RUN_SUCCESS
        assert len(instance.fetch_materializations(dg.AssetKey("pr_counts"), limit=10).records) == 1
