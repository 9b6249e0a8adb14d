"""``report-pipeline``: build reports from cron or CI through Dagster, without the UI.

    report-pipeline build --week 2026-11-16            # one week, every repository
    report-pipeline build --from 2026-08-31 --to 2026-11-16 --repo lumen-ai/lumen
    report-pipeline check-config
    report-pipeline classify data/sample/lumen-ai__lumen.jsonl --rules lumen   # judgements as JSON lines
    report-pipeline ui                                 # the Dagster UI on the same instance

A range of weeks runs as one Dagster run per repository (a single-run backfill), recorded
in the persistent Dagster instance (``$DAGSTER_HOME``, default ``.dagster_home`` beside the
configuration file), so the UI shows what the command built.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from report_pipeline.config import CONFIG_ENV, Config, ConfigError, config_path, load_config
from report_pipeline.instance import (
    InstanceBusyError,
    InstanceSettingsError,
    dagster_home,
    fail_dead_runs,
    fail_run,
    open_instance,
)
from report_pipeline.weeks import last_complete_week, monday_on_or_before

DEFAULT_MAX_WAIT = 600.0  # seconds; a live build holding the GitHub pool is worth waiting for, a while


class UsageError(Exception):
    """A command-line argument is wrong; the message says which."""


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    try:
        code = _main(argv)
        # the last buffered lines: a reader that left must show here, not at interpreter exit
        # ("Exception ignored ... BrokenPipeError" on stderr, depending on who was faster)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # `report-pipeline weeks | head`: the reader left; say nothing more, like other Unix tools
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _main(argv: list[str] | None) -> int:
    parser = _parser()
    if not (sys.argv[1:] if argv is None else argv):
        parser.print_usage(sys.stderr)
        print("report-pipeline: error: a command is needed (build, check-config, weeks, ui, recover, classify); "
              "see report-pipeline --help", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    if getattr(args, "config", None):
        os.environ[CONFIG_ENV] = str(Path(args.config).resolve())
    try:
        if args.command == "classify":  # needs no configuration file
            return _classify(args)
        config = load_config()
        if args.command == "check-config":
            return _check_config(config)
        if args.command == "weeks":
            for week in _available_weeks(config):
                print(week)
            return 0
        if args.command == "ui":
            return _ui(config, args)
        if args.command == "recover":
            return _recover(config, args)
        return _build(config, args)
    except (ConfigError, UsageError, InstanceSettingsError) as exc:
        print(f"report-pipeline: error: {exc}", file=sys.stderr)
        return 2
    except InstanceBusyError as exc:
        print(f"report-pipeline: error: {exc}", file=sys.stderr)
        return 1


def _check_config(config: Config) -> int:
    """Print every problem ``build`` would meet (exit 1), or one OK line (exit 0)."""
    from report_pipeline.preflight import check_config

    problems = check_config(config)
    for problem in problems:
        print(f"report-pipeline: error: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"{config.path}: OK, {len(config.repositories)} repositories: "
          + ", ".join(f"{r.name} ({r.source})" for r in config.repositories))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="report-pipeline", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", help=f"configuration file (default: ${CONFIG_ENV} or ./report_pipeline.toml)")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="materialize the report assets for one week or a range of weeks")
    when = build.add_mutually_exclusive_group()
    when.add_argument("--week", help="the week's Monday (any day of the week is accepted); default: last complete week")
    when.add_argument("--from", dest="start", help="first week of a range (with --to)")
    build.add_argument("--to", dest="end", help="last week of a range (default: last complete week)")
    build.add_argument("--repo", action="append", help="owner/name (repeatable); default: every configured repository")
    build.add_argument("--verbose", "-v", action="store_true", help="show Dagster's run log")
    build.add_argument("--max-wait", type=float, default=DEFAULT_MAX_WAIT, metavar="SECONDS",
                       help="give up after waiting this long for a concurrency slot or the instance's lock "
                            f"(default: {DEFAULT_MAX_WAIT:g})")
    check = sub.add_parser("check-config", help="validate the configuration and list its repositories")
    weeks = sub.add_parser("weeks", help="list the week partitions available")
    classify = sub.add_parser(
        "classify", help="print the judgements (kind, modules, risks, score, highlight) of every PR in a JSONL file")
    classify.add_argument("file", help="PRs in the sample JSONL format (.jsonl or .jsonl.gz)")
    classify.add_argument("--rules", default="default", help="rule set name or path to a .toml file (default: default)")
    classify.add_argument("--repo", help="owner/name: only this repository's PRs (default: every repository in the file)")
    classify.add_argument("--timezone", default="UTC", help="timezone the weeks start in (default: UTC)")
    ui = sub.add_parser("ui", help="the Dagster UI (dagster dev) on the instance the builds use; "
                                   "arguments after -- go to dagster dev")
    ui.add_argument("dev_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    recover = sub.add_parser("recover", help="mark runs whose process is gone as failed and free their concurrency "
                                             "slots (build does this for this machine's runs by itself)")
    recover.add_argument("--run", action="append", metavar="RUN_ID",
                         help="also fail this unfinished run (id or its first 8 characters), e.g. one whose "
                              "machine is gone; repeatable")
    for cmd in (build, check, weeks, classify, ui, recover):
        # also accepted after the subcommand; SUPPRESS keeps an absent one from clobbering the global one
        cmd.add_argument("--config", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def _classify(args) -> int:
    """``classify``: one JSON object per PR on stdout, enriched week by week exactly as the assets do."""
    import json
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from report_pipeline.config import HighlightConfig
    from report_pipeline.domain.enrich import enrich_detailed, judgement_records
    from report_pipeline.domain.rules import RuleSetError, load_rule_set
    from report_pipeline.sources.sample import SampleSourceError, read_sample_range, sample_weeks
    from report_pipeline.weeks import week_window

    try:
        ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--timezone: unknown timezone {args.timezone!r}") from None
    try:
        rules = load_rule_set(args.rules)
        weeks_by_repo = sample_weeks(Path(args.file), args.timezone)
        if args.repo:
            match = [r for r in weeks_by_repo if r.lower() == args.repo.lower()]
            if not match:
                raise UsageError(f"--repo: {args.file} holds no PR of {args.repo} (it holds {', '.join(weeks_by_repo)})")
            weeks_by_repo = {match[0]: weeks_by_repo[match[0]]}
        for repo, weeks in weeks_by_repo.items():
            windows = [week_window(w, args.timezone) for w in weeks]
            for week, raw in read_sample_range(Path(args.file), repo, windows).items():
                enriched, details = enrich_detailed(raw, rules, HighlightConfig())
                for record in judgement_records(enriched, details, week):
                    print(json.dumps({"repo": repo} | record, ensure_ascii=False))
    except (RuleSetError, SampleSourceError) as exc:
        raise UsageError(str(exc)) from None
    return 0


def _build(config: Config, args) -> int:
    weeks = _weeks(config, args)
    repos = args.repo or [r.name for r in config.repositories]
    for name in repos:
        config.repository(name)  # ConfigError naming the configured ones
    if args.max_wait < 0:
        raise UsageError(f"--max-wait: {args.max_wait:g} is negative")
    # the code location the runs record (and a run worker or the UI reloads) reads this same file
    os.environ[CONFIG_ENV] = str(config.path.resolve()) if config.path else str(config_path().resolve())
    home = dagster_home(config)
    from report_pipeline.bounded_executor import bounded_in_process_executor
    from report_pipeline.dagster_defs.definitions import build_definitions
    from report_pipeline.dagster_defs.schedules import JOB_NAME

    executor = bounded_in_process_executor(args.max_wait)
    job = build_definitions(config, executor=executor).resolve_job_def(JOB_NAME)
    failed = False
    with open_instance(home, args.max_wait) as instance:
        _say_dead(fail_dead_runs(instance))
        for name in repos:
            failed |= not _build_repository(instance, config, name, weeks, job, args)
    if not failed:
        print(config.output_dir / "index.html")
    return 1 if failed else 0


def _say_dead(dead) -> None:
    if dead:
        print(f"report-pipeline: marked {len(dead)} run(s) failed whose process is gone, freeing their "
              "concurrency slots: " + ", ".join(f"{d.run_id[:8]} (pid {d.pid})" for d in dead), file=sys.stderr)


def _recover(config: Config, args) -> int:
    """``report-pipeline recover``: what build does first, on demand, plus runs named by id."""
    with open_instance(dagster_home(config), DEFAULT_MAX_WAIT) as instance:
        dead = fail_dead_runs(instance)
        _say_dead(dead)
        for run_id in args.run or []:
            print(f"report-pipeline: {fail_run(instance, run_id)}", file=sys.stderr)
    if not dead and not args.run:
        print("report-pipeline: no run of this machine has lost its process", file=sys.stderr)
    return 0


def _build_repository(instance, config: Config, name: str, weeks: list[str], job_def, args) -> bool:
    """One run for ``name``'s weeks; prints the report paths, or the failure in one line per cause."""
    from report_pipeline.dagster_defs.partitions import partition_key
    from report_pipeline.launch import create_run, execute
    from report_pipeline.publish import report_paths

    # without -v, failures are reported once, as our own one-line messages, not Dagster's stack traces
    level = "INFO" if args.verbose else "CRITICAL"
    run_config = {"loggers": {"console": {"config": {"log_level": level}}}}
    tags = {"report_pipeline/cli": "build"}
    key = None
    if len(weeks) == 1:
        key = str(partition_key(name, weeks[0]))
    else:
        tags |= {
            "dagster/asset_partition_range_start": str(partition_key(name, weeks[0])),
            "dagster/asset_partition_range_end": str(partition_key(name, weeks[-1])),
        }
    label = weeks[0] if len(weeks) == 1 else f"{weeks[0]} .. {weeks[-1]} ({len(weeks)} weeks)"
    print(f"{name}: building {label}", file=sys.stderr)
    run, job = create_run(instance, job_def, run_config=run_config, tags=tags, partition_key=key)
    outcome = execute(instance, run, job)
    if not outcome.success:
        for message in _failures(outcome.events):
            print(f"report-pipeline: error: {name}: {message}", file=sys.stderr)
        return False
    for week in weeks:
        for path in report_paths(config.output_dir, name, week, config.languages).values():
            print(path)
    return True


