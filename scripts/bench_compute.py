"""Benchmark: time of enrichment, aggregation and rendering for one week of N PRs.

    python scripts/bench_compute.py            # N = 200 and 5,000
    python scripts/bench_compute.py --prs 183 1000

PRs come from the shared real data (astral-sh/uv) when present, re-stamped into one week,
else from the bundled sample, repeated. Targets: 200 PRs under 0.25 s of compute; cost
grows linearly with N.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report_pipeline.config import HighlightConfig  # noqa: E402
from report_pipeline.domain.aggregate import aggregate_week  # noqa: E402
from report_pipeline.domain.enrich import enrich  # noqa: E402
from report_pipeline.domain.model import build_report_model  # noqa: E402
from report_pipeline.domain.render import render_html, render_json, render_markdown  # noqa: E402
from report_pipeline.domain.rules import load_rule_set  # noqa: E402
from report_pipeline.sources.sample import read_sample_week  # noqa: E402
from report_pipeline.weeks import week_window  # noqa: E402

SHARED_UV = ROOT.parent / "shared" / "data" / "pulls" / "astral-sh__uv.jsonl.gz"
SAMPLE = ROOT / "data" / "sample" / "lumen-ai__lumen.jsonl"
WEEK = "2026-03-02"


def pool() -> tuple[pd.DataFrame, str, str]:
    """A frame of real-looking PRs to draw from, its repository name and rule set."""
    if SHARED_UV.exists():
        window = week_window("2023-10-02")
        window = type(window)(key=window.key, start=window.start, end=week_window("2026-03-30").end, timezone="UTC")
        return read_sample_week(SHARED_UV, "astral-sh/uv", window), "astral-sh/uv", "uv"
    window = week_window("2026-08-31")
    window = type(window)(key=window.key, start=window.start, end=week_window("2026-11-16").end, timezone="UTC")
    return read_sample_week(SAMPLE, "lumen-ai/lumen", window), "lumen-ai/lumen", "lumen"


def one_week(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    """``n`` PRs re-stamped into ``WEEK`` with unique numbers."""
    reps = -(-n // len(frame))
    week = pd.concat([frame] * reps, ignore_index=True).head(n).copy()
    week["number"] = range(1, n + 1)
    start = week_window(WEEK).start.astimezone(dt.timezone.utc)
    week["merged_at"] = [pd.Timestamp(start + dt.timedelta(seconds=int(i * 604799 / max(n, 1)))) for i in range(n)]
    return week


def measure(raw: pd.DataFrame, repo: str, rules_name: str, runs: int = 3) -> dict[str, float]:
    """Best-of-``runs`` seconds for each stage."""
    rules = load_rule_set(rules_name)
    window = week_window(WEEK)
    best = {"enrich": 1e9, "aggregate": 1e9, "render": 1e9}
    for _ in range(runs):
        t0 = time.perf_counter()
        enriched = enrich(raw, rules, HighlightConfig())
        t1 = time.perf_counter()
        agg = aggregate_week(WEEK, enriched, {})
        model = build_report_model(repo, window, agg, enriched, source="sample")
        t2 = time.perf_counter()
        for lang in ("en", "zh"):
            render_markdown(model, lang)
            render_html(model, lang)
        render_json(model)
        t3 = time.perf_counter()
        best = {k: min(best[k], v) for k, v in (("enrich", t1 - t0), ("aggregate", t2 - t1), ("render", t3 - t2))}
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prs", type=int, nargs="+", default=[200, 5000])
    args = parser.parse_args()
    frame, repo, rules_name = pool()
    print(f"PR pool: {len(frame)} PRs of {repo} (rule set {rules_name})")
    print(f"{'PRs':>6} {'enrich s':>9} {'aggregate s':>12} {'render s':>9} {'total s':>8} {'ms/PR':>6}")
    for n in args.prs:
        t = measure(one_week(frame, n), repo, rules_name)
        total = sum(t.values())
        print(f"{n:>6} {t['enrich']:>9.3f} {t['aggregate']:>12.3f} {t['render']:>9.3f} {total:>8.3f} {1000 * total / n:>6.2f}")
    print("target: 200 PRs under 0.25 s; ms/PR roughly constant (linear growth)")


if __name__ == "__main__":
    main()
