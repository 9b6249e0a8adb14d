"""Benchmark: a year (52 weeks) of one repository backfilled as one run vs one run per week.

    python scripts/bench_backfill.py [--weeks 52] [--per-partition-sample 3]

Data: astral-sh/uv's real PR history from ../shared when present (read by the sample
source), else the bundled sample's 12 weeks. The single-run backfill goes through the
CLI (one Dagster run over the week range, in-process executor). The baseline launches one
run per week with Dagster's default multiprocess executor; it is timed on a few weeks and
extrapolated, since the full baseline takes minutes. Prints wall times, their ratio and
the peak memory (RSS) of the single-run backfill. Target: under 30 s, under 500 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED_UV = ROOT.parent / "shared" / "data" / "pulls" / "astral-sh__uv.jsonl.gz"
SAMPLE = ROOT / "data" / "sample" / "lumen-ai__lumen.jsonl"


def _write_config(folder: Path) -> tuple[Path, str, str, int]:
    if SHARED_UV.exists():
        repo, path, rules, last = "astral-sh/uv", SHARED_UV, "uv", dt.date(2026, 3, 23)
    else:
        repo, path, rules, last = "lumen-ai/lumen", SAMPLE, "lumen", dt.date(2026, 11, 16)
    first = last - dt.timedelta(weeks=51)
    cfg = folder / "report_pipeline.toml"
    cfg.write_text(
        f'timezone = "UTC"\nlanguages = ["en", "zh"]\noutput_dir = "reports"\nwarehouse_dir = "warehouse"\n'
        f'first_week = "{first - dt.timedelta(weeks=4)}"\n'
        f'[[repositories]]\nname = "{repo}"\nsource = "sample"\npath = "{path}"\nrules = "{rules}"\n',
        encoding="utf-8",
    )
    return cfg, repo, first.isoformat(), last.isoformat()


def _multiprocess_job():
    """The report job with Dagster's default multiprocess executor (module level: reconstructable)."""
    import dagster as dg

    from report_pipeline.config import load_config
    from report_pipeline.dagster_defs.definitions import build_definitions
    from report_pipeline.dagster_defs.schedules import JOB_NAME

    return build_definitions(load_config(), executor=dg.multiprocess_executor).resolve_job_def(JOB_NAME)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--per-partition-sample", type=int, default=3,
                        help="weeks to time with one multiprocess run each (0 skips the baseline)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cfg, repo, first, last = _write_config(folder)
        first = (dt.date.fromisoformat(last) - dt.timedelta(weeks=args.weeks - 1)).isoformat()
        os.environ["REPORT_PIPELINE_CONFIG"] = str(cfg)
        os.environ["DAGSTER_HOME"] = str(folder / "home")
        (folder / "home").mkdir()
        (folder / "home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")

        from report_pipeline.cli import main as cli

        t0 = time.perf_counter()
        code = cli(["build", "--from", first, "--to", last, "--repo", repo])
        single = time.perf_counter() - t0
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        reports = sorted((folder / "reports").glob("*/*/*.json"))
        print(f"repository {repo}: {args.weeks} weeks {first} .. {last}")
        print(f"single-run backfill (CLI, in-process): {single:.1f} s wall, exit {code}, "
              f"{len(reports)} JSON reports, peak RSS {peak_mb:.0f} MB (target < 30 s, < 500 MB)")
        if args.per_partition_sample <= 0:
            return

        import dagster as dg

        from report_pipeline.dagster_defs.partitions import partition_key

        times = []
        weeks = [(dt.date.fromisoformat(last) - dt.timedelta(weeks=i)).isoformat() for i in range(args.per_partition_sample)]
        with dg.DagsterInstance.get() as instance:
            for week in weeks:
                t0 = time.perf_counter()
                result = dg.execute_job(
                    dg.reconstructable(_multiprocess_job), instance=instance,
                    tags={"dagster/partition": str(partition_key(repo, week))},
                    run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
                )
                times.append(time.perf_counter() - t0)
                assert result.success, f"baseline run for {week} failed"
        per_run = statistics.mean(times)
        estimate = per_run * args.weeks
        print(f"one run per week, multiprocess executor: {per_run:.1f} s per run (mean of {len(times)}), "
              f"~{estimate:.0f} s for {args.weeks} weeks (extrapolated)")
        print(f"ratio: single-run backfill is ~{estimate / single:.0f}x faster")


if __name__ == "__main__":
    main()
