"""The multi-machine path on real components (run alone with ``pytest -m scaleout``).

1. Dagster on a real PostgreSQL (``deploy/dagster-postgres.yaml`` as shipped), a backfill
   submitted to the instance and carried out by ``dagster-daemon`` through the queued run
   coordinator: it completes, the run queue's tag limit and the ``github_api`` pool limit hold.
2. The warehouse on an S3 server: objects appear complete or not at all, a rebuild replaces
   them, and the reports equal a local-disk build's byte for byte except timestamps.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from report_pipeline_tests.conftest import PROJECT, write_config
from report_pipeline_tests.github_server import FakeGitHub, synthetic_prs
from report_pipeline_tests.scaleout import postgres_server, s3_server

pytestmark = pytest.mark.scaleout

GH_REPOS = ["acme/anvil", "acme/bolt", "acme/cog"]
# Dagster splits this single-run-policy backfill into one multi-week run per repository:
# three runs, so the queue's limit of two runs in progress per backfill has something to hold back
GH_WEEKS = ["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23"]
TAG = {"report_pipeline/source": "github"}


def _github_config(tmp_path: Path, fake: FakeGitHub) -> Path:
    repos = "".join(
        f'[[repositories]]\nname = "{name}"\nsource = "github"\nrules = "default"\n'
        f'graphql_url = "{fake.graphql_url}"\napi_url = "{fake.api_url}"\n'
        for name in GH_REPOS
    )
    return write_config(tmp_path, repos=repos, first_week='"2026-02-23"', languages='["en"]')


def _submit_backfill(instance, config_path: Path) -> str:
    """What the UI's *Launch backfill* does: a PartitionBackfill stored in the instance."""
    from dagster._core.execution.backfill import PartitionBackfill

    from report_pipeline.config import load_config
    from report_pipeline.dagster_defs.definitions import build_definitions

    defs = build_definitions(load_config(config_path))
    graph = defs.resolve_asset_graph()
    keys = [f"{repo}|{week}" for repo in GH_REPOS for week in GH_WEEKS]
    backfill = PartitionBackfill.from_asset_partitions(
        backfill_id=uuid.uuid4().hex[:8], asset_graph=graph, partition_names=keys,
        asset_selection=list(graph.materializable_asset_keys), backfill_timestamp=time.time(),
        tags=TAG, dynamic_partitions_store=instance, all_partitions=False,
        title="scaleout", description=None, run_config=None,
    )
    instance.add_backfill(backfill)
    return backfill.backfill_id


def _wait_for_backfill(instance, backfill_id: str, daemon: subprocess.Popen, timeout: float):
    from dagster._core.execution.backfill import BulkActionStatus

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        backfill = instance.get_backfill(backfill_id)
        if backfill.status != BulkActionStatus.REQUESTED:
            return backfill
        if daemon.poll() is not None:
            pytest.fail(f"dagster-daemon exited with {daemon.returncode}")
        time.sleep(0.5)
    pytest.fail(f"backfill {backfill_id} still {backfill.status} after {timeout:.0f} s")


def _max_overlap(intervals: list[tuple[float, float]]) -> int:
    """Most intervals open at the same moment."""
    points = sorted([(a, 1) for a, _ in intervals] + [(b, -1) for _, b in intervals])
    best = now = 0
    for _, step in points:
        now += step
        best = max(best, now)
    return best


