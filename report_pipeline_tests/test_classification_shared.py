"""Classification quality on the real PR history of vllm-ascend and uv (skipped without the data)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from report_pipeline.config import HighlightConfig
from report_pipeline.schema import RISKS

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from classification_report import DATA_DIR, RULE_SETS, analyse  # noqa: E402

pytestmark = pytest.mark.skipif(not DATA_DIR.is_dir(), reason=f"shared PR data not present at {DATA_DIR}")


@pytest.fixture(scope="module", params=sorted(RULE_SETS))
def figures(request):
    path = DATA_DIR / f"{request.param}.jsonl.gz"
    if not path.exists():
        pytest.skip(f"{path} not present")
    start = time.perf_counter()
    result, df = analyse(path, RULE_SETS[request.param], HighlightConfig())
    return result, df, time.perf_counter() - start


def test_kind_and_module_coverage(figures):
    f, _, _ = figures
    assert f.no_kind_share < 0.05, f.source_counts
    assert f.no_module_share < 0.10


def test_every_kind_is_known_and_used(figures):
    f, df, _ = figures
    assert set(f.kind_counts) <= set(__import__("report_pipeline.schema").schema.KINDS)
    assert len(f.kind_counts) >= 8  # the classifier does not collapse into a few kinds


def test_highlights_within_bounds_every_week(figures):
    f, _, _ = figures
    assert f.highlight_bad_weeks == []  # never more than the configured share


def test_scores_spread_over_the_scale(figures):
    f, df, _ = figures
    q = f.score_quantiles
    assert q["p90"] - q["p10"] >= 3.0, q
    assert df["score"].between(0, 10).all()
    assert sum(1 for c in f.score_histogram if c > 0) >= 8  # no bunching in a few buckets


def test_risks_are_present_but_not_everywhere(figures):
    f, _, _ = figures
    assert set(f.risk_share) == set(RISKS)
    for risk, share in f.risk_share.items():
        assert share < 0.5, (risk, share)  # a risk on most PRs says nothing
    assert f.risk_share["core_path"] > 0.05 and f.risk_share["missing_tests"] > 0.02
