"""How far the judgements agree with the hand-labelled golden set.

Reads ``report_pipeline_tests/golden/labels.csv`` (``repo,week,number,kind,highlight,split``;
weeks are UTC Mondays), enriches every labelled week of every repository with its own
rule set AND with the generic ``default`` set, and prints per repository, per rule set,
per split and pooled: kind accuracy (strict agreement), the share left ``unclassified``,
highlight precision / recall, and the confusion matrix of kinds.

    python scripts/golden_benchmark.py [--labels CSV] [--data DIR] [--errors dev] [--code DIR]

The PR texts come from ``../shared/data/pulls/OWNER__NAME.jsonl.gz`` (or the bundled
sample for lumen-ai/lumen) through the sample source, the same path the pipeline reads.
``--code DIR`` imports ``report_pipeline`` from another checkout (to record BEFORE figures).
``--errors SPLIT`` lists the disagreements of that split (tune on ``dev`` only).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "report_pipeline_tests" / "golden" / "labels.csv"
DATA_DIRS = (ROOT.parent / "shared" / "data" / "pulls", ROOT / "data" / "sample")
# the rule set each repository is reported with; anything else gets "default"
OWN_RULES = {
    "vllm-project/vllm-ascend": "vllm",
    "vllm-project/vllm": "vllm",
    "astral-sh/uv": "uv",
    "lumen-ai/lumen": "lumen",
}


@dataclass(frozen=True)
class Figures:
    """Agreement of one group of labelled PRs."""

    prs: int
    accuracy: float
    unclassified: float
    precision: float | None
    recall: float | None
    predicted_highlights: int
    true_highlights: int


def data_file(repo: str, dirs: tuple[Path, ...] = DATA_DIRS) -> Path | None:
    """The JSONL(.gz) file holding ``repo``'s PRs, or None."""
    stem = repo.replace("/", "__")
    for d in dirs:
        for suffix in (".jsonl.gz", ".jsonl"):
            p = d / f"{stem}{suffix}"
            if p.exists():
                return p
    return None


def load_labels(path: Path) -> pd.DataFrame:
    """The golden labels, with ``highlight`` as bool."""
    df = pd.read_csv(path, dtype={"repo": str, "week": str, "number": int, "kind": str, "split": str})
    df["highlight"] = df["highlight"].map(lambda v: str(v).strip().lower() in ("1", "true", "yes", "y"))
    df["kind"] = df["kind"].str.strip()
    return df


def predict(labels: pd.DataFrame, rules_name_for, dirs: tuple[Path, ...] = DATA_DIRS) -> pd.DataFrame:
    """One row per labelled PR: the label, the predicted kind, its source and the highlight flag.

    Every labelled week is enriched whole (highlights are relative to the week), then the
    labelled PRs are picked out.
    """
    from report_pipeline.config import HighlightConfig
    from report_pipeline.domain.enrich import enrich_detailed
    from report_pipeline.domain.rules import load_rule_set
    from report_pipeline.sources.sample import read_sample_week
    from report_pipeline.weeks import week_window

    rule_sets: dict = {}
    out = []
    for (repo, week), group in labels.groupby(["repo", "week"], sort=True):
        path = data_file(repo, dirs)
        if path is None:
            raise SystemExit(f"no data file for {repo} in {', '.join(map(str, dirs))}")
        name = rules_name_for(repo)
        if name not in rule_sets:
            rule_sets[name] = load_rule_set(name)
        raw = read_sample_week(path, repo, week_window(week, "UTC"))
        enriched, details = enrich_detailed(raw, rule_sets[name], HighlightConfig())
        enriched = enriched.assign(kind_source=details["kind_source"].to_numpy())
        by_number = enriched.set_index("number")
        for _, lab in group.iterrows():
            if lab["number"] not in by_number.index:
                raise SystemExit(f"{repo}#{lab['number']} is not merged in week {week} of {path}")
            got = by_number.loc[lab["number"]]
            out.append({
                "repo": repo, "week": week, "number": int(lab["number"]), "split": lab["split"],
                "rules": name, "label": lab["kind"], "kind": got["kind"], "kind_source": got["kind_source"],
                "true_highlight": bool(lab["highlight"]), "highlight": bool(got["highlight"]),
                "title": got["title"], "score": float(got["score"]),
            })
    return pd.DataFrame(out)


def figures(df: pd.DataFrame) -> Figures:
    """Accuracy, unclassified share and highlight precision/recall of ``df`` (rows of ``predict``)."""
    n = len(df)
    tp = int((df["highlight"] & df["true_highlight"]).sum())
    pred, true = int(df["highlight"].sum()), int(df["true_highlight"].sum())
    unclassified = (df["kind"] == "unclassified") | (df["kind_source"] == "none")
    return Figures(
        prs=n,
        accuracy=float((df["kind"] == df["label"]).mean()) if n else 0.0,
        unclassified=float(unclassified.mean()) if n else 0.0,
        precision=tp / pred if pred else None,
        recall=tp / true if true else None,
        predicted_highlights=pred,
        true_highlights=true,
    )


