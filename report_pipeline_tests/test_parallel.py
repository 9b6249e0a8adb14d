"""report_pipeline.parallel.per_week: the same results as a serial loop, computed in forked workers.

Real processes throughout: the work returns the pid that ran it, so a test sees where each
key was computed. The last test builds the same range of the bundled sample twice through
the CLI, with workers and without, and compares everything the two builds leave behind.
"""

from __future__ import annotations

import os
import re
import signal
import threading
from collections import Counter
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from report_pipeline.cli import main
from report_pipeline.parallel import MIN_PARALLEL, WORKERS_ENV, per_week, workers
from report_pipeline_tests.conftest import write_config

# 20 keys in an order that is neither sorted nor reversed, so "in key order" means something
KEYS = [f"week-{(i * 7) % 20:02d}" for i in range(20)]
assert sorted(KEYS) != KEYS and len(set(KEYS)) == 20


def value(key: str) -> tuple[str, int]:
    """What the work computes for ``key``: deterministic, different for every key."""
    return key.upper(), sum(map(ord, key)) * len(key)


def value_and_pid(key: str) -> tuple[tuple[str, int], int]:
    return value(key), os.getpid()


def runs_of(pids: list[int]) -> list[int]:
    """``pids`` with consecutive repeats collapsed: [a, a, b, b, a] -> [a, b, a]."""
    return [pid for i, pid in enumerate(pids) if i == 0 or pids[i - 1] != pid]


def test_workers_follows_the_environment_and_the_minimum(monkeypatch):
    monkeypatch.setenv(WORKERS_ENV, "2")
    assert workers(MIN_PARALLEL) == 2
    assert workers(100) == 2  # never more than asked for
    assert workers(MIN_PARALLEL - 1) == 1  # too few weeks to repay a fork
    assert workers(0) == 1
    for serial in ("1", "0"):
        monkeypatch.setenv(WORKERS_ENV, serial)
        assert workers(100) == 1, serial


def test_per_week_returns_every_key_in_order_computed_in_forked_workers(monkeypatch):
    monkeypatch.setenv(WORKERS_ENV, "2")
    own = os.getpid()
    result = per_week(value_and_pid, KEYS)

    assert list(result) == KEYS
    assert {k: v for k, (v, _pid) in result.items()} == {k: value(k) for k in KEYS}
    pids = [pid for _v, pid in result.values()]
    # the first key in this process (what it builds lazily the workers inherit), every other in a worker
    assert pids[0] == own
    assert own not in pids[1:]
    children = set(pids[1:])
    assert 1 <= len(children) <= 2
    # each worker takes one contiguous slice of the keys (caches keyed on shared frames work inside a slice)
    assert len(runs_of(pids[1:])) == len(children)


@pytest.mark.parametrize(("configured", "n_keys"), [("1", len(KEYS)), ("2", MIN_PARALLEL - 1)],
                         ids=["one-worker-configured", "fewer-keys-than-MIN_PARALLEL"])
def test_per_week_runs_in_this_process_when_parallel_does_not_pay(monkeypatch, configured, n_keys):
    monkeypatch.setenv(WORKERS_ENV, configured)
    keys = KEYS[:n_keys]
    result = per_week(value_and_pid, keys)
    assert list(result) == keys
    assert {k: v for k, (v, _pid) in result.items()} == {k: value(k) for k in keys}
    assert {pid for _v, pid in result.values()} == {os.getpid()}


def nested(key: str) -> tuple[int, set[int]]:
    """Work that itself spreads: where it ran, and where its own per-week work ran."""
    inner = per_week(value_and_pid, [f"{key}/{i}" for i in range(MIN_PARALLEL * 2)])
    return os.getpid(), {pid for _v, pid in inner.values()}


def test_work_that_spreads_again_inside_a_worker_runs_there_serially(monkeypatch):
    monkeypatch.setenv(WORKERS_ENV, "2")
    own = os.getpid()
    # a worker inherits the caller's state mid-spread: spreading again there would wait forever
    result = finishing(lambda: per_week(nested, KEYS), timeout=120)
    assert list(result) == KEYS
    for key, (pid, inner) in list(result.items())[1:]:
        # done by a worker (not redone here after a failure), its inner keys all in that same worker
        assert pid != own, key
        assert inner == {pid}, key
    first_pid, first_inner = result[KEYS[0]]
    assert first_pid == own and len(first_inner - {own}) >= 1  # the caller itself may spread