def test_backfill_through_daemon_on_postgres(tmp_path, monkeypatch):
    import dagster as dg
    from dagster._core.storage.dagster_run import DagsterRunStatus, RunsFilter

    fake = FakeGitHub()
    start = dt.datetime(2026, 3, 2, tzinfo=dt.timezone.utc)
    for i, repo in enumerate(GH_REPOS):
        fake.add_prs(repo, synthetic_prs(repo, 24, start, start + dt.timedelta(weeks=4), seed=i))
    fake.delay = 0.3  # steps that overlapped in time would overlap requests
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(PROJECT / "deploy" / "dagster-postgres.yaml", home / "dagster.yaml")

    with postgres_server() as pg, fake.serve():
        cfg = _github_config(tmp_path, fake)
        env = {**os.environ, **pg.env(), "DAGSTER_HOME": str(home), "REPORT_PIPELINE_CONFIG": str(cfg),
               "GITHUB_TOKEN": fake.token}
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        with dg.DagsterInstance.get() as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
            backfill_id = _submit_backfill(instance, cfg)
            daemon = subprocess.Popen(
                [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-m", "report_pipeline.definitions"],
                cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "daemon.log", "wb"),
            )
            try:
                backfill = _wait_for_backfill(instance, backfill_id, daemon, timeout=240)
            finally:
                daemon.terminate()
                daemon.wait(timeout=30)
            runs = instance.get_run_records(RunsFilter(tags={"dagster/backfill": backfill_id}))
            materialized = {
                key: instance.get_materialized_partitions(dg.AssetKey(key))
                for key in ("raw_pull_requests", "weekly_report")
            }

    log = (tmp_path / "daemon.log").read_text(errors="replace")[-3000:]
    assert backfill.status.value == "COMPLETED_SUCCESS", log
    assert len(runs) >= 3 and all(r.dagster_run.status == DagsterRunStatus.SUCCESS for r in runs)
    expected = {f"{repo}|{week}" for repo in GH_REPOS for week in GH_WEEKS}
    assert {str(k) for k in materialized["raw_pull_requests"]} == expected
    assert {str(k) for k in materialized["weekly_report"]} == expected
    for repo in GH_REPOS:
        for week in GH_WEEKS:
            assert (tmp_path / "out" / "reports" / repo / f"{week}.json").exists()
    # the run queue: at most 2 runs of one backfill in progress (deploy/dagster-postgres.yaml)
    spans = [(r.start_time, r.end_time) for r in runs]
    assert all(a and b for a, b in spans)
    assert _max_overlap(spans) <= 2
    # the github_api pool (default_limit 1): one GitHub step at a time across all runs
    assert fake.graphql_requests
    assert fake.max_in_flight == 1


# -- S3 ------------------------------------------------------------------------------------------

# generated_at in JSON ("2026-11-25T17:24:05+00:00") and as shown in Markdown/HTML ("2026-11-25 17:24")
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?")
S3_WEEKS = ["2026-11-02", "2026-11-09"]


def _build(weeks: list[str]) -> None:
    from report_pipeline.cli import main as cli

    assert cli(["build", "--from", weeks[0], "--to", weeks[-1]]) == 0


def _reports(folder: Path) -> dict[str, str]:
    """Every report file's text with timestamps blanked (generated_at and the like)."""
    return {str(p.relative_to(folder)): _STAMP.sub("<time>", p.read_text(encoding="utf-8"))
            for p in sorted(folder.rglob("*")) if p.is_file()}


class _Watcher(threading.Thread):
    """Lists the bucket over and over and opens every object seen: each must be whole Parquet."""

    def __init__(self, client, bucket: str):
        super().__init__(daemon=True)
        self.client, self.bucket = client, bucket
        self.stop = threading.Event()
        self.seen: set[str] = set()
        self.broken: list[str] = []

    def run(self) -> None:
        import io

        import pyarrow.parquet as pq

        while not self.stop.is_set():
            for obj in self.client.list_objects_v2(Bucket=self.bucket).get("Contents", []):
                key = obj["Key"]
                if key.endswith("/"):
                    continue  # pyarrow's empty directory markers
                try:
                    body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
                except self.client.exceptions.NoSuchKey:
                    continue  # replaced between listing and reading
                self.seen.add(key)
                try:
                    pq.read_table(io.BytesIO(body))
                except Exception as exc:  # any unreadable object is the failure being tested
                    self.broken.append(f"{key}: {exc}")


def _moto_api(endpoint: str, action: str) -> str:
    """moto's request recorder: ``start-recording``, ``stop-recording`` (POST) or ``download-recording``."""
    import urllib.request

    method = "GET" if action.startswith("download") else "POST"
    with urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/recorder/{action}", method=method)) as r:
        return r.read().decode("utf-8")


def _objects(client, bucket: str) -> dict[str, dict]:
    """The bucket's objects by key, without pyarrow's empty directory markers."""
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: o for o in listed if not o["Key"].endswith("/")}


