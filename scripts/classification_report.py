"""Classification quality on real PR history (/work/shared/data/pulls by default).

Enriches each repository week by week (Monday-Sunday UTC) with its rule set and
prints: share of PRs without a real kind signal, without a module, highlight counts
per week, score distribution and risk counts per week.

    python scripts/classification_report.py [DATA_DIR]
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from report_pipeline.config import HighlightConfig  # noqa: E402
from report_pipeline.domain.enrich import enrich_detailed  # noqa: E402
from report_pipeline.domain.rules import load_rule_set  # noqa: E402
from report_pipeline.schema import RAW_SCHEMA, RISKS  # noqa: E402

DATA_DIR = Path("/work/shared/data/pulls")
# data file stem -> rule set
RULE_SETS = {"vllm-project__vllm-ascend": "vllm", "astral-sh__uv": "uv"}


def load_pulls(path: Path) -> pd.DataFrame:
    """Read one ``*.jsonl.gz`` file of the shared data into RAW_SCHEMA columns."""
    df = pd.read_json(path, lines=True, dtype=False)
    author = df["author_login"].where(df["author_login"].notna(), df["author_name"])
    raw = pd.DataFrame(
        {
            "repo": df["repo"].astype(object),
            "number": df["number"].astype("int64"),
            "title": df["title"].astype(object),
            "body": df["body"].astype(object),
            "url": df["url"].astype(object),
            "author": author.astype(object),
            "author_association": None,
            "created_at": pd.to_datetime(df["created_at"], utc=True, format="ISO8601"),
            "merged_at": pd.to_datetime(df["merged_at"], utc=True, format="ISO8601"),
            "labels": [[] for _ in range(len(df))],
            "additions": df["additions"].astype("int64"),
            "deletions": df["deletions"].astype("int64"),
            "changed_files": df["changed_files"].astype("int64"),
            "files": df["files"],
            "review_count": None,
            "comment_count": None,
            "base_ref": df["base_ref"].astype(object),
            "merge_commit_sha": df["merge_commit_sha"].astype(object),
            "source": "sample",
            # git-reconstructed data: no reviews, no ready-for-review time, no account type
            "author_type": None,
            "ready_at": pd.NaT,
            "reviews": None,
            "reviews_coverage": None,
        }
    )
    return raw[[f.name for f in RAW_SCHEMA]]


def week_key(merged_at: pd.Series) -> pd.Series:
    """Monday (UTC) of each timestamp, as YYYY-MM-DD."""
    day = merged_at.dt.tz_convert("UTC").dt.normalize()
    monday = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    return monday.dt.strftime("%Y-%m-%d")


@dataclass
class RepoFigures:
    """What the report prints and the test asserts for one repository."""

    repo: str
    rules: str
    prs: int
    weeks: int
    seconds: float
    no_kind_share: float
    no_module_share: float
    kind_counts: dict[str, int]
    source_counts: dict[str, int]
    score_quantiles: dict[str, float]
    score_histogram: list[int]
    highlight_bad_weeks: list[str]
    highlight_mismatch_weeks: list[str]
    risk_per_week: dict[str, float]
    risk_share: dict[str, float]
    top_modules: list[tuple[str, int]] = field(default_factory=list)


def analyse(path: Path, rules_name: str, highlights: HighlightConfig | None = None) -> tuple[RepoFigures, pd.DataFrame]:
    """Enrich every week of ``path`` with ``rules_name``; figures plus the enriched frame."""
    highlights = highlights or HighlightConfig()
    rules = load_rule_set(rules_name)
    raw = load_pulls(path)
    keys = week_key(raw["merged_at"])
    frames, details, bad, mismatch = [], [], [], []
    start = time.perf_counter()
    for key, week in raw.groupby(keys, sort=True):
        enriched, detail = enrich_detailed(week.reset_index(drop=True), rules, highlights)
        n_high = int(enriched["highlight"].sum())
        expected = highlights.count(len(week))
        if n_high != expected:
            mismatch.append(key)
        if n_high > expected:  # a quiet week may get fewer (highlights.min_score), never more
            bad.append(key)
        enriched["week"] = key
        frames.append(enriched)
        details.append(detail)
    seconds = time.perf_counter() - start
    df = pd.concat(frames, ignore_index=True)
    df["kind_source"] = pd.concat(details, ignore_index=True)["kind_source"].to_numpy()
    scores = df["score"].to_numpy()
    qs = {f"p{int(q * 100)}": round(float(np.quantile(scores, q)), 2) for q in (0.1, 0.25, 0.5, 0.75, 0.9)}
    hist, _ = np.histogram(scores, bins=10, range=(0, 10))
    n_weeks = df["week"].nunique()
    risk_counts = {r: int(sum(r in x for x in df["risks"])) for r in RISKS}
    module_counts = pd.Series([m for ms in df["modules"] for m in ms]).value_counts()
    figures = RepoFigures(
        repo=str(df["repo"].iloc[0]),
        rules=rules_name,
        prs=len(df),
        weeks=n_weeks,
        seconds=seconds,
        no_kind_share=float((df["kind_source"] == "none").mean()),
        no_module_share=float((df["modules"].map(len) == 0).mean()),
        kind_counts=df["kind"].value_counts().to_dict(),
        source_counts=df["kind_source"].value_counts().to_dict(),
        score_quantiles=qs,
        score_histogram=hist.tolist(),
        highlight_bad_weeks=bad,
        highlight_mismatch_weeks=mismatch,
        risk_per_week={r: round(c / n_weeks, 2) for r, c in risk_counts.items()},
        risk_share={r: round(c / len(df), 3) for r, c in risk_counts.items()},
        top_modules=list(module_counts.head(12).items()),
    )
    return figures, df


def print_figures(f: RepoFigures) -> None:
    """Human-readable figures for one repository."""
    print(f"== {f.repo}  (rules: {f.rules})  {f.prs} PRs in {f.weeks} weeks, enrich {f.seconds:.2f}s")
    print(f"  unclassified: {f.no_kind_share:.2%}   without module: {f.no_module_share:.2%}")
    print(f"  kinds: {f.kind_counts}")
    print(f"  kind signals: {f.source_counts}")
    print(f"  score quantiles: {f.score_quantiles}  (p10-p90 spread {f.score_quantiles['p90'] - f.score_quantiles['p10']:.2f})")
    print(f"  score histogram [0,1)..[9,10]: {f.score_histogram}")
    print(f"  highlight weeks out of bounds: {len(f.highlight_bad_weeks)}, fewer than the share: {len(f.highlight_mismatch_weeks)}")
    print(f"  risks per week: {f.risk_per_week}")
    print(f"  risk share of PRs: {f.risk_share}")
    print(f"  top modules: {f.top_modules}")


def main(argv: list[str]) -> int:
    data_dir = Path(argv[1]) if len(argv) > 1 else DATA_DIR
    if not data_dir.is_dir():
        print(f"{data_dir}: no such directory", file=sys.stderr)
        return 1
    for stem, rules_name in RULE_SETS.items():
        path = data_dir / f"{stem}.jsonl.gz"
        if path.exists():
            figures, _ = analyse(path, rules_name)
            print_figures(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
