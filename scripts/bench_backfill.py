"""Benchmark: what a backfill costs against a one-week build, and where the time goes.

    python scripts/bench_backfill.py [--weeks 52] [--repos 10] [--repeat 3] [--skip-git] [--skip-sample]

Two measurements, each against a one-week build of the same data measured in the same run:

1. **git**: astral-sh/uv from a local clone. There is no uv clone here, so one is built from
   ``../shared/data/pulls/astral-sh__uv.jsonl.gz`` with ``git fast-import``: one squash
   commit per PR (subject ``title (#N)``, body, author, author and merge dates) changing
   its files by its numbers of added and deleted lines, so ``git log --numstat`` does the
   work it does on the real clone. Skipped when ../shared is absent. Target: <= 3x.
2. **sample**: ``--repos`` repositories x ``--weeks`` weeks of the bundled sample (its 12
   weeks tiled over the year, renamed per repository) in one backfill (one run per
   repository, as ``report-pipeline build --from --to`` does). Target: < 5x.

Each build runs as its own ``report-pipeline build`` process, as a user or a run worker
pays for it (the one-week build after a warm-up build, so the page cache is warm for
both), ``--repeat`` times in fresh instances; the fastest counts, as ``timeit`` reports,
since other load on the machine only adds time (the 10 x 52 sample backfill runs once).
Range runs spread their per-week work over the cores (``report_pipeline.parallel``), so
the time printed for compute and render is wall time in the build's process. For each it prints the command's wall time, the time inside the build and where it
went (extract / compute / render / warehouse IO / Dagster overhead = the rest of the
build), Dagster events written, and the process's peak RSS. Ratios are given both ways:
as commands (the target) and counting only the time inside the build. The
last block prints per-week unit figures that docs/operations.md's capacity plan uses.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED_UV = ROOT.parent / "shared" / "data" / "pulls" / "astral-sh__uv.jsonl.gz"
SAMPLE = ROOT / "data" / "sample" / "lumen-ai__lumen.jsonl"
UV_LAST_WEEK = dt.date(2026, 3, 23)  # the last complete week of the shared data
SAMPLE_LAST_WEEK = dt.date(2026, 11, 16)

# -- the uv clone ------------------------------------------------------------------------------


def _commit_stream(rows: list[dict]):
    """fast-import commands: one squash commit per PR, files edited by its line counts."""
    files: dict[str, list[bytes]] = {}
    for mark, pr in enumerate(rows, start=1):
        login, name = pr.get("author_login"), pr.get("author_name") or "unknown"
        email = f"{login}@users.noreply.github.com" if login else f"{name.replace(' ', '.').lower()}@example.com"
        created = dt.datetime.fromisoformat(pr.get("created_at") or pr["merged_at"])
        merged = dt.datetime.fromisoformat(pr["merged_at"])
        msg = f"{pr['title']} (#{pr['number']})\n\n{pr.get('body') or ''}".encode()
        yield (f"commit refs/heads/main\nmark :{mark}\n"
               f"author {name} <{email}> {int(created.timestamp())} {created.strftime('%z')}\n"
               f"committer GitHub <noreply@github.com> {int(merged.timestamp())} {merged.strftime('%z')}\n"
               f"data {len(msg)}\n").encode() + msg + b"\n"
        if mark > 1:
            yield f"from :{mark - 1}\n".encode()
        yield from _file_commands(pr, files)
        yield b"\n"


def _file_commands(pr: dict, files: dict[str, list[bytes]]):
    for f in pr.get("files") or []:
        path, kind = f["path"], f.get("change_type")
        if kind == "DELETED":
            if files.pop(path, None) is not None:
                yield f"D {path}\n".encode()
            continue
        lines = files.pop(f["previous_path"], None) if kind == "RENAMED" and f.get("previous_path") else None
        if lines is None:
            lines = files.get(path)
        if lines is None:
            lines = [b"%d:%d\n" % (pr["number"], -k) for k in range(int(f.get("deletions") or 0))]
        dels = min(int(f.get("deletions") or 0), len(lines))
        lines = lines[dels:] + [b"%d:%d\n" % (pr["number"], k) for k in range(int(f.get("additions") or 0))]
        files[path] = lines
        data = b"".join(lines)
        yield f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n"


def build_uv_clone(dest: Path) -> Path:
    """A git repository whose first-parent history is uv's merged PRs (cached in ``dest``)."""
    marker = dest / ".bench-complete"
    if marker.exists() and marker.read_text() == str(SHARED_UV.stat().st_mtime_ns):
        return dest
    subprocess.run(["rm", "-rf", str(dest)], check=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(dest)], check=True)
    with gzip.open(SHARED_UV, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    for r in rows:
        r["number"] = int(r["number"])
    rows.sort(key=lambda r: dt.datetime.fromisoformat(r["merged_at"]))
    t0 = time.perf_counter()
    proc = subprocess.Popen(["git", "-C", str(dest), "fast-import", "--quiet"], stdin=subprocess.PIPE)
    assert proc.stdin is not None
    for chunk in _commit_stream(rows):
        proc.stdin.write(chunk)
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", str(dest), "reset", "-q", "--hard", "main"], check=True)
    marker.write_text(str(SHARED_UV.stat().st_mtime_ns))
    print(f"built {dest}: {len(rows)} squash commits in {time.perf_counter() - t0:.1f} s")
    return dest


# -- the multi-repository sample ---------------------------------------------------------------


def build_sample(dest: Path, repos: int, weeks: int) -> tuple[Path, list[str]]:
    """The bundled sample's 12 weeks tiled back over ``weeks`` weeks, for ``repos`` repositories."""
    base = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    names = [f"lumen-ai/lumen-{i}" for i in range(repos)]
    out = []
    for tile in range(-(-weeks // 12)):
        shift = dt.timedelta(weeks=12 * tile)
        for name in names:
            for pr in base:
                row = dict(pr, repo=name, number=pr["number"] - 1000 * tile + 1000 * 12,
                           url=pr["url"].replace("lumen-ai/lumen", name))
                for key in ("created_at", "merged_at"):
                    if row.get(key):
                        row[key] = (dt.datetime.fromisoformat(row[key]) - shift).isoformat()
                for c in row.get("review_comments") or []:
                    if c.get("created_at"):
                        c["created_at"] = (dt.datetime.fromisoformat(c["created_at"]) - shift).isoformat()
                out.append(row)
    dest.write_text("".join(json.dumps(r) + "\n" for r in out), encoding="utf-8")
    return dest, names


# -- timing ------------------------------------------------------------------------------------


class Phases:
    """Wall time spent inside the pipeline's own functions, by phase."""

    WHERE = {
        "extract": [("report_pipeline.dagster_defs.assets.raw", "extract_range"),
                    ("report_pipeline.dagster_defs.assets.raw", "extract_week"),
                    ("report_pipeline.dagster_defs.assets.reviews", "extract_reviews")],
        "compute": [("report_pipeline.dagster_defs.assets.enriched", "enrich"),
                    ("report_pipeline.dagster_defs.assets.aggregates", "aggregate_week"),
                    ("report_pipeline.dagster_defs.assets.report", "build_report_model")],
        "render": [("report_pipeline.dagster_defs.assets.report", "publish_report"),
                   ("report_pipeline.dagster_defs.assets.report", "rebuild_index")],
        "warehouse IO": [("report_pipeline.dagster_defs.io", "ParquetWarehouse.write"),
                         ("report_pipeline.dagster_defs.io", "ParquetWarehouse.read")],
    }

    def __init__(self):
        self.seconds: collections.Counter = collections.Counter()
        self._depth = 0

    # per-week work a range run spreads over forked workers (report_pipeline.parallel): timed
    # around the whole spread, in this process, by the phase of its work
    SPREAD = ["report_pipeline.dagster_defs.assets.enriched", "report_pipeline.dagster_defs.assets.aggregates",
              "report_pipeline.dagster_defs.assets.report"]

    def install(self) -> None:
        import importlib

        for phase, targets in self.WHERE.items():
            for module_name, attr in targets:
                module = importlib.import_module(module_name)
                owner, _, name = attr.rpartition(".")
                holder = getattr(module, owner) if owner else module
                if hasattr(holder, name):
                    setattr(holder, name, self._wrap(phase, getattr(holder, name)))
        for module_name in self.SPREAD:
            module = importlib.import_module(module_name)
            module.per_week = self._spread(module.per_week)

    def _spread(self, per_week):
        def timed(work, keys):
            return self._wrap("render" if work.__name__ == "published" else "compute", per_week)(work, keys)
        return timed

    def _wrap(self, phase, fn):
        def timed(*args, **kwargs):
            if self._depth:  # nested (a read inside extract): counted once, by the outer phase
                return fn(*args, **kwargs)
            self._depth += 1
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - t0
                self._depth -= 1
        return timed


def _write_config(folder: Path, repos: list[tuple[str, str, Path, str]], first_week: dt.date) -> Path:
    cfg = folder / "report_pipeline.toml"
    text = (f'timezone = "UTC"\nlanguages = ["en", "zh"]\noutput_dir = "reports"\n'
            f'warehouse_dir = "warehouse"\nfirst_week = "{first_week}"\n')
    for name, source, path, rules in repos:
        text += f'[[repositories]]\nname = "{name}"\nsource = "{source}"\npath = "{path}"\nrules = "{rules}"\n'
    cfg.write_text(text, encoding="utf-8")
    return cfg


def best_build(folder: Path, repos, first_week: dt.date, cli_args: list[str], repeat: int) -> dict:
    """The fastest of ``repeat`` identical builds, each in a fresh instance and warehouse.

    Best of N, as ``timeit`` reports: other load on the machine only ever adds time.
    """
    runs = [timed_build(folder.with_name(f"{folder.name}-{i}"), repos, first_week, cli_args) for i in range(repeat)]
    best = min(runs, key=lambda r: r["wall"])
    return best | {"walls": sorted(r["wall"] for r in runs)}


def timed_build(folder: Path, repos, first_week: dt.date, cli_args: list[str]) -> dict:
    """One ``report-pipeline build`` as its own process, in a fresh instance and warehouse under ``folder``.

    A build is what a user (or a run worker) pays for: a new process that imports the
    project and Dagster, then runs. The wall time is taken around that process; inside it,
    the same build times its phases (``--child``).
    """
    folder.mkdir(parents=True)
    cfg = _write_config(folder, repos, first_week)
    home = folder / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = dict(os.environ, REPORT_PIPELINE_CONFIG=str(cfg), DAGSTER_HOME=str(home))
    t0 = time.perf_counter()
    with open(folder / "cli.log", "w") as sink:
        code = subprocess.run([sys.executable, __file__, "--child", str(folder), "build", *cli_args],
                              env=env, stdout=sink, stderr=sink).returncode
    wall = time.perf_counter() - t0
    if code != 0:
        tail = (folder / "cli.log").read_text()[-2000:]
        raise SystemExit(f"build {' '.join(cli_args)} failed with exit {code}:\n{tail}")
    inside = json.loads((folder / "child.json").read_text())
    return inside | {"wall": wall, "events": _events(home),
                     "warehouse_bytes": _bytes(folder / "warehouse"), "report_bytes": _bytes(folder / "reports")}


def child(folder: Path, cli_args: list[str]) -> None:
    """The build inside its process: phases timed, figures written to ``folder/child.json``."""
    phases = Phases()
    phases.install()
    from report_pipeline.cli import main as cli

    t0 = time.perf_counter()
    code = cli(cli_args)
    result = {"in_process": time.perf_counter() - t0, "phases": dict(phases.seconds),
              "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
              # the largest child: a forked worker (report_pipeline.parallel; most pages shared with the build) or git
              "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}
    (folder / "child.json").write_text(json.dumps(result))
    raise SystemExit(code)


def _events(home: Path) -> tuple[int, int, str]:
    """(runs, event log entries, the commonest event types) recorded in the instance at ``home``."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        kinds: collections.Counter = collections.Counter()
        for r in runs:
            for entry in instance.all_logs(r.run_id):
                kinds[entry.dagster_event.event_type_value if entry.dagster_event else "LOG"] += 1
        top = ", ".join(f"{k} {v}" for k, v in kinds.most_common(5))
        return len(runs), sum(kinds.values()), top


def _bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _show(label: str, r: dict) -> None:
    ph = r["phases"]
    known = sum(ph.values())
    parts = ", ".join(f"{k} {ph.get(k, 0):.2f}" for k in Phases.WHERE)
    tries = f" (best of {len(r['walls'])}: {', '.join(f'{w:.2f}' for w in r['walls'])})" if len(r.get("walls", [])) > 1 else ""
    print(f"  {label}: {r['wall']:.2f} s as a command{tries}; inside it {r['in_process']:.2f} s running the build "
          f"({parts}, Dagster overhead {r['in_process'] - known:.2f}), the rest starting Python and importing; "
          f"{r['events'][0]} run(s), {r['events'][1]} events; peak RSS {r['rss_mb']:.0f} MB"
          + (f" (largest child: {r['worker_rss_mb']:.0f} MB, a forked worker sharing most pages with the build, or git)"
             if r.get("worker_rss_mb", 0) > 1 else ""))
    print(f"    events: {r['events'][2]}")


def _ratio(many: dict, one: dict) -> str:
    return (f"{many['wall'] / one['wall']:.1f}x as commands "
            f"({many['in_process'] / one['in_process']:.1f}x counting only the time inside the build)")


def _weeks_back(last: dt.date, n: int) -> tuple[str, str]:
    return (last - dt.timedelta(weeks=n - 1)).isoformat(), last.isoformat()


def bench_git(tmp: Path, weeks: int, repeat: int) -> dict | None:
    if not SHARED_UV.exists():
        print("git: skipped (no ../shared/data/pulls/astral-sh__uv.jsonl.gz)")
        return None
    clone = build_uv_clone(Path(tempfile.gettempdir()) / "report_pipeline_bench_uv")
    repos = [("astral-sh/uv", "git", clone, "uv")]
    first, last = _weeks_back(UV_LAST_WEEK, weeks)
    start = dt.date.fromisoformat(first) - dt.timedelta(weeks=12)
    timed_build(tmp / "git-warmup", repos, start, ["--week", last])
    one = best_build(tmp / "git-one", repos, start, ["--week", last], repeat)
    many = best_build(tmp / "git-range", repos, start, ["--from", first, "--to", last], repeat)
    print(f"git source, astral-sh/uv from a local clone, {weeks} weeks {first} .. {last}:")
    _show("one week", one)
    _show(f"{weeks} weeks", many)
    print(f"  ratio {_ratio(many, one)} a one-week build (target <= 3x)")
    return many


def bench_sample(tmp: Path, weeks: int, n_repos: int, repeat: int) -> dict:
    data, names = build_sample(tmp / "sample.jsonl", n_repos, weeks)
    repos = [(n, "sample", data, "lumen") for n in names]
    first, last = _weeks_back(SAMPLE_LAST_WEEK, weeks)
    start = dt.date.fromisoformat(first) - dt.timedelta(weeks=12)
    timed_build(tmp / "sample-warmup", repos[:1], start, ["--week", last])
    one = best_build(tmp / "sample-one", repos[:1], start, ["--week", last, "--repo", names[0]], repeat)
    week_all = best_build(tmp / "sample-week", repos, start, ["--week", last], repeat)
    many = best_build(tmp / "sample-range", repos, start, ["--from", first, "--to", last], 1)
    print(f"sample source, {n_repos} repositories x {weeks} weeks {first} .. {last}:")
    _show("one week, one repository", one)
    _show(f"one week, {n_repos} repositories", week_all)
    _show(f"{n_repos} x {weeks} weeks", many)
    print(f"  ratio {_ratio(many, one)} a one-week build of one repository;\n"
          f"  {_ratio(many, week_all)} a one-week build of the {n_repos} (target < 5x)")
    return many | {"partitions": n_repos * weeks, "prs": _prs(data)}


def _prs(data: Path) -> int:
    return sum(1 for line in data.read_text(encoding="utf-8").splitlines() if line.strip())


def _units(sample: dict) -> None:
    """Per (repository, week) figures, the inputs of the capacity plan."""
    parts = sample["partitions"]
    runs, events, _ = sample["events"]
    print("per repository-week (sample backfill), for docs/operations.md's capacity plan:")
    print(f"  PRs {sample['prs'] / parts:.0f}; Dagster events {events / parts:.1f} "
          f"(+{events / runs:.0f} per run incl. run-level events); "
          f"warehouse {sample['warehouse_bytes'] / parts / 1024:.0f} KiB; "
          f"reports {sample['report_bytes'] / parts / 1024:.0f} KiB; "
          f"wall {sample['wall'] / parts * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--repos", type=int, default=10)
    parser.add_argument("--skip-git", action="store_true")
    parser.add_argument("--skip-sample", action="store_true")
    parser.add_argument("--repeat", type=int, default=3,
                        help="builds per measurement, the fastest counts (the 10 x 52 sample backfill runs once)")
    if sys.argv[1:2] == ["--child"]:
        child(Path(sys.argv[2]), sys.argv[3:])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_git:
            bench_git(Path(tmp), args.weeks, args.repeat)
        if not args.skip_sample:
            _units(bench_sample(Path(tmp), args.weeks, args.repos, args.repeat))


if __name__ == "__main__":
    main()
