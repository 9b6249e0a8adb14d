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


def test_a_backfill_sharing_history_frames_gives_the_figures_of_fresh_frames():
    # a backfill hands the same frame objects of earlier weeks to each later week: the
    # remembered per-week results must give exactly what fresh frames give
    from report_pipeline.config import HighlightConfig
    from report_pipeline.domain.aggregate import aggregate_week
    from report_pipeline.domain.enrich import enrich
    from report_pipeline.domain.rules import load_rule_set
    from report_pipeline.sources.sample import read_sample_range
    from report_pipeline.weeks import week_window
    from report_pipeline_tests.conftest import SAMPLE

    weeks = [f"2026-{d}" for d in ("10-05", "10-12", "10-19", "10-26", "11-02", "11-09")]
    raw = read_sample_range(SAMPLE, "lumen-ai/lumen", [week_window(w, "UTC") for w in weeks])
    rules = load_rule_set("lumen")
    frames = {w: enrich(raw[w], rules, HighlightConfig()) for w in weeks}
    for i, week in enumerate(weeks):
        shared = aggregate_week(week, frames[week], {w: frames[w] for w in weeks[:i]})
        fresh = aggregate_week(week, frames[week].copy(), {w: frames[w].copy() for w in weeks[:i]})
        pd.testing.assert_frame_equal(shared, fresh)
        assert len(shared) > 50