def lock_for(key: str):
    """A result no worker can send back (a lock cannot be pickled)."""
    return key, threading.Lock()


def test_results_that_cannot_be_sent_back_are_computed_by_the_caller(monkeypatch):
    monkeypatch.setenv(WORKERS_ENV, "2")
    result = per_week(lock_for, KEYS)
    assert list(result) == KEYS
    assert all(k == key and isinstance(lock, type(threading.Lock())) for key, (k, lock) in result.items())


class WeekFailed(Exception):
    """Raised by the work for one key; defined here so the type is checked, not just the message."""


def test_an_error_raised_in_a_worker_is_raised_in_the_caller(monkeypatch, tmp_path):
    monkeypatch.setenv(WORKERS_ENV, "2")
    own = os.getpid()
    bad = KEYS[13]  # in a worker's slice, not the first key (which runs here)
    raised_by = tmp_path / "raised_by"

    def work(key: str):
        if key == bad:
            with raised_by.open("a", encoding="utf-8") as f:
                f.write(f"{os.getpid()}\n")
            raise WeekFailed(f"no pull requests for {key}")
        return value(key)

    with pytest.raises(WeekFailed) as excinfo:
        per_week(work, KEYS)
    assert type(excinfo.value) is WeekFailed
    assert str(excinfo.value) == f"no pull requests for {bad}"
    pids = [int(line) for line in raised_by.read_text(encoding="utf-8").split()]
    # it raised in a worker first, then again here: the caller's own exception, with its own traceback
    assert pids[-1] == own and any(pid != own for pid in pids[:-1]), pids


def finishing(fn, timeout: float = 300.0):
    """``fn()``, failing the test rather than hanging it should ``fn`` never return (a guard, not a timing)."""
    outcome: dict = {}

    def target():
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        pytest.fail(f"still running after {timeout:.0f} s: hung")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.mark.parametrize("death", ["exit", "sigkill"])
def test_a_worker_that_dies_neither_hangs_nor_loses_keys(monkeypatch, tmp_path, death):
    monkeypatch.setenv(WORKERS_ENV, "2")
    own = os.getpid()
    doomed = KEYS[5]
    died = tmp_path / "died"

    def work(key: str):
        if key == doomed and os.getpid() != own:
            died.write_text(str(os.getpid()), encoding="utf-8")
            if death == "exit":
                os._exit(3)
            os.kill(os.getpid(), signal.SIGKILL)
        return value(key)

    result = finishing(lambda: per_week(work, KEYS))
    assert int(died.read_text(encoding="utf-8")) != own  # a worker really died
    assert list(result) == KEYS
    assert result == {key: work(key) for key in KEYS}  # the serial loop, here


# ---- end to end: the same backfill with workers and without --------------------------------------

REPO = "lumen-ai/lumen"
FIRST, LAST = "2026-09-07", "2026-11-16"
N_WEEKS = 11
assert N_WEEKS >= MIN_PARALLEL

# generation timestamps, the only thing allowed to differ between two builds of the same data
STAMPS = [
    (re.compile(r'"generated_at": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d"'), '"generated_at": "<stamp>"'),
    (re.compile(r"(generated automatically \(source: [^,()]+, )\d{4}-\d\d-\d\d \d\d:\d\d\)"), r"\1<stamp>)"),
]

_forks: list[int] = []
os.register_at_fork(before=lambda: _forks.append(os.getpid()))  # counts os.fork() calls of this process


def build_range(root: Path, monkeypatch, n_workers: int) -> int:
    """A project in ``root`` (as the ``project`` fixture makes one), the range built by the CLI; returns the forks made."""
    root.mkdir()
    monkeypatch.setenv("REPORT_PIPELINE_CONFIG", str(write_config(root, languages='["en"]')))
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv(WORKERS_ENV, str(n_workers))
    forks = len(_forks)
    assert main(["build", "--from", FIRST, "--to", LAST, "--repo", REPO]) == 0
    return len(_forks) - forks


def without_stamps(text: str) -> tuple[str, int]:
    """``text`` with its generation timestamps replaced by a placeholder; and how many there were."""
    stamps = 0
    for pattern, placeholder in STAMPS:
        text, n = pattern.subn(placeholder, text)
        stamps += n
    return text, stamps


