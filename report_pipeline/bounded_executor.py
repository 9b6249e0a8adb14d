"""Dagster's in-process executor with a bounded, talkative wait for concurrency-pool slots.

Dagster's own wait for a pool slot has no bound, prints nothing, ignores Ctrl-C and spins
(its next-check interval is never positive), so a slot held by a dead run used to hang
every later build at 100% CPU. Here a step that waits says which pool and who holds it,
sleeps between checks, and fails the run after ``max_wait`` seconds with the same names.
Built on Dagster's internals (``InProcessExecutor``, ``InstanceConcurrencyContext``): the
public API has no hook for the wait; the dependency pin (<1.14) keeps them stable.
"""

from __future__ import annotations

import os
import sys
import time

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._core.events import DagsterEvent, EngineEventData
from dagster._core.execution.api import ExecuteRunWithPlanIterable
from dagster._core.execution.context_creation_job import PlanExecutionContextManager
from dagster._core.execution.plan.execute_plan import inner_plan_execution_iterator
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
from dagster._core.execution.retries import RetryMode
from dagster._core.executor.in_process import InProcessExecutor
from dagster._utils.interrupts import pop_captured_interrupt

from report_pipeline.instance import describe_run


class PoolWaitTimeout(Exception):
    """A step waited longer than allowed for a slot in a concurrency pool."""


def bounded_in_process_executor(max_wait: float) -> dg.ExecutorDefinition:
    """The in-process executor, but a step waits at most ``max_wait`` s for a pool slot, and says so."""

    @dg.executor(name="in_process", config_schema={})
    def _executor(_init_context):
        return BoundedInProcessExecutor(max_wait)

    return _executor


def pool_holders(instance: dg.DagsterInstance, pool: str) -> str:
    """Who holds ``pool``'s slots, for messages: ``run 1a2b3c4d (pid 4242 on host)``."""
    info = instance.event_log_storage.get_concurrency_info(pool)
    runs = dict.fromkeys(slot.run_id for slot in info.claimed_slots if slot.run_id)
    if not runs:
        return "nobody (the slot is being handed over)"
    return ", ".join(describe_run(instance, run_id) for run_id in runs)


class BoundedConcurrencyContext(InstanceConcurrencyContext):
    def __init__(self, instance: dg.DagsterInstance, dagster_run: dg.DagsterRun, max_wait: float):
        super().__init__(instance, dagster_run)
        self._max_wait = max_wait
        self._waiting_since: dict[str, float] = {}

    def claim(self, concurrency_key: str, step_key: str, step_priority: int = 0) -> bool:
        if super().claim(concurrency_key, step_key, step_priority):
            self._waiting_since.pop(step_key, None)
            return True
        if pop_captured_interrupt():  # Ctrl-C while waiting: Dagster itself only looks between steps
            raise DagsterExecutionInterruptedError("interrupted while waiting for a concurrency slot")
        since = self._waiting_since.get(step_key)
        if since is None:
            self._waiting_since[step_key] = time.monotonic()
            print(f"report-pipeline: {step_key} is waiting for a slot in the concurrency pool "
                  f"{concurrency_key!r}, held by {pool_holders(self._instance, concurrency_key)}; "
                  f"giving up after {self._max_wait:g} s (--max-wait)", file=sys.stderr, flush=True)
        elif time.monotonic() - since > self._max_wait:
            raise PoolWaitTimeout(
                f"gave up after {self._max_wait:g} s waiting for a slot in the concurrency pool {concurrency_key!r}, "
                f"held by {pool_holders(self._instance, concurrency_key)}. If that run is stuck, see "
                "'Stuck runs' in docs/operations.md; else wait longer with --max-wait")
        return False

    def interval_to_next_pending_claim_check(self) -> float:
        # Dagster returns min(0, ...), never positive: the executor would spin instead of sleeping
        if not self._pending_timeouts:
            return 0.0
        return max(0.0, min(min(self._pending_timeouts.values()) - time.time(), 1.0))


class BoundedInProcessExecutor(InProcessExecutor):
    def __init__(self, max_wait: float):
        super().__init__(retries=RetryMode.ENABLED)
        self._max_wait = max_wait

    def _iterate(self, job_context, execution_plan, instance_concurrency_context=None):
        context = BoundedConcurrencyContext(job_context.instance, job_context.dagster_run, self._max_wait)
        with context:
            yield from inner_plan_execution_iterator(job_context, execution_plan, context)

    def execute(self, plan_context, execution_plan):
        # InProcessExecutor.execute, with the bounded concurrency context
        keys = execution_plan.step_keys_to_execute
        yield DagsterEvent.engine_event(plan_context, f"Executing steps in process (pid: {os.getpid()})",
                                        event_specific_data=EngineEventData.in_process(os.getpid(), keys))
        yield from ExecuteRunWithPlanIterable(
            execution_plan=plan_context.execution_plan,
            iterator=self._iterate,
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