def test_warehouse_on_s3_matches_local_disk(tmp_path, monkeypatch):
    import boto3

    bucket = "warehouse"
    monkeypatch.chdir(tmp_path)  # moto's request recorder writes ./moto_recording
    with s3_server(bucket) as endpoint:
        _moto_api(endpoint, "start-recording")
        for k, v in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
                     "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint}.items():
            monkeypatch.setenv(k, v)
        client = boto3.client("s3", endpoint_url=endpoint)
        runs = {}
        for name, warehouse in (("local", '"out/warehouse"'), ("s3", f'"s3://{bucket}/report_pipeline"')):
            folder = tmp_path / name
            folder.mkdir()
            cfg = write_config(folder, warehouse_dir=warehouse, languages='["en"]')
            home = folder / "home"
            home.mkdir()
            (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
            monkeypatch.setenv("REPORT_PIPELINE_CONFIG", str(cfg))
            monkeypatch.setenv("DAGSTER_HOME", str(home))
            watcher = _Watcher(client, bucket) if name == "s3" else None
            if watcher:
                watcher.start()
            try:
                _build(S3_WEEKS)
            finally:
                if watcher:
                    watcher.stop.set()
                    watcher.join(timeout=30)
            runs[name] = _reports(folder / "out" / "reports")

        first = _objects(client, bucket)
        _build(S3_WEEKS[-1:])  # rebuild one week over the S3 warehouse
        second = _objects(client, bucket)
        listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
        recorded = [json.loads(line) for line in _moto_api(endpoint, "download-recording").splitlines()]
        _moto_api(endpoint, "stop-recording")

    for name in runs["local"]:
        assert runs["s3"].get(name) == runs["local"][name], "\n".join(difflib.unified_diff(
            runs["local"][name].splitlines(), (runs["s3"].get(name) or "").splitlines(), lineterm="", n=0))[:3000]
    assert set(runs["s3"]) == set(runs["local"])
    assert len(runs["s3"]) > 4
    assert watcher.seen and not watcher.broken, watcher.broken[:3]
    assets = ("raw_pull_requests", "enriched_pull_requests", "weekly_aggregates", "weekly_report")
    for asset in assets:
        for week in S3_WEEKS:
            assert f"report_pipeline/{asset}/lumen-ai__lumen/{week}.parquet" in first
    assert all(k.endswith(".parquet") for k in first), sorted(first)  # no temporary objects left
    assert set(second) == set(first)
    # partition objects only: no folder markers, which cost requests on every write
    assert [o["Key"] for o in listed if o["Key"].endswith("/")] == []
    # each partition in as few round trips as S3 allows: written with one PUT (no multipart
    # upload of a few KB), read with one GET after a HEAD (not pyarrow's dataset discovery)
    ours = [(r["method"], r["url"].split("?")[0], r["url"].partition("?")[2]) for r in recorded
            if "aws-sdk-cpp" in r["headers"].get("User-Agent", "")]  # the build's (pyarrow's), not the watcher's
    puts = [url for method, url, _ in ours if method == "PUT"]
    gets = [url for method, url, _ in ours if method == "GET" and url.endswith(".parquet")]
    heads = [url for method, url, _ in ours if method == "HEAD" and url.endswith(".parquet")]
    assert not [q for _, _, q in ours if "upload" in q], "multipart uploads"
    assert sorted(set(puts)) == sorted({u for u in puts if u.endswith(".parquet")}) and len(puts) >= len(first)
    assert len(puts) == 3 * len(first) // 2  # two weeks written, then one of them again: one PUT each
    assert gets and all(heads.count(url) <= gets.count(url) for url in set(gets)), (len(heads), len(gets))
    rebuilt = [k for k in first if k.endswith(f"/{S3_WEEKS[-1]}.parquet")]
    kept = [k for k in first if k.endswith(f"/{S3_WEEKS[0]}.parquet")]
    assert all(second[k]["LastModified"] >= first[k]["LastModified"] for k in rebuilt)
    assert any(second[k]["ETag"] != first[k]["ETag"] or second[k]["LastModified"] > first[k]["LastModified"]
               for k in rebuilt)
    assert all(second[k]["ETag"] == first[k]["ETag"] for k in kept)
