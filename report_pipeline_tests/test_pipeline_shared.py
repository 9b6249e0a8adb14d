"""Real history (../shared, not part of the project) through the whole chain; skipped when absent."""

from __future__ import annotations

import datetime as dt
import gzip
import json

from report_pipeline.cli import main
from report_pipeline.weeks import week_window
from report_pipeline_tests.conftest import shared_pulls, write_config

REPO = "vllm-project/vllm-ascend"
WEEKS = ["2026-03-09", "2026-03-16"]
TZ = "Asia/Shanghai"


def test_real_weeks_in_a_non_utc_timezone(project):
    path = shared_pulls() / "vllm-project__vllm-ascend.jsonl.gz"
    write_config(
        project, timezone=f'"{TZ}"', first_week='"2026-01-05"',
        repos=f'[[repositories]]\nname = "{REPO}"\nsource = "sample"\npath = "{path}"\nrules = "vllm"\n',
    )
    assert main(["build", "--from", WEEKS[0], "--to", WEEKS[-1]]) == 0
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    for week in WEEKS:
        window = week_window(week, TZ)
        expected = {r["number"] for r in rows if window.start <= dt.datetime.fromisoformat(r["merged_at"]) < window.end}
        model = json.loads((project / "out" / "reports" / "vllm-project" / "vllm-ascend" / f"{week}.json").read_text(encoding="utf-8"))
        assert {p["number"] for p in model["pull_requests"]} == expected
        assert model["summary"]["highlight_count"] <= min(20, max(3, round(len(expected) * 0.1)))
        assert model["week"]["start_at"] == f"{week}T00:00:00+08:00"
        # nearly every real PR gets a kind from a real signal and a module
        no_module = sum(1 for p in model["pull_requests"] if not p["modules"])
        assert no_module <= 0.1 * len(expected)
    later = json.loads((project / "out" / "reports" / "vllm-project" / "vllm-ascend" / f"{WEEKS[1]}.json").read_text(encoding="utf-8"))
    assert later["summary"]["previous"]["pr_count"] == len(
        {r["number"] for r in rows if week_window(WEEKS[0], TZ).contains(dt.datetime.fromisoformat(r["merged_at"]))}
    )