def _fmt(x: float | None) -> str:
    return "  -  " if x is None else f"{x:.2f}"


def print_table(title: str, rows: list[tuple[str, Figures]]) -> None:
    """One line per group: PRs, accuracy, unclassified share, highlight P/R."""
    print(f"\n## {title}")
    print(f"{'group':44} {'PRs':>4} {'acc':>5} {'uncl':>5} {'hl P':>5} {'hl R':>5} {'pred/true':>9}")
    for name, f in rows:
        print(f"{name:44} {f.prs:4d} {f.accuracy:5.2f} {f.unclassified:5.2f} {_fmt(f.precision):>5} "
              f"{_fmt(f.recall):>5} {f.predicted_highlights:4d}/{f.true_highlights:<4d}")


def print_confusion(df: pd.DataFrame, title: str) -> None:
    """Rows: hand label; columns: predicted kind."""
    kinds = sorted(set(df["label"]) | set(df["kind"]))
    table = pd.crosstab(df["label"], df["kind"]).reindex(index=kinds, columns=kinds, fill_value=0)
    short = {k: k.replace("dependencies", "deps").replace("unclassified", "uncl").replace("performance", "perf")
             .replace("refactor", "refac").replace("feature", "feat").replace("release", "rel")[:6] for k in kinds}
    print(f"\n## confusion ({title}); rows = label, columns = predicted")
    print(f"{'':14}" + "".join(f"{short[k]:>7}" for k in kinds))
    for k in kinds:
        print(f"{k:14}" + "".join(f"{int(table.loc[k, c]):7d}" for c in kinds))


def report(labels: pd.DataFrame, dirs: tuple[Path, ...]) -> dict[str, pd.DataFrame]:
    """Print every table; returns the predictions of both runs (own rule sets, default)."""
    runs = {
        "own": predict(labels, lambda repo: OWN_RULES.get(repo, "default"), dirs),
        "default": predict(labels, lambda repo: "default", dirs),
    }
    for run, df in runs.items():
        label = "each repository's own rule set" if run == "own" else "every repository with `default`"
        print(f"\n# {label}")
        rows = []
        for (repo, rules), g in df.groupby(["repo", "rules"], sort=True):
            rows.append((f"{repo} [{rules}]", figures(g)))
            for split, gs in g.groupby("split", sort=True):
                rows.append((f"  {split}", figures(gs)))
        print_table("per repository (and split)", rows)
        print_table("per rule set", [(r, figures(g)) for r, g in df.groupby("rules", sort=True)])
        print_table("per split, pooled", [(s, figures(g)) for s, g in df.groupby("split", sort=True)]
                    + [("all", figures(df))])
        print_confusion(df, label)
    return runs


def print_errors(df: pd.DataFrame, split: str) -> None:
    """The disagreements of ``split`` (kinds, then highlights) for tuning."""
    d = df[df["split"] == split]
    wrong = d[d["kind"] != d["label"]]
    print(f"\n# kind errors in {split} ({len(wrong)} of {len(d)})")
    print(Counter(zip(wrong["label"], wrong["kind"])).most_common(12))
    for _, r in wrong.iterrows():
        print(f"  {r['repo']}#{r['number']} label={r['label']} got={r['kind']}({r['kind_source']}) {r['title']!s:.110}")
    fp = d[d["highlight"] & ~d["true_highlight"]]
    fn = d[~d["highlight"] & d["true_highlight"]]
    print(f"\n# highlight false positives in {split} ({len(fp)})")
    for _, r in fp.iterrows():
        print(f"  {r['repo']}#{r['number']} {r['score']:.2f} {r['kind']} {r['title']!s:.110}")
    print(f"\n# highlight misses in {split} ({len(fn)})")
    for _, r in fn.iterrows():
        print(f"  {r['repo']}#{r['number']} {r['score']:.2f} {r['kind']} {r['title']!s:.110}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--data", type=Path, action="append", help="folder of OWNER__NAME.jsonl(.gz) files")
    parser.add_argument("--code", type=Path, help="import report_pipeline from this checkout")
    parser.add_argument("--errors", metavar="SPLIT", help="list the disagreements of this split (own rule sets)")
    args = parser.parse_args(argv)
    code = args.code or Path(os.environ.get("GOLDEN_CODE", ROOT))
    sys.path.insert(0, str(code.resolve()))
    if not args.labels.exists():
        print(f"{args.labels}: no golden labels yet", file=sys.stderr)
        return 1
    dirs = tuple(args.data) if args.data else DATA_DIRS
    labels = load_labels(args.labels)
    runs = report(labels, dirs)
    if args.errors:
        print_errors(runs["own"], args.errors)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
