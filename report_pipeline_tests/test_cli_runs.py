"""Runs started by ``report-pipeline build``: what the UI can do with them, and what a killed build leaves.

Real instances, real processes: the re-execution goes through Dagster's GraphQL API (what the
UI's "Re-execute" button calls) with the code location of ``workspace.yaml`` served by a
gRPC code server; the killed build is a subprocess SIGKILLed while the fake GitHub stalls it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.tags import REPOSITORY_LABEL_TAG
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load import location_origins_from_yaml_paths
from dagster._core.workspace.load_target import WorkspaceFileTarget
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import QueuedRunCoordinatorDaemon
from dagster_graphql.client.query import LAUNCH_PIPELINE_REEXECUTION_MUTATION
from dagster_graphql.test.utils import execute_dagster_graphql

from report_pipeline.cli import main
from report_pipeline.dagster_defs.schedules import JOB_NAME
from report_pipeline.instance import PID_TAG, RUN_TAG, process_alive
from report_pipeline.launch import LOCATION_NAME, REPOSITORY_NAME, WORKSPACE
from report_pipeline_tests.conftest import write_config
from report_pipeline_tests.github_server import FakeGitHub, Fault, synthetic_prs

WEEK = "2026-11-16"
JOB_RUNS_QUERY = """
query($selector: PipelineSelector!) {
  pipelineOrError(params: $selector) { __typename ... on Pipeline { runs { runId status } } }
}
"""


def _wait_finished(instance: dg.DagsterInstance, run_id: str, seconds: float = 120) -> dg.DagsterRun:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        if run is not None and run.is_finished:
            return run
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} did not finish in {seconds} s")


def test_cli_run_has_the_workspace_origin_and_the_ui_reexecutes_it(project, capsys):
    assert main(["build", "--week", WEEK]) == 0
    with dg.DagsterInstance.get() as instance:
        (run,) = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.SUCCESS
        # the origin names the code location workspace.yaml defines, as the webserver's own runs do
        (workspace_origin,) = location_origins_from_yaml_paths([str(WORKSPACE)])
        origin = run.remote_job_origin
        assert origin is not None and origin.job_name == JOB_NAME
        assert origin.repository_origin.repository_name == REPOSITORY_NAME
        assert origin.repository_origin.code_location_origin.location_name == workspace_origin.location_name
        assert origin.repository_origin.code_location_origin.loadable_target_origin.module_name == \
            workspace_origin.loadable_target_origin.module_name
        label = {REPOSITORY_LABEL_TAG: f"{REPOSITORY_NAME}@{LOCATION_NAME}"}
        assert [r.run_id for r in instance.get_runs(dg.RunsFilter(tags=label))] == [run.run_id]

        with WorkspaceProcessContext(instance, WorkspaceFileTarget(paths=[str(WORKSPACE)])) as process:
            context = process.create_request_context()
            selector = {"repositoryLocationName": LOCATION_NAME, "repositoryName": REPOSITORY_NAME,
                        "pipelineName": JOB_NAME}
            # listed under the job, as the job page shows its runs and latest-run status
            listed = execute_dagster_graphql(context, JOB_RUNS_QUERY, {"selector": selector}).data
            assert [r["runId"] for r in listed["pipelineOrError"]["runs"]] == [run.run_id]
            # the UI's "Re-execute all"
            result = execute_dagster_graphql(
                context, LAUNCH_PIPELINE_REEXECUTION_MUTATION,
                {"reexecutionParams": {"parentRunId": run.run_id, "strategy": "ALL_STEPS"}},
            ).data["launchPipelineReexecution"]
            assert result["__typename"] == "LaunchRunSuccess", result
            # what dagster dev's daemon does with the queued run: launch it (a run worker process)
            with QueuedRunCoordinatorDaemon(interval_seconds=1) as daemon:
                list(daemon.run_iteration(process))
            child = _wait_finished(instance, result["run"]["runId"])
        assert child.status == dg.DagsterRunStatus.SUCCESS
        assert child.parent_run_id == run.run_id
        assert child.tags["dagster/partition"] == run.tags["dagster/partition"]
        # the child inherited the CLI's process tags, but they name the parent run: never "dead" for the CLI
        assert child.tags[RUN_TAG] == run.run_id


def _github_config(project: Path, fake: FakeGitHub) -> Path:
    repos = f'[[repositories]]\nname = "acme/widgets"\nsource = "github"\napi_url = "{fake.api_url}"\n'
    return write_config(project, repos=repos)


def _cli(project: Path, *args: str, token: str) -> subprocess.Popen:
    env = os.environ | {"GITHUB_TOKEN": token, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "report_pipeline.cli", *args], cwd=project, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _github_fake() -> FakeGitHub:
    import datetime as dt

    start = dt.datetime(2026, 11, 16, tzinfo=dt.timezone.utc)
    return FakeGitHub(prs={"acme/widgets": synthetic_prs("acme/widgets", 20, start, start + dt.timedelta(days=7))})


def _instance(project: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(project / ".dagster_home"))


def test_a_killed_build_does_not_jam_the_next(project, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME")  # the project's own instance settings: github_api pool of 1 slot
    fake = _github_fake()
    with fake.serve():
        _github_config(project, fake)
        fake.faults = [Fault("timeout", seconds=120)]  # the first search request stalls: mid-extraction
        victim = _cli(project, "build", "--week", WEEK, token=fake.token)
        try:
            deadline = time.monotonic() + 120
            while not fake.graphql_requests:
                assert victim.poll() is None, victim.communicate()
                assert time.monotonic() < deadline, "the build never reached GitHub"
                time.sleep(0.2)
            with _instance(project) as instance:
                (stuck,) = instance.get_runs()
                holders = instance.event_log_storage.get_concurrency_info("github_api").active_run_ids
                assert holders == {stuck.run_id}  # the killed run will hold the GitHub slot
            victim.send_signal(signal.SIGKILL)
        finally:
            victim.kill()
            victim.wait()
        fake.faults = []
        nxt = _cli(project, "build", "--week", WEEK, "--max-wait", "60", token=fake.token)
        out, err = nxt.communicate(timeout=240)
    assert nxt.returncode == 0, err
    assert f"marked 1 run(s) failed whose process is gone, freeing their concurrency slots: {stuck.run_id[:8]}" in err
    assert (project / "out" / "reports" / "acme" / "widgets" / f"{WEEK}.json").exists()
    with _instance(project) as instance:
        dead = instance.get_run_by_id(stuck.run_id)
        assert dead.status == dg.DagsterRunStatus.FAILURE
        assert not process_alive(dict(dead.tags))
        failure = instance.all_logs(stuck.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        assert f"pid {dead.tags[PID_TAG]}" in failure[-1].message and "is gone" in failure[-1].message
        assert instance.event_log_storage.get_concurrency_info("github_api").active_run_ids == set()


def test_a_live_holder_is_named_the_wait_is_bounded_and_recover_frees_it(project, capsys):
    """A slot held by a live process is waited for, with its name, and given up on after --max-wait."""
    from report_pipeline.instance import process_tags

    # a GitHub repository puts extraction in the github_api pool; the build never gets past the wait
    write_config(project, repos='[[repositories]]\nname = "acme/widgets"\nsource = "github"\n'
                                'api_url = "http://127.0.0.1:9/api/v3"\n')
    with dg.DagsterInstance.get() as instance:
        run_id = "ffffffff-0000-4000-8000-000000000000"
        holder = instance.create_run_for_job(dg.GraphDefinition("holder").to_job(), run_id=run_id,
                                             tags=process_tags(run_id), status=dg.DagsterRunStatus.STARTED)
        instance.event_log_storage.set_concurrency_slots("github_api", 1)
        assert instance.event_log_storage.claim_concurrency_slot("github_api", holder.run_id, "raw").is_claimed
    assert main(["build", "--week", WEEK, "--max-wait", "1"]) == 1
    err = capsys.readouterr().err
    assert ("raw_pull_requests is waiting for a slot in the concurrency pool 'github_api', "
            f"held by run ffffffff (pid {os.getpid()}") in err
    assert "gave up after 1 s waiting for a slot in the concurrency pool 'github_api'" in err
    assert "Traceback" not in err
    with dg.DagsterInstance.get() as instance:
        runs = {r.run_id: r for r in instance.get_runs()}
        assert runs[holder.run_id].status == dg.DagsterRunStatus.STARTED  # alive: left alone
        (mine,) = [r for r in runs.values() if r.run_id != holder.run_id]
        assert mine.status == dg.DagsterRunStatus.FAILURE
        info = instance.event_log_storage.get_concurrency_info("github_api")
        assert info.pending_run_ids == set() and info.active_run_ids == {holder.run_id}

    assert main(["recover"]) == 0  # the holder's process (this one) is alive: nothing to do
    assert "no run of this machine has lost its process" in capsys.readouterr().err
    assert main(["recover", "--run", "ffffffff"]) == 0  # by hand, e.g. a run whose machine is gone
    assert "run ffffffff marked failed; its concurrency slots are free" in capsys.readouterr().err
    with dg.DagsterInstance.get() as instance:
        assert instance.get_run_by_id(holder.run_id).status == dg.DagsterRunStatus.FAILURE
        assert instance.event_log_storage.get_concurrency_info("github_api").active_run_ids == set()


def test_two_builds_at_once_on_a_fresh_instance(project, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME")  # the CLI creates .dagster_home beside the configuration
    procs = [_cli(project, "build", "--week", WEEK, token="") for _ in range(2)]
    results = [p.communicate(timeout=240) + (p.returncode,) for p in procs]
    for _out, err, code in results:
        assert code == 0, err
        assert "Traceback" not in err and "sqlite" not in err.lower()
    with _instance(project) as instance:
        assert [r.status for r in instance.get_runs()] == [dg.DagsterRunStatus.SUCCESS] * 2
        assert not instance.nux_enabled  # no first-visit pop-up in the UI on the CLI's instance


@pytest.mark.parametrize(("settings", "told"), [
    ("run_storage: [\n", "while parsing a flow node"),
    ("telemetry:\n  enabled: false\nhunter2hunter2: 1\n", r'unexpected config entry "\*\*\*"'),
    ("run_storage:\n  module: not_a_module\n  class: Storage\n", "Couldn't import module not_a_module"),
    (Path(__file__).parents[1].joinpath("deploy", "dagster-postgres.yaml").read_text(encoding="utf-8"),
     r'the environment variable "DAGSTER_PG_\w+" which is not set'),
])
def test_instance_settings_that_cannot_be_used_are_told_in_a_line(project, monkeypatch, capsys, settings, told):
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "hunter2hunter2")  # never shown, even where a message quotes it
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER", "DAGSTER_PG_DB"):
        monkeypatch.delenv(name, raising=False)
    home = Path(os.environ["DAGSTER_HOME"])
    (home / "dagster.yaml").write_text(settings, encoding="utf-8")
    assert main(["build", "--week", WEEK]) == 2
    err = capsys.readouterr().err
    assert f"report-pipeline: error: cannot open the Dagster instance in {home}: " in err, err
    assert re.search(told, err) and f"fix {home / 'dagster.yaml'}" in err, err
    assert "Traceback" not in err and "Stack Trace" not in err and "hunter2" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert not (project / "out").exists()  # nothing built


def test_a_dagster_home_that_is_a_file_is_told_in_a_line(project, monkeypatch, capsys):
    blocker = project / "not_a_folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("DAGSTER_HOME", str(blocker))
    assert main(["build", "--week", WEEK]) == 2
    err = capsys.readouterr().err
    assert f"cannot use DAGSTER_HOME={blocker} as the Dagster instance folder: File exists" in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_the_ui_on_unusable_instance_settings_is_told_in_a_line_too(project, capsys):
    home = Path(os.environ["DAGSTER_HOME"])
    (home / "dagster.yaml").write_text("run_storage: [\n", encoding="utf-8")
    assert main(["ui", "--", "-p", "1"]) == 2  # told before dagster dev starts (which would print a traceback)
    err = capsys.readouterr().err
    assert f"cannot open the Dagster instance in {home}: while parsing" in err and "Traceback" not in err, err


def test_no_arguments_prints_usage(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: report-pipeline") and "a command is needed" in err


def test_output_into_a_closed_pipe_is_quiet(project):
    write_config(project, first_week='"1900-01-01"')  # 6,800 weeks: more than a pipe's buffer
    proc = subprocess.run(f"'{sys.executable}' -m report_pipeline.cli weeks | head -1", shell=True, cwd=project,
                          capture_output=True, text=True, timeout=120, env=os.environ | {"PYTHONUNBUFFERED": "0"})
    assert proc.stdout.strip() == "1900-01-01"
    assert proc.stderr == ""


@dg.op
def stopped():
    # what Dagster raises in a run when the process gets SIGINT/SIGTERM (Ctrl-C, a stopped container)
    from dagster._core.errors import DagsterExecutionInterruptedError

    raise DagsterExecutionInterruptedError()


@dg.op
def broken():
    raise ValueError("the clone at /srv/x is not a git repository")


@pytest.mark.parametrize(("op", "expected"), [
    (stopped, "interrupted (Ctrl-C or a stop signal): weeks written before it stay, each whole; "
              "build the range again to finish it"),
    (broken, "ValueError: the clone at /srv/x is not a git repository"),
])
def test_a_failed_run_is_told_once_per_cause_and_an_interruption_in_words(op, expected):
    from report_pipeline.cli import _failures

    job = dg.GraphDefinition(name=f"{op.name}_graph", node_defs=[op]).to_job()
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    # the step's failure and the run's carry the same error: one line, not two
    assert _failures(result.all_events) == [expected]
