"""Runs the CLI starts: created with the code location's origin, executed in this process.

``job.execute_in_process`` records runs without an origin: the UI lists them under no
code location and "Re-execute" fails on them. Here a run is created the way the
webserver's launcher creates one (remote job origin naming the code location of
``workspace.yaml``, code origin of ``report_pipeline.definitions``) and then executed in
this process, as a run worker would (``execute_run``): no gRPC server to start, and the
UI can re-execute the run and lists it under the job.

The job runs on ``bounded_executor``'s in-process executor: a step waiting for a slot in a
concurrency pool says which pool and who holds it, and fails the run after the allowed wait.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from report_pipeline.config import PROJECT_ROOT
from report_pipeline.instance import process_tags
from report_pipeline.sqlite_events import writes_eased

if TYPE_CHECKING:
    import dagster as dg

CODE_MODULE = "report_pipeline.definitions"
LOCATION_NAME = "report_pipeline"  # workspace.yaml's location_name and pyproject's code_location_name
REPOSITORY_NAME = "__repository__"  # the repository Dagster makes of a module's Definitions
WORKSPACE = PROJECT_ROOT / "workspace.yaml"


def code_location_origin():
    """The code location of ``workspace.yaml`` (the one ``dagster dev`` serves), or its equivalent."""
    from dagster._core.remote_origin import ManagedGrpcPythonEnvCodeLocationOrigin
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
    from dagster._core.workspace.load import location_origins_from_yaml_paths

    if WORKSPACE.exists():
        for origin in location_origins_from_yaml_paths([str(WORKSPACE)]):
            if origin.location_name == LOCATION_NAME:
                return origin
    # an installed package has no workspace.yaml: the same module, served the same way
    target = LoadableTargetOrigin(executable_path=sys.executable, module_name=CODE_MODULE,
                                  working_directory=str(PROJECT_ROOT))
    return ManagedGrpcPythonEnvCodeLocationOrigin(target, LOCATION_NAME)


def code_location_target() -> list[str]:
    """``dagster dev`` arguments serving the code location that ``code_location_origin`` names."""
    if WORKSPACE.exists():
        return ["-w", str(WORKSPACE)]
    import os

    home = Path(os.environ["DAGSTER_HOME"])
    workspace = home / "workspace.yaml"
    workspace.write_text(
        f"load_from:\n  - python_module:\n      module_name: {CODE_MODULE}\n"
        f"      location_name: {LOCATION_NAME}\n", encoding="utf-8")
    return ["-w", str(workspace)]


def reconstructable_job(job_name: str):
    """The job as a run worker loads it: from the code location's module (a pointer; nothing is imported)."""
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    working_directory = str(Path(PROJECT_ROOT))
    repo = ReconstructableRepository.for_module(CODE_MODULE, "defs", working_directory=working_directory)
    return repo.get_reconstructable_job(job_name)


def create_run(instance: dg.DagsterInstance, job_def: dg.JobDefinition, *, run_config: Mapping,
               tags: Mapping[str, str], partition_key: str | None = None) -> tuple[dg.DagsterRun, object]:
    """A NOT_STARTED run of ``job_def`` carrying both origins and this process's tags; and the job to execute.

    ``job_def`` is built from the configuration in hand; the code location's module builds the
    same job from the same file (``REPORT_PIPELINE_CONFIG``), which is what the origins point at.
    """
    from dagster._core.definitions.job_base import InMemoryJob
    from dagster._core.execution.api import create_execution_plan
    from dagster._core.execution.execute_in_process import merge_run_tags
    from dagster._core.remote_origin import RemoteJobOrigin, RemoteRepositoryOrigin
    from dagster._core.utils import make_new_run_id

    job = InMemoryJob(job_def)
    run_id = make_new_run_id()
    all_tags = dict(merge_run_tags(job_def, partition_key, tags, None, instance, run_config))
    all_tags |= process_tags(run_id)
    plan = create_execution_plan(job, run_config=run_config, instance_ref=instance.get_ref(), tags=all_tags)
    origin = RemoteJobOrigin(RemoteRepositoryOrigin(code_location_origin(), REPOSITORY_NAME), job_def.name)
    run = instance.create_run_for_job(
        job_def, execution_plan=plan, run_id=run_id, run_config=run_config, tags=all_tags,
        remote_job_origin=origin, job_code_origin=reconstructable_job(job_def.name).get_python_origin(),
    )
    return run, job


@dataclass
class RunOutcome:
    success: bool
    events: list = field(default_factory=list)


def execute(instance: dg.DagsterInstance, run: dg.DagsterRun, job) -> RunOutcome:
    """Execute ``run`` in this process, as a run worker would."""
    from dagster._core.execution.api import execute_run

    with writes_eased(instance, run.run_id):
        result = execute_run(job, run, instance)
    return RunOutcome(result.success, list(result.all_events))
