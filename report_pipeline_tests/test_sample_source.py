"""Tests of the JSONL sample source and of the bundled, generated sample."""

from __future__ import annotations

import collections
import datetime as dt
import gzip
import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

from report_pipeline import schema
from report_pipeline.sources.sample import SampleSourceError, read_sample_reviews, read_sample_week
from report_pipeline.weeks import week_window

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "lumen-ai__lumen.jsonl"
SCRIPT = ROOT / "scripts" / "make_sample.py"
REPO = "lumen-ai/lumen"


def _pr(number: int, merged_at: str, repo: str = REPO, **extra) -> dict:
    rec = {
        "repo": repo, "number": number, "title": f"[Misc] change {number}", "body": "", "url": None,
        "author_login": None, "author_name": "Ada Example", "created_at": merged_at, "merged_at": merged_at,
        "merge_commit_sha": "0" * 40, "head_ref": None, "base_ref": "main", "additions": 1, "deletions": 0,
        "changed_files": 1,
        "files": [{"path": "README.md", "previous_path": None, "change_type": "MODIFIED", "additions": 1, "deletions": 0}],
    }
    rec.update(extra)
    return rec


def _write(path: Path, records: list, gz: bool = False) -> Path:
    text = "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records)
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


BOUNDARY_RECORDS = [
    _pr(1, "2026-09-06T23:59:59+00:00"),           # Sunday, last second of UTC week 2026-08-31
    _pr(2, "2026-09-07T00:00:00+00:00"),           # Monday, first second of UTC week 2026-09-07
    _pr(3, "2026-09-13T23:59:59+08:00"),           # Sunday in Shanghai (15:59:59Z)
    _pr(4, "2026-09-14T00:00:00+08:00"),           # Monday in Shanghai (2026-09-13T16:00Z)
    _pr(5, "2026-09-08T10:00:00Z", repo="other/repo"),
]


# --- the bundled sample ------------------------------------------------------------------------

def _independent_week_counts() -> collections.Counter:
    counts = collections.Counter()
    with open(SAMPLE, encoding="utf-8") as fh:
        for line in fh:
            merged = dt.datetime.fromisoformat(json.loads(line)["merged_at"]).astimezone(dt.timezone.utc)
            counts[(merged.date() - dt.timedelta(days=merged.weekday())).isoformat()] += 1
    return counts


def test_bundled_sample_has_full_weeks_and_reader_agrees():
    counts = _independent_week_counts()
    assert sum(1 for n in counts.values() if n >= 40) >= 3
    assert min(counts) == "2026-08-31" and max(counts) == "2026-11-16"
    for key, expected in counts.items():
        df = read_sample_week(SAMPLE, REPO, week_window(key))
        assert len(df) == expected, key
        assert list(df.columns) == schema.RAW_SCHEMA.names
        assert (df["source"] == "sample").all()
        assert df["merged_at"].is_monotonic_increasing


def test_bundled_sample_boundaries_utc_and_shanghai():
    last = read_sample_week(SAMPLE, REPO, week_window("2026-09-14"))
    first = read_sample_week(SAMPLE, REPO, week_window("2026-09-21"))
    assert last["merged_at"].max() == dt.datetime(2026, 9, 20, 23, 59, 59, tzinfo=dt.timezone.utc)
    assert first["merged_at"].min() == dt.datetime(2026, 9, 21, tzinfo=dt.timezone.utc)
    sh_week = read_sample_week(SAMPLE, REPO, week_window("2026-10-12", "Asia/Shanghai"))
    sh_next = read_sample_week(SAMPLE, REPO, week_window("2026-10-19", "Asia/Shanghai"))
    assert sh_week["merged_at"].max() == dt.datetime(2026, 10, 18, 15, 59, 59, tzinfo=dt.timezone.utc)
    assert sh_next["merged_at"].min() == dt.datetime(2026, 10, 18, 16, tzinfo=dt.timezone.utc)


