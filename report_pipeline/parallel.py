"""Per-week work of a run over many weeks, spread over the machine's cores.

A backfill's steps each loop over its weeks: enrich, aggregate, build and render the
report, all CPU-bound Python that one process runs on one core. ``per_week`` runs such a
loop in forked worker processes when the run covers enough weeks to repay the fork:
the workers inherit the step's inputs (nothing is pickled but the keys and the results)
and each takes a contiguous slice of weeks, so caches keyed on shared history frames
(``domain.memo``) keep working inside a slice.

Serial, with the same results, when: fewer than ``MIN_PARALLEL`` keys, one core,
``REPORT_PIPELINE_WORKERS=1``, no ``fork`` (Windows, and macOS where forking a process
that has imported system frameworks is unsafe), or the caller is itself a worker (ours or
a daemonic process). Two threads spreading at once take turns.
A key whose work raises in a worker is done again in the caller, so errors surface
exactly as in a serial loop (the work is deterministic); a worker that dies (killed, out of
memory), or a result that cannot be sent back, makes the caller do all the keys itself
rather than hang, fail or lose weeks.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar, cast

K = TypeVar("K")
R = TypeVar("R")

WORKERS_ENV = "REPORT_PIPELINE_WORKERS"
MIN_PARALLEL = 8  # weeks; below this a fork costs more than it saves
MAX_WORKERS = 4

_work: Callable | None = None  # the function forked workers run: inherited, never pickled
_in_worker = False  # set in forked workers: work they run spreads no further
_spreading = threading.Lock()  # one spread at a time per process: ``_work`` is a single slot


def workers(n_keys: int) -> int:
    """How many processes to use for ``n_keys`` weeks of work (1 = in this process)."""
    if n_keys < MIN_PARALLEL or sys.platform != "linux" or _in_worker or multiprocessing.current_process().daemon:
        return 1
    configured = os.environ.get(WORKERS_ENV, "").strip()
    cores = len(os.sched_getaffinity(0))
    wanted = int(configured) if configured.isdigit() else min(cores, MAX_WORKERS)
    return max(1, min(wanted, n_keys // (MIN_PARALLEL // 2)))


def per_week(work: Callable[[K], R], keys: Sequence[K]) -> dict[K, R]:
    """``{key: work(key)}`` for every key, in forked workers when that pays."""
    n = workers(len(keys))
    if n == 1:
        return {key: work(key) for key in keys}
    # the first key here: what its work builds lazily (compiled templates, rule patterns) the workers inherit
    first, rest = keys[0], keys[1:]
    done = {first: work(first)}
    with _spreading:
        outcomes = _spread(work, rest, n)
    return done | {key: cast(R, value) if ok else work(key) for key, (ok, value) in zip(rest, outcomes, strict=True)}


def _spread(work: Callable[[K], R], keys: Sequence[K], n: int) -> list[tuple[bool, R | None]]:
    """``(done, result)`` per key from ``n`` forked workers, each given one contiguous slice."""
    global _work
    _work = work
    gc.freeze()  # the workers' collector leaves inherited objects alone, so their pages stay shared
    try:
        with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork"), initializer=_enter_worker) as pool:
            return list(pool.map(_run, keys, chunksize=math.ceil(len(keys) / n)))
    except Exception:
        # A worker died (killed, out of memory: BrokenProcessPool) or a result could not
        # be sent back (not picklable): the caller does every key itself instead.
        return [(False, None)] * len(keys)
    finally:
        _work = None
        gc.unfreeze()


def _enter_worker() -> None:
    global _in_worker
    _in_worker = True


def _run(key):
    try:
        assert _work is not None
        return True, _work(key)
    except Exception:  # redone in the caller, which raises it there with its own traceback
        return False, None
