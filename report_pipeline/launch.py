"""Runs the CLI starts: created with the code location's origin, executed in this process.

``job.execute_in_process`` records runs without an origin: the UI lists them under no
code location and "Re-execute" fails on them. Here a run is created the way the
webserver's launcher creates one (remote job origin naming the code location of
``workspace.yaml``, code origin of ``report_pipeline.definitions``) and then executed in
this process, as a run worker would (``execute_run``): no gRPC server to start, and the
UI can re-execute the run and lists it under the job.

The job runs on a bounded in-process executor: a step waiting for a slot in a concurrency
pool says which pool and who holds it, and fails the run after the allowed wait (Dagster's
own wait has no bound).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from report_pipeline.config import PROJECT_ROOT
from report_pipeline.instance import describe_run, process_tags

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

    result = execute_run(job, run, instance)
    return RunOutcome(result.success, list(result.all_events))


class PoolWaitTimeout(Exception):
    """A step waited longer than allowed for a slot in a concurrency pool."""


def bounded_in_process_executor(max_wait: float) -> dg.ExecutorDefinition:
    """Dagster's in-process executor, but a step waits at most ``max_wait`` s for a pool slot, and says so.

    Dagster's own wait has no bound, prints nothing and spins (its next-check interval is
    never positive), so a slot held by a dead run used to hang every later build at 100% CPU.
    """
    import dagster as dg

    @dg.executor(name="in_process", config_schema={})
    def _executor(_init_context):
        return _bounded_classes(max_wait)()

    return _executor


def _bounded_classes(max_wait: float):
    """The executor and concurrency-context classes (built lazily: Dagster imports stay out of ``--help``)."""
    import os

    from dagster._core.errors import DagsterExecutionInterruptedError
    from dagster._core.events import DagsterEvent, EngineEventData
    from dagster._core.execution.api import ExecuteRunWithPlanIterable
    from dagster._core.execution.context_creation_job import PlanExecutionContextManager
    from dagster._core.execution.plan.execute_plan import inner_plan_execution_iterator
    from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
    from dagster._core.execution.retries import RetryMode
    from dagster._core.executor.in_process import InProcessExecutor
    from dagster._utils.interrupts import pop_captured_interrupt

    class BoundedConcurrencyContext(InstanceConcurrencyContext):
        def __init__(self, instance, dagster_run):
            super().__init__(instance, dagster_run)
            self._waiting_since: dict[str, float] = {}

        def claim(self, concurrency_key: str, step_key: str, step_priority: int = 0) -> bool:
            if super().claim(concurrency_key, step_key, step_priority):
                self._waiting_since.pop(step_key, None)
                return True
            if pop_captured_interrupt():  # Ctrl-C while waiting: Dagster only checks between steps
                raise DagsterExecutionInterruptedError("interrupted while waiting for a concurrency slot")
            since = self._waiting_since.get(step_key)
            if since is None:
                self._waiting_since[step_key] = time.monotonic()
                print(f"report-pipeline: {step_key} is waiting for a slot in the concurrency pool "
                      f"{concurrency_key!r}, held by {pool_holders(self._instance, concurrency_key)}; "
                      f"giving up after {max_wait:g} s (--max-wait)", file=sys.stderr, flush=True)
            elif time.monotonic() - since > max_wait:
                raise PoolWaitTimeout(
                    f"gave up after {max_wait:g} s waiting for a slot in the concurrency pool {concurrency_key!r}, "
                    f"held by {pool_holders(self._instance, concurrency_key)}. If that run is stuck, see "
                    "'Stuck runs' in docs/operations.md; else wait longer with --max-wait")
            return False

        def interval_to_next_pending_claim_check(self) -> float:
            # Dagster returns min(0, ...), never positive: the executor would spin instead of sleeping
            if not self._pending_timeouts:
                return 0.0
            return max(0.0, min(min(self._pending_timeouts.values()) - time.time(), 1.0))

    def iterate(job_context, execution_plan, instance_concurrency_context=None):
        with BoundedConcurrencyContext(job_context.instance, job_context.dagster_run) as context:
            yield from inner_plan_execution_iterator(job_context, execution_plan, context)

    class BoundedInProcessExecutor(InProcessExecutor):
        def __init__(self):
            super().__init__(retries=RetryMode.ENABLED)

        def execute(self, plan_context, execution_plan):
            # InProcessExecutor.execute with the bounded concurrency context
            keys = execution_plan.step_keys_to_execute
            yield DagsterEvent.engine_event(plan_context, f"Executing steps in process (pid: {os.getpid()})",
                                            event_specific_data=EngineEventData.in_process(os.getpid(), keys))
            yield from ExecuteRunWithPlanIterable(
                execution_plan=plan_context.execution_plan,
                iterator=iterate,
                execution_context_manager=PlanExecutionContextManager(
                    job=plan_context.job, retry_mode=plan_context.retry_mode,
                    execution_plan=plan_context.execution_plan, run_config=plan_context.run_config,
                    dagster_run=plan_context.dagster_run, instance=plan_context.instance,
                    raise_on_error=plan_context.raise_on_error, output_capture=plan_context.output_capture,
                    step_dependency_config=self.step_dependency_config,
                ),
            )
            yield DagsterEvent.engine_event(plan_context, f"Finished steps in process (pid: {os.getpid()})",
                                            event_specific_data=EngineEventData.in_process(os.getpid(), keys))

    return BoundedInProcessExecutor


def pool_holders(instance: dg.DagsterInstance, pool: str) -> str:
    """Who holds ``pool``'s slots, for messages: ``run 1a2b3c4d (pid 4242 on host)``."""
    info = instance.event_log_storage.get_concurrency_info(pool)
    runs = dict.fromkeys(slot.run_id for slot in info.claimed_slots if slot.run_id)
    if not runs:
        return "nobody (the slot is being handed over)"
    return ", ".join(describe_run(instance, run_id) for run_id in runs)