def reports(root: Path) -> dict[str, str]:
    """Every file under out/reports, its generation timestamps replaced by a placeholder."""
    folder = root / "out" / "reports"
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text, stamps = without_stamps(path.read_bytes().decode("utf-8"))
        if path.name != "index.html":  # every week's file says when it was made; the pattern must find it
            assert stamps >= 1, path
        files[path.relative_to(folder).as_posix()] = text
    return files


def warehouse(root: Path) -> dict[str, pa.Table]:
    """Every table of out/warehouse; the project folder in string cells (weekly_report's paths) as ``<root>``."""
    folder = root / "out" / "warehouse"
    tables = {}
    for path in sorted(folder.rglob("*.parquet")):
        table = pq.read_table(path)
        for i, field in enumerate(table.schema):
            if pa.types.is_string(field.type):
                table = table.set_column(i, field, pc.replace_substring(table.column(i), str(root), "<root>"))
        tables[path.relative_to(folder).as_posix()] = table
    return tables


def dagster_records(root: Path) -> dict:
    """What the instance of ``$DAGSTER_HOME`` recorded: per asset and partition, per check and partition."""
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs()
        materializations: Counter = Counter()
        metadata = {}
        for key in instance.get_asset_keys():
            for record in instance.fetch_materializations(key, limit=1000).records:
                where = (key.to_user_string(), record.partition_key)
                materializations[where] += 1
                # paths name the project folder, the report's preview says when it was made; all else must be the same
                metadata[where] = {k: without_stamps(repr(v.value).replace(str(root), "<root>"))[0]
                                   for k, v in record.asset_materialization.metadata.items()}
        checks: Counter = Counter()
        for run in runs:
            for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
                e = entry.dagster_event.event_specific_data
                checks[(e.asset_key.to_user_string(), e.check_name, e.partition, e.passed)] += 1
        return {"runs": sorted((r.job_name, r.status.value) for r in runs), "materializations": materializations,
                "metadata": metadata, "checks": checks}


def test_a_backfill_with_workers_equals_the_serial_backfill(tmp_path, monkeypatch):
    serial_root, parallel_root = tmp_path / "serial", tmp_path / "parallel"
    assert build_range(serial_root, monkeypatch, 1) == 0  # nothing forked: the reference is the serial loop
    serial = reports(serial_root), warehouse(serial_root), dagster_records(serial_root)
    assert build_range(parallel_root, monkeypatch, 2) >= 2  # the pool was used
    parallel = reports(parallel_root), warehouse(parallel_root), dagster_records(parallel_root)

    (serial_reports, serial_tables, serial_records) = serial
    (parallel_reports, parallel_tables, parallel_records) = parallel
    weeks = {name.rsplit("/", 1)[-1].split(".")[0] for name in serial_reports if name != "index.html"}
    assert len(weeks) == N_WEEKS and min(weeks) == FIRST and max(weeks) == LAST
    assert len(serial_reports) == 3 * N_WEEKS + 1  # json, md, html a week; the index

    assert sorted(parallel_reports) == sorted(serial_reports)
    for name, text in serial_reports.items():
        assert parallel_reports[name] == text, name

    assert sorted(parallel_tables) == sorted(serial_tables)
    assert len(serial_tables) >= 4 * N_WEEKS
    assert all(t.num_rows for name, t in serial_tables.items() if name.startswith("enriched_pull_requests/"))
    for name, table in serial_tables.items():
        assert parallel_tables[name].equals(table, check_metadata=True), name

    assert serial_records["runs"] == [("weekly_report_job", "SUCCESS")]
    assert parallel_records == serial_records
    materializations, checks = serial_records["materializations"], serial_records["checks"]
    assets = {asset for asset, _partition in materializations}
    assert {"raw_pull_requests", "enriched_pull_requests", "weekly_aggregates", "weekly_report"} <= assets
    assert set(materializations.values()) == {1}
    assert Counter(asset for asset, _partition in materializations) == dict.fromkeys(assets, N_WEEKS)
    assert set(checks.values()) == {1}
    assert all(passed for *_where, passed in checks)
    names = {name for _asset, name, _partition, _passed in checks}
    assert len(names) >= 5
    assert Counter(name for _asset, name, _partition, _passed in checks) == dict.fromkeys(names, N_WEEKS)
