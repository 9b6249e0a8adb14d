"""The Dagster instance the command line uses: where it lives, opening it safely, dead runs.

Every ``report-pipeline`` command and ``report-pipeline ui`` find the instance the same way:
``$DAGSTER_HOME``, else ``.dagster_home`` beside the configuration file. A new instance is
created and migrated under a file lock, so two builds started at once on a fresh machine
do not race on SQLite's schema. Runs started by the CLI record the process that runs them
(host, pid, the pid's start time); a later build marks runs whose process is gone as
failed and frees the concurrency slots they held, so a killed build never jams the next.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout

from report_pipeline.config import PROJECT_ROOT, Config

if TYPE_CHECKING:
    import dagster as dg

HOST_TAG = "report_pipeline/host"
PID_TAG = "report_pipeline/pid"
PID_START_TAG = "report_pipeline/pid_start"
# the run a process record belongs to: a re-execution from the UI inherits the parent's tags,
# and must not be mistaken for the (finished) CLI process that ran the parent
RUN_TAG = "report_pipeline/run"
LOCK_FILE = ".report_pipeline.lock"
UNFINISHED = ["NOT_STARTED", "STARTING", "STARTED", "CANCELING"]  # DagsterRunStatus values, without importing Dagster
# One "materialization planned" event per asset for a run over many weeks, carrying the
# weeks as a partition subset, instead of one event per week: a 52-week run wrote 312 of
# them before its first step. Dagster reads this in the process that creates the run (the
# CLI here, `report-pipeline ui`'s dagster dev for UI backfills, which inherits it). The
# price, per Dagster: weeks of a failed range run show as missing, not failed; the run
# itself shows as failed with its error.
PLANNED_SUBSET_ENV = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"
DEFAULT_SETTINGS = "telemetry:\n  enabled: false\nnux:\n  enabled: false\n"


class InstanceBusyError(Exception):
    """Waiting for the instance (its lock or a concurrency slot) took longer than allowed."""


class InstanceSettingsError(Exception):
    """The instance's ``dagster.yaml`` cannot be read, or names storage that cannot be opened."""


def dagster_home(config: Config) -> Path:
    """``$DAGSTER_HOME``, else ``.dagster_home`` beside the configuration; created with its settings."""
    env = os.environ.get("DAGSTER_HOME")
    if env:
        home = Path(env).expanduser().resolve()
    else:
        base = config.path.resolve().parent if config.path else PROJECT_ROOT
        home = base / ".dagster_home"
    settings = home / "dagster.yaml"
    try:
        home.mkdir(parents=True, exist_ok=True)
        if not settings.exists():
            # the project's default instance settings: GitHub pool limit, run queue limits, no telemetry
            template = PROJECT_ROOT / "deploy" / "dagster.yaml"
            text = template.read_text(encoding="utf-8") if template.exists() else DEFAULT_SETTINGS
            _write_atomic(settings, text)
    except OSError as exc:  # a file in the way, no permission, a read-only disk
        where = f"DAGSTER_HOME={env}" if env else str(home)
        raise InstanceSettingsError(
            f"cannot use {where} as the Dagster instance folder: {exc.strerror or exc} "
            f"({exc.filename or home}); point DAGSTER_HOME at a writable folder") from None
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault(PLANNED_SUBSET_ENV, "1")
    return home


@contextlib.contextmanager
def open_instance(home: Path, wait_seconds: float) -> Iterator[dg.DagsterInstance]:
    """The instance in ``home``, created and migrated under ``home``'s file lock."""
    import dagster as dg

    lock = FileLock(str(home / LOCK_FILE))
    with hold(lock, f"the Dagster instance in {home} (another report-pipeline is creating it)", wait_seconds):
        with _settings_errors_told(home):
            instance = dg.DagsterInstance.from_config(str(home))
            # SQLite storages create and migrate their schema on first use: do it while we hold the lock
            instance.get_runs(limit=1)
            instance.event_log_storage.get_pool_limits()
            if instance.schedule_storage is not None:
                instance.schedule_storage.all_instigator_state()
    with instance:
        yield instance


@contextlib.contextmanager
def _settings_errors_told(home: Path) -> Iterator[None]:
    """Errors of reading ``dagster.yaml`` and opening its storages as one ``InstanceSettingsError``.

    A malformed file, an unknown key, a storage class that cannot be imported, an unset
    environment variable or a database that refuses the connection: each is a setting to
    fix, told in one line, not a traceback. Values of secret-looking environment variables
    (a database password) are masked, since drivers may quote what they were given.
    """
    import yaml
    from dagster import DagsterError
    from dagster._check import CheckError
    from sqlalchemy.exc import SQLAlchemyError

    told: tuple[type[BaseException], ...] = (yaml.YAMLError, DagsterError, CheckError, SQLAlchemyError, OSError)
    try:
        from dagster_postgres.utils import DagsterPostgresException  # raised after its connection retries

        told += (DagsterPostgresException,)
    except ImportError:
        pass
    try:
        yield
    except told as exc:
        errors = [getattr(e, "message", "") for e in getattr(exc, "errors", None) or []]
        # Dagster's config errors say what is wrong in .errors; str() lists the whole schema
        text = " ".join(" ".join(errors).split() if any(errors) else str(exc).split()) or type(exc).__name__
        text = text.split(" Stack Trace:")[0]  # an unset environment variable's error carries one
        if exc.__cause__ is not None:  # "too many retries for DB connection": and why it failed
            text += ": " + (str(exc.__cause__).strip().splitlines() or [type(exc.__cause__).__name__])[0]
        for name, value in os.environ.items():
            if len(value) >= 6 and any(w in name.upper() for w in ("PASSWORD", "TOKEN", "SECRET", "KEY")):
                text = text.replace(value, "***")
        if len(text) > 400:
            text = text[:400] + " …"
        raise InstanceSettingsError(
            f"cannot open the Dagster instance in {home}: {text} (fix {home / 'dagster.yaml'}, "
            "or set DAGSTER_HOME to another folder)") from None


