"""per_frame (domain/memo.py): one result per live frame object, nothing kept after it."""

from __future__ import annotations

import gc
import weakref

import pandas as pd

from report_pipeline.domain.memo import per_frame


class _Result:
    def __init__(self, value):
        self.value = value


def test_computed_once_per_frame_and_argument():
    calls = []

    @per_frame
    def total(frame, column):
        calls.append(column)
        return _Result(int(frame[column].sum()))

    frame = pd.DataFrame({"a": [1, 2], "b": [5, 5]})
    assert total(frame, "a").value == 3 and total(frame, "a").value == 3
    assert total(frame, "b").value == 10
    assert calls == ["a", "b"]
    # an equal frame is another object: computed again, never mistaken for the first
    assert total(frame.copy(), "a").value == 3 and calls == ["a", "b", "a"]


def test_none_is_not_cached():
    calls = []

    @per_frame
    def size(frame):
        calls.append(1)
        return 0 if frame is None else len(frame)

    assert size(None) == 0 and size(None) == 0 and len(calls) == 2


def test_frame_and_result_are_released_with_the_frame():
    @per_frame
    def wrap(frame):
        return _Result(len(frame))

    frame = pd.DataFrame({"a": range(3)})
    result = wrap(frame)
    frame_ref, result_ref = weakref.ref(frame), weakref.ref(result)
    del frame, result
    gc.collect()
    assert frame_ref() is None and result_ref() is None
    # a new frame, possibly at the same address, gets its own result
    assert wrap(pd.DataFrame({"a": range(5)})).value == 5
