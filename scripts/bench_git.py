"""Time ``read_git_week`` for one week of a large first-parent history.

Without ``--repo`` a synthetic 10,000-commit squash-merge history spread over
two years is generated once with ``git fast-import`` and cached (under the
temp dir, or ``--repo-dir``). With ``--repo PATH --repo-name owner/name
--week YYYY-MM-DD`` any real clone can be measured instead.

    python scripts/bench_git.py
    python scripts/bench_git.py --repo ~/src/uv --repo-name astral-sh/uv --week 2025-06-02
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from report_pipeline.sources.git import read_git_week  # noqa: E402
from report_pipeline.weeks import monday_on_or_before, week_window  # noqa: E402

COMMITS = 10_000
START = dt.datetime(2024, 4, 1, tzinfo=dt.timezone.utc)
SPAN = dt.timedelta(days=730)
AUTHORS = [(f"Dev {i}", f"{1000 + i}+dev{i}@users.noreply.github.com") for i in range(60)] + [
    (f"Corp Person {i}", f"person{i}@corp.example") for i in range(20)
]
OFFSETS = ["+0000", "+0800", "-0700", "+0530", "+0200"]


def _stream(n: int):
    """fast-import commands for ``n`` squash commits on refs/heads/main."""
    rng = random.Random(42)
    step = SPAN / n
    contents: dict[str, list[str]] = {}
    paths = [f"pkg/mod{m}/file{f}.py" for m in range(40) for f in range(25)]
    for i in range(n):
        when = int((START + step * i).timestamp())
        name, email = rng.choice(AUTHORS)
        offset = rng.choice(OFFSETS)
        number = 1000 + i
        msg = f"[Feature] change number {i} (#{number})\n\nBody of PR {number}.\n".encode()
        yield (f"commit refs/heads/main\nmark :{i + 1}\n"
               f"author {name} <{email}> {when - 3600} {offset}\n"
               f"committer GitHub <noreply@github.com> {when} {offset}\n"
               f"data {len(msg)}\n").encode() + msg
        if i:
            yield f"from :{i}\n".encode()
        for path in rng.sample(paths, rng.randint(1, 6)):
            lines = contents.setdefault(path, [f"x = {k}\n" for k in range(30)])
            for _ in range(rng.randint(1, 8)):
                lines[rng.randrange(len(lines))] = f"y = {rng.random()}\n"
            if rng.random() < 0.5:
                lines.append(f"z = {i}\n")
            data = "".join(lines).encode()
            yield f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n"
        yield b"\n"


def ensure_repo(repo_dir: Path) -> Path:
    """The synthetic repository, generated on first use."""
    marker = repo_dir / ".bench-complete"
    if marker.exists():
        return repo_dir
    repo_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo_dir)], check=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen(["git", "-C", str(repo_dir), "fast-import", "--quiet"],
                            stdin=subprocess.PIPE)
    for chunk in _stream(COMMITS):
        proc.stdin.write(chunk)
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", str(repo_dir), "symbolic-ref", "HEAD", "refs/heads/main"],
                   check=True)
    marker.touch()
    print(f"generated {COMMITS} commits in {time.perf_counter() - t0:.1f} s at {repo_dir}")
    return repo_dir


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; prints the median time and the week's PR count."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", type=Path, help="an existing clone (default: synthetic repo)")
    ap.add_argument("--repo-dir", type=Path,
                    default=Path(tempfile.gettempdir()) / "report_pipeline_bench_git",
                    help="where the synthetic repository is cached")
    ap.add_argument("--repo-name", default="bench/synthetic")
    ap.add_argument("--week", help="Monday YYYY-MM-DD (default: middle of the synthetic history)")
    ap.add_argument("--branch")
    ap.add_argument("--timezone", default="UTC")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)

    path = args.repo or ensure_repo(args.repo_dir)
    week = args.week or monday_on_or_before((START + SPAN / 2).date()).isoformat()
    window = week_window(week, args.timezone)
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        df, stats = read_git_week(path, args.repo_name, window, branch=args.branch)
        times.append(time.perf_counter() - t0)
    median = statistics.median(times)
    print(f"repo={path} week={week} ({args.timezone}) PRs={len(df)} commits={stats.commits} "
          f"squash={stats.squash_merges} merges={stats.merge_commits} other={stats.other_commits}")
    print(f"read_git_week median of {args.runs}: {median:.3f} s "
          f"(min {min(times):.3f}, max {max(times):.3f}) target < 1 s: "
          f"{'OK' if median < 1 else 'SLOW'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