@contextlib.contextmanager
def hold(lock: FileLock, what: str, wait_seconds: float) -> Iterator[None]:
    """Hold ``lock``; if someone else has it, say what we wait for, and give up after ``wait_seconds``."""
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(f"report-pipeline: waiting up to {wait_seconds:g} s for {what}", file=sys.stderr)
        try:
            lock.acquire(timeout=wait_seconds)
        except Timeout:
            raise InstanceBusyError(
                f"gave up after {wait_seconds:g} s waiting for {what} (lock file {lock.lock_file}); "
                "raise --max-wait or check which process holds it"
            ) from None
    try:
        yield
    finally:
        lock.release()


# -- the process behind a run --------------------------------------------


def process_tags(run_id: str) -> dict[str, str]:
    """Tags naming this process as the one executing ``run_id``."""
    pid = os.getpid()
    tags = {HOST_TAG: socket.gethostname(), PID_TAG: str(pid), RUN_TAG: run_id}
    start = _process_start(pid)
    if start is not None:
        tags[PID_START_TAG] = start
    return tags


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux ``/proc``), None elsewhere or if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()  # the command name may hold spaces and parentheses
    if len(fields) < 20 or fields[0] == "Z":  # a zombie has finished running
        return None
    return fields[19]  # field 22 of proc(5); fields here start at field 3


def process_alive(tags: dict[str, str]) -> bool:
    """Whether the process named by a run's tags still runs (same pid *and* same start: pids get reused)."""
    pid = int(tags[PID_TAG])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    if Path("/proc/self/stat").exists():
        start = _process_start(pid)
        if start is None or (PID_START_TAG in tags and start != tags[PID_START_TAG]):
            return False
    return True


@dataclass(frozen=True)
class DeadRun:
    run_id: str
    pid: str
    job_name: str


def fail_dead_runs(instance: dg.DagsterInstance) -> list[DeadRun]:
    """Mark runs of this host whose CLI process is gone as failed and free their concurrency slots."""
    import dagster as dg

    host = socket.gethostname()
    runs = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus(v) for v in UNFINISHED], tags={HOST_TAG: host}))
    dead = []
    for run in runs:
        tags = dict(run.tags)
        if tags.get(RUN_TAG) != run.run_id or not tags.get(PID_TAG, "").isdigit() or process_alive(tags):
            continue
        instance.report_run_failed(
            run,
            message=(f"The process running this run (pid {tags[PID_TAG]} on {host}) is gone: it was killed "
                     "or the machine stopped. Marked failed by report-pipeline, which freed its concurrency slots."),
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        dead.append(DeadRun(run.run_id, tags[PID_TAG], run.job_name))
    return dead


def fail_run(instance: dg.DagsterInstance, run_id: str) -> str:
    """Mark the run ``run_id`` (or the one run starting with it) failed and free its slots; what was done."""
    import dagster as dg

    run = instance.get_run_by_id(run_id) if len(run_id) == 36 else None
    if run is None:
        unfinished = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus(v) for v in UNFINISHED]))
        matches = [r for r in unfinished if r.run_id.startswith(run_id)]
        if len(matches) != 1:
            raise InstanceBusyError(f"--run {run_id}: {'no' if not matches else 'more than one'} unfinished run "
                                    "has that id; copy it from the UI's Runs page")
        run = matches[0]
    if not run.is_finished:
        instance.report_run_failed(run, message="Marked failed by `report-pipeline recover --run`: its process "
                                                "is gone (stuck run recovered by hand).")
    instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
    state = "already finished" if run.is_finished else "marked failed"
    return f"run {run.run_id[:8]} {state}; its concurrency slots are free"


def describe_run(instance: dg.DagsterInstance, run_id: str) -> str:
    """``run 1a2b3c4d (pid 4242 on host, started 16:05 UTC)`` for messages about who holds what."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        return f"run {run_id[:8]}"
    where = f"pid {run.tags[PID_TAG]} on {run.tags.get(HOST_TAG, '?')}" if PID_TAG in run.tags else "started outside the CLI"
    return f"run {run_id[:8]} ({where})"


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