def _failures(events) -> list[str]:
    messages = []
    for event in events:
        if event.is_step_failure or event.is_run_failure:
            data = event.step_failure_data if event.is_step_failure else event.job_failure_data
            error = data.error if data else None
            if error is not None:
                # the first error below Dagster's wrappers is ours (GitHubAuthError, GitSourceError ...);
                # its own causes (an OSError it explains) would say less
                while error.cls_name.startswith("Dagster") and error.cause is not None:
                    error = error.cause
                message = _error_line(error)
                if message not in messages:  # the step's failure and the run's carry the same error
                    messages.append(message)
            elif event.message and not messages:
                messages.append(event.message)
    return messages or ["the run failed (see the Dagster UI for its log)"]


def _error_line(error) -> str:
    if error.cls_name == "DagsterExecutionInterruptedError":
        return INTERRUPTED
    text = error.message.strip()
    # Dagster's message starts "package.module.Class: "; keep the class name once
    head, sep, rest = text.partition(": ")
    if sep and head.split(".")[-1] == error.cls_name:
        text = rest
    return f"{error.cls_name}: {text}"


INTERRUPTED = ("interrupted (Ctrl-C or a stop signal): weeks written before it stay, each whole; "
               "build the range again to finish it")


def _weeks(config: Config, args) -> list[str]:
    latest = last_complete_week(dt.datetime.now(dt.timezone.utc), config.timezone)
    if args.start:
        start = _monday(args.start, "--from")
        end = _monday(args.end, "--to") if args.end else latest
    elif args.end:
        raise UsageError("--to needs --from")
    else:
        start = end = _monday(args.week, "--week") if args.week else latest
    if start > end:
        raise UsageError(f"--from {start} is after --to {end}")
    if start < config.first_week:
        raise UsageError(f"week {start} is before first_week = {config.first_week} in {config.path}")
    if end > latest:
        raise UsageError(f"week {end} has not ended yet in {config.timezone}; the latest complete week is {latest}")
    weeks, day = [], dt.date.fromisoformat(start)
    while day.isoformat() <= end:
        weeks.append(day.isoformat())
        day += dt.timedelta(weeks=1)
    return weeks