def test_bundled_sample_reviews():
    with open(SAMPLE, encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    with_reviews = next(r for r in records if r["review_comments"])
    without = next(r for r in records if not r["review_comments"])
    df = read_sample_reviews(SAMPLE, REPO, [with_reviews["number"], without["number"]])
    assert list(df.columns) == schema.REVIEWS_SCHEMA.names
    assert len(df) == len(with_reviews["review_comments"])
    assert set(df["number"]) == {with_reviews["number"]}
    assert df["body"].tolist() == [c["body"] for c in with_reviews["review_comments"]]
    assert str(df["created_at"].dtype) == "datetime64[us, UTC]"
    assert read_sample_reviews(SAMPLE, REPO, [without["number"]]).empty
    assert read_sample_reviews(SAMPLE, "other/repo", [with_reviews["number"]]).empty


def test_generator_is_deterministic_and_matches_committed_file(tmp_path):
    spec = importlib.util.spec_from_file_location("make_sample", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_sample(tmp_path / "a.jsonl")
    module.write_sample(tmp_path / "b.jsonl")
    a = (tmp_path / "a.jsonl").read_bytes()
    assert a == (tmp_path / "b.jsonl").read_bytes()
    assert a == SAMPLE.read_bytes(), "committed sample is stale: run python scripts/make_sample.py"
    assert len(a) < 1_500_000


# --- the reader on small files -----------------------------------------------------------------

def test_week_boundary_utc(tmp_path):
    path = _write(tmp_path / "b.jsonl", BOUNDARY_RECORDS)
    assert read_sample_week(path, REPO, week_window("2026-08-31"))["number"].tolist() == [1]
    assert read_sample_week(path, REPO, week_window("2026-09-07"))["number"].tolist() == [2, 3, 4]


def test_week_boundary_shanghai(tmp_path):
    path = _write(tmp_path / "b.jsonl", BOUNDARY_RECORDS)
    # in Shanghai #1 and #2 fall on Monday 07:59:59 and 08:00 of the week 2026-09-07
    assert read_sample_week(path, REPO, week_window("2026-09-07", "Asia/Shanghai"))["number"].tolist() == [1, 2, 3]
    assert read_sample_week(path, REPO, week_window("2026-09-14", "Asia/Shanghai"))["number"].tolist() == [4]


def test_fields_and_defaults(tmp_path):
    path = _write(tmp_path / "f.jsonl", [
        _pr(7, "2026-09-08T10:00:00-07:00", author_login="ada", labels=["bug"], review_count=3, comment_count=5,
            author_association="FIRST_TIME_CONTRIBUTOR"),
        _pr(8, "2026-09-08T11:00:00-07:00"),
    ])
    df = read_sample_week(path, REPO, week_window("2026-09-07"))
    first, second = df.iloc[0], df.iloc[1]
    assert (first["author"], second["author"]) == ("ada", "Ada Example")
    assert first["labels"] == ["bug"] and second["labels"] == []
    assert (first["review_count"], first["comment_count"]) == (3, 5)
    assert first["author_association"] == "FIRST_TIME_CONTRIBUTOR"
    assert pd.isna(second["review_count"]) and pd.isna(second["comment_count"])
    assert first["merged_at"] == dt.datetime(2026, 9, 8, 17, tzinfo=dt.timezone.utc)
    assert first["files"][0]["path"] == "README.md"


def test_other_repositories_are_ignored(tmp_path):
    path = _write(tmp_path / "b.jsonl", BOUNDARY_RECORDS)
    assert read_sample_week(path, "other/repo", week_window("2026-09-07"))["number"].tolist() == [5]
    # a repository the file does not hold is a misconfiguration, not a week without PRs
    with pytest.raises(SampleSourceError, match=r"holds no pull request of nobody/none \(it holds lumen-ai/lumen, other/repo\)"):
        read_sample_week(path, "nobody/none", week_window("2026-09-07"))


def test_gzip_input(tmp_path):
    path = _write(tmp_path / "b.jsonl.gz", BOUNDARY_RECORDS, gz=True)
    assert read_sample_week(path, REPO, week_window("2026-09-07"))["number"].tolist() == [2, 3, 4]


def test_malformed_line_names_path_and_line(tmp_path):
    path = _write(tmp_path / "bad.jsonl", [_pr(1, "2026-09-08T00:00:00Z"), "", '{"repo": "lumen-ai/lumen", "num'])
    with pytest.raises(SampleSourceError, match=r"bad\.jsonl: line 3"):
        read_sample_week(path, REPO, week_window("2026-09-07"))


def test_bad_timestamp_and_missing_field(tmp_path):
    path = _write(tmp_path / "ts.jsonl", [_pr(1, "last tuesday", created_at="2026-09-08T00:00:00Z")])
    with pytest.raises(SampleSourceError, match=r"line 1.*merged_at"):
        read_sample_week(path, REPO, week_window("2026-09-07"))
    rec = _pr(1, "2026-09-08T00:00:00Z")
    del rec["number"]
    path = _write(tmp_path / "nonum.jsonl", [rec])
    with pytest.raises(SampleSourceError, match=r"line 1.*number"):
        read_sample_week(path, REPO, week_window("2026-09-07"))


def test_missing_file(tmp_path):
    with pytest.raises(SampleSourceError, match="missing.jsonl"):
        read_sample_week(tmp_path / "missing.jsonl", REPO, week_window("2026-09-07"))


def test_rewritten_file_is_reparsed(tmp_path):
    path = _write(tmp_path / "c.jsonl", [_pr(1, "2026-09-08T00:00:00Z")])
    assert len(read_sample_week(path, REPO, week_window("2026-09-07"))) == 1
    _write(path, [_pr(1, "2026-09-08T00:00:00Z"), _pr(2, "2026-09-09T00:00:00Z")])
    assert len(read_sample_week(path, REPO, week_window("2026-09-07"))) == 2


def test_bundled_sample_has_the_variety_reports_need():
    with open(SAMPLE, encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    paths = [f["path"] for r in records for f in r["files"]]
    assert any(p.startswith("csrc/") and p.endswith(".cu") for p in paths)
    assert any(p.startswith("lumen/kernels/triton/") for p in paths)
    assert any(p.startswith("requirements/") for p in paths)
    assert any(r["additions"] + r["deletions"] >= 2000 and r["changed_files"] >= 40 for r in records)
    assert any(f["change_type"] == "RENAMED" and f["previous_path"] for r in records for f in r["files"])
    assert any(f["change_type"] == "DELETED" for r in records for f in r["files"])
    assert any(f["additions"] == f["deletions"] == 0 for r in records for f in r["files"])
    assert any(not r["labels"] and not r["title"].startswith("[") for r in records)
    assert any(not r["title"].isascii() for r in records)
    assert 0.15 < sum(not r["labels"] for r in records) / len(records) < 0.35
    assert all(r["additions"] == sum(f["additions"] for f in r["files"]) for r in records)
    assert all(r["changed_files"] == len(r["files"]) for r in records)
    assert all(a["number"] < b["number"] for a, b in zip(records, records[1:]))
