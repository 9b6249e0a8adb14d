"""Cheaper event writes for a run the CLI executes against a SQLite instance.

Dagster's SQLite event storage writes each event in its own connection, and builds (and
disposes) a new SQLAlchemy engine for every one of them: a 52-week run writes ~740 events,
two or three connections each, and every new engine starts with an empty statement cache,
so each INSERT is compiled again. Profiled, that was most of the ~6 s Dagster spent on such
a run. While a CLI run executes, ``writes_eased`` keeps what does not change between events:

* one engine per shard with one pooled connection: statements are compiled once and the
  schema parsed once; every write is still its own transaction, under Dagster's lock;
* commits with ``synchronous=NORMAL`` (in WAL mode only, which Dagster's shards use):
  safe against a killed process and never corrupting, it skips an fsync per event; a power
  loss or OS crash may roll back the last commits (the run then shows as unfinished, and
  the next build marks it failed);
* the answers "this table exists" and "the asset_keys table has this column" (Dagster asks
  before every asset and check event; the column question reflects the table's schema
  each time, about a sixth of an event's cost);
* an idle read-only connection to the run's shard and the index, for when the overrides
  cannot apply: closing the last connection of a WAL database checkpoints it, so every
  event would pay a checkpoint; with a reader open, SQLite checkpoints as the WAL grows.

Only the storage object of this process changes, only for the run; other storages
(PostgreSQL keeps a pooled engine of its own) are left alone. The overrides use private
names of Dagster's SQLite storage (``_connect``, ``_initdb``, ``_db_lock``,
``_initialized_dbs``): ``writes_eased`` checks they exist and otherwise leaves the storage
as Dagster made it (slower, never wrong). Forked workers (``report_pipeline.parallel``)
inherit the pooled connections but never use them.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import dagster as dg

# Dagster batches a step's materializations of several partitions when this is set (read at
# every event): up to BATCH_SIZE of them reach store_event_batch together
BATCH_ENV = "DAGSTER_EVENT_BATCH_SIZE"
BATCH_SIZE = 1000


@contextlib.contextmanager
def writes_eased(instance: dg.DagsterInstance, run_id: str) -> Iterator[None]:
    """For the duration of the block, the instance's SQLite event storage writes with less overhead."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    storage = instance.event_log_storage
    if not isinstance(storage, SqliteEventLogStorage):
        yield
        return
    with contextlib.ExitStack() as stack:
        stack.enter_context(_shards_held_open(storage, run_id))
        if all(hasattr(storage, name) for name in ("_connect", "_initdb", "_db_lock", "_initialized_dbs")):
            stack.enter_context(_engines_kept(storage))
        yield


@contextlib.contextmanager
def _engines_kept(storage) -> Iterator[None]:
    """``storage._connect`` with one pooled engine per shard, ``store_event_batch`` in one
    transaction per shard, ``storage.has_table`` remembering tables found and
    ``_has_asset_key_col_on_connection`` columns found."""
    from dagster._core.storage.event_log.sqlite import sqlite_event_log as sel
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import QueuePool

    engines: dict = {}
    tables_found: set[str] = set()
    columns_found: set[str] = set()
    has_table = storage.has_table
    has_column = getattr(storage, "_has_asset_key_col_on_connection", None)
    batch = threading.local()  # the batch's open transactions, by shard, seen by its own thread only

    @contextlib.contextmanager
    def transaction(shard: str):
        engine = engines.get(shard)
        if engine is None:
            engine = engines[shard] = create_engine(
                storage.conn_string_for_shard(shard), poolclass=QueuePool, pool_size=1,
                connect_args={"timeout": sel.SQLITE_BUSY_TIMEOUT_SECONDS},
            )
            event.listen(engine, "connect", _commit_without_fsync)
        if shard not in storage._initialized_dbs:
            storage._initdb(engine)
            storage._initialized_dbs.add(shard)
            engine.dispose()  # a shard _initdb just created is WAL now: connect again for synchronous=NORMAL
        with engine.connect() as conn, conn.begin():
            yield conn

    @contextlib.contextmanager
    def connect(shard: str):
        held = getattr(batch, "open", None)
        if held is None:
            with storage._db_lock, transaction(shard) as conn:
                yield conn
            return
        if shard not in held:
            held[shard] = batch.stack.enter_context(transaction(shard))
        yield held[shard]

    def store_event_batch(events) -> None:
        # Dagster hands a step's materializations of many partitions over as one batch; on
        # an error nothing of it is committed and Dagster stores the events one by one
        with storage._db_lock, contextlib.ExitStack() as stack:
            batch.open, batch.stack = {}, stack
            try:
                for entry in events:
                    storage.store_event(entry)
            finally:
                batch.open = batch.stack = None

    def table_exists(name: str) -> bool:
        if name not in tables_found and has_table(name):
            tables_found.add(name)  # tables are added by migrations, never dropped during a run
        return name in tables_found

    def column_exists(conn, column_name: str) -> bool:
        assert has_column is not None  # installed only when Dagster has it
        if column_name not in columns_found and has_column(conn, column_name):
            columns_found.add(column_name)  # columns, too, are only ever added by migrations
        return column_name in columns_found

    storage._connect, storage.store_event_batch, storage.has_table = connect, store_event_batch, table_exists
    if has_column is not None:  # a private name: without it Dagster reflects the schema per event, as before
        storage._has_asset_key_col_on_connection = column_exists
    batching = BATCH_ENV not in os.environ  # a size the user set (0: no batches) is theirs
    if batching:
        os.environ[BATCH_ENV] = str(BATCH_SIZE)
    try:
        yield
    finally:
        del storage._connect, storage.store_event_batch, storage.has_table  # the class's methods again
        if has_column is not None:
            del storage._has_asset_key_col_on_connection
        if batching:
            os.environ.pop(BATCH_ENV, None)
        for engine in engines.values():
            engine.dispose()


def _commit_without_fsync(dbapi_connection, _record) -> None:
    # in rollback-journal mode NORMAL could corrupt on power loss: left at SQLite's FULL there
    if dbapi_connection.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")


@contextlib.contextmanager
def _shards_held_open(storage, run_id: str) -> Iterator[None]:
    """An idle read-only connection to the index and the run's shard while the run executes."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME

    with contextlib.ExitStack() as stack:
        for shard in (INDEX_SHARD_NAME, run_id):
            path = Path(storage.path_for_shard(shard))
            if path.exists():  # never create a shard: Dagster initialises its schema and WAL mode
                reader = stack.enter_context(contextlib.closing(
                    sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)))
                reader.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        yield