def _monday(text: str, flag: str) -> str:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{flag}: {text!r} is not a date YYYY-MM-DD") from None
    return monday_on_or_before(day).isoformat()


def _available_weeks(config: Config) -> list[str]:
    latest = last_complete_week(dt.datetime.now(dt.timezone.utc), config.timezone)
    out, day = [], dt.date.fromisoformat(config.first_week)
    while day.isoformat() <= latest:
        out.append(day.isoformat())
        day += dt.timedelta(weeks=1)
    return out


def _ui(config: Config, args) -> int:
    """``dagster dev`` on the same instance and configuration as ``build``, without Dagster's notices."""
    import warnings

    from dagster import SupersessionWarning
    from dagster._cli import main as dagster_main

    from report_pipeline.launch import code_location_target

    os.environ[CONFIG_ENV] = str(config.path.resolve()) if config.path else str(config_path().resolve())
    home = dagster_home(config)
    with open_instance(home, DEFAULT_MAX_WAIT):
        pass  # settings that cannot be used are told in a line, not in dagster dev's traceback
    extra = [a for a in args.dev_args if a != "--"]
    print(f"report-pipeline: Dagster UI on the instance in {home}", file=sys.stderr)
    # `dagster dev` is "superseded by dg dev" (dagster-dg-cli, not a dependency here); it still is the server
    warnings.filterwarnings("ignore", category=SupersessionWarning)
    sys.argv = ["dagster", "dev", *code_location_target(), *extra]
    try:
        dagster_main()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
