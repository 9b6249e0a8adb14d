"""Results computed once per DataFrame object (pure helper, no pipeline state).

A backfill builds its weeks one after the other and passes the same frame objects of the
earlier weeks as history to each following week, so a figure of one stored week (its
summary, its PRs' facts, its revert index) was recomputed for up to 12 weeks. ``per_frame``
keeps such a result while its frame lives. Domain frames are never modified in place (every
function that changes columns works on a copy), which is what makes the frame's identity
a sound key. Results are shared: callers read them and never mutate them.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import pandas as pd

T = TypeVar("T")


def per_frame(fn: Callable[..., T]) -> Callable[..., T]:
    """Memoise ``fn(frame, *args)`` per live ``frame`` object and hashable ``args``."""
    cache: dict[tuple[int, tuple[Hashable, ...]], tuple[weakref.ref, Any]] = {}

    def forget(key: tuple[int, tuple[Hashable, ...]]) -> Callable[[weakref.ref], None]:
        def drop(ref: weakref.ref) -> None:
            if key in cache and cache[key][0] is ref:
                del cache[key]
        return drop

    @functools.wraps(fn)
    def cached(frame: pd.DataFrame | None, *args: Hashable) -> T:
        if not isinstance(frame, pd.DataFrame):
            return fn(frame, *args)
        key = (id(frame), args)
        hit = cache.get(key)
        if hit is not None and hit[0]() is frame:
            return hit[1]
        value = fn(frame, *args)
        # the entry goes when the frame does, so a later frame at the same address starts afresh
        ref = weakref.ref(frame, forget(key))
        cache[key] = (ref, value)
        return value

    return cached
