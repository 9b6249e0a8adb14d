"""The narrator against a scripted OpenAI-compatible server on loopback (real HTTP).

Every failure ends in deterministic text with one log line and never an exception; a good
answer is cached in the warehouse so a rebuild asks nothing; the request budget holds.
"""

from __future__ import annotations

import copy
import json
import logging

import pytest

from report_pipeline.narrate import AnswerCache, Budget, ChatClient, Narrator
from report_pipeline.narrate.facts import fact_sheet
from report_pipeline_tests.openai_server import FakeOpenAI, Reply, answer, error, good_answer, themed_model
from report_pipeline_tests.report_model_fixture import empty_model, report_model

KEY = "sk-test-secret-0123456789"


@pytest.fixture(scope="module")
def model():
    return themed_model(report_model())


def _good(model, language):
    return json.dumps(good_answer(fact_sheet(model), language), ensure_ascii=False)


def _narrator(fake, tmp_path, languages=("en",), budget=40, model_name="test-model", key=KEY, **kw) -> Narrator:
    client = ChatClient(base_url=fake.base_url, model=model_name, api_key=key, budget=Budget(budget),
                        timeout_seconds=kw.pop("timeout_seconds", 5), max_wait_seconds=kw.pop("max_wait_seconds", 0),
                        max_retries=kw.pop("max_retries", 2))
    return Narrator(client=client, languages=languages, cache=AnswerCache(str(tmp_path / "warehouse")))


class Log:
    """A run log standing in for Dagster's: records level and line."""

    def __init__(self):
        self.lines: list[tuple[str, str]] = []

    def info(self, msg):
        self.lines.append(("info", msg))

    def warning(self, msg):
        self.lines.append(("warning", msg))


def test_good_answers_are_written_cached_and_not_asked_again(model, tmp_path):
    with FakeOpenAI([answer(_good(model, "en")), answer(_good(model, "zh"))]).serve() as fake:
        log = Log()
        out = _narrator(fake, tmp_path, languages=("en", "zh")).narrate(model, log=log)
        assert len(fake.requests) == 2  # one request per language and week
        sent = fake.requests[0]["body"]
        assert sent["model"] == "test-model" and sent["temperature"] == 0
        assert fake.requests[0]["authorization"] == f"Bearer {KEY}"
        for lang in ("en", "zh"):
            record = out["narration"]["languages"][lang]
            assert record["status"] == "model" and not record["cached"], record
            assert all(s["by"] == "model" for s in record["sections"].values())
        assert out["narration"]["languages"]["zh"]["sections"]["summary"]["text"].startswith("本周")
        assert [level for level, _ in log.lines] == ["info", "info"]
        assert "model wrote" in log.lines[0][1]

        again = _narrator(fake, tmp_path, languages=("en", "zh")).narrate(model, log=Log())
        assert len(fake.requests) == 2  # rebuild: answered from the warehouse cache
        assert again["narration"]["languages"]["en"]["cached"] is True
        assert again["narration"]["languages"]["en"]["sections"] == out["narration"]["languages"]["en"]["sections"]

        changed = copy.deepcopy(model)
        changed["summary"]["pr_count"] += 1  # another fact sheet: asked again
        _narrator(fake, tmp_path).narrate(changed, log=Log())
        assert len(fake.requests) == 3
    assert "narration" not in model  # the input model is not modified


def test_a_doctored_section_falls_back_alone(model, tmp_path):
    doctored = good_answer(fact_sheet(model), "en")
    theme = next(iter(doctored["themes"]))
    doctored["themes"][theme] = f"{theme} saw 4 PRs, among them #99999."
    doctored["summary"] = doctored["summary"].replace(str(model["summary"]["pr_count"]), "1234")
    with FakeOpenAI([answer(json.dumps(doctored))]).serve() as fake:
        log = Log()
        out = _narrator(fake, tmp_path).narrate(model, log=log)
    sections = out["narration"]["languages"]["en"]["sections"]
    assert sections[f"theme:{theme}"] == {"by": "deterministic", "reason": "cites #99999, which is not in the fact sheet"}
    assert sections["summary"]["by"] == "deterministic" and "1234" in sections["summary"]["reason"]
    assert out["narration"]["languages"]["en"]["status"] == "partial"
    assert sum(s["by"] == "model" for s in sections.values()) == len(sections) - 2
    assert len(log.lines) == 1 and log.lines[0][0] == "warning" and "#99999" in log.lines[0][1]


def test_an_answer_in_the_wrong_language_is_not_used(model, tmp_path):
    with FakeOpenAI([answer(_good(model, "en"))]).serve() as fake:
        out = _narrator(fake, tmp_path, languages=("zh",)).narrate(model, log=Log())
    record = out["narration"]["languages"]["zh"]
    assert record["status"] == "deterministic"
    assert {s["reason"] for s in record["sections"].values()} == {"not written in Chinese"}


FAILURES = [
    ("truncated", [answer('{"summary": "This week', finish_reason="length")], "truncated answer", 1),
    ("malformed", [answer("Here is your report: it was a good week!")], "malformed answer (the answer is not JSON)", 1),
    ("refusal", [answer(None, refusal="I can't help with that.")], "the model refused", 1),
    ("not a completion", [Reply(raw="<html>proxy error</html>")], "malformed response", 1),
    ("5xx", [error(503, "overloaded")], "server error (HTTP 503); gave up after 3 attempts", 3),
    ("429 too long", [error(429, "slow down", headers={"retry-after": "120"})], "retry-after 120s exceeds", 1),
    ("bad request", [error(400, "bad")], "HTTP 400", 1),
]


@pytest.mark.parametrize("name,script,reason,requests", FAILURES, ids=[f[0] for f in FAILURES])
def test_failures_end_in_deterministic_text_with_one_log_line(model, tmp_path, name, script, reason, requests):
    with FakeOpenAI(script).serve() as fake:
        log = Log()
        out = _narrator(fake, tmp_path).narrate(model, log=log)
        assert len(fake.requests) == requests
        record = out["narration"]["languages"]["en"]
        assert record["status"] == "deterministic" and record["sections"] == {}
        assert reason in record["reason"]
        assert log.lines == [("warning", f"narrator vllm-project/vllm 2026-04-13 en: deterministic text ({record['reason']})")]
        # a failed answer is not cached: the next run asks again
        _narrator(fake, tmp_path).narrate(model, log=Log())
        assert len(fake.requests) == 2 * requests


def test_rate_limit_with_retry_after_is_retried(model, tmp_path):
    with FakeOpenAI([error(429, "slow down", headers={"retry-after": "0"}), answer(_good(model, "en"))]).serve() as fake:
        out = _narrator(fake, tmp_path).narrate(model, log=Log())
        assert len(fake.requests) == 2
    assert out["narration"]["languages"]["en"]["status"] == "model"


def test_timeout(model, tmp_path):
    with FakeOpenAI([answer(_good(model, "en"), delay=1.5)]).serve() as fake:
        out = _narrator(fake, tmp_path, timeout_seconds=0.3, max_retries=0).narrate(model, log=Log())
    assert out["narration"]["languages"]["en"]["reason"] == "timed out after 0.3s; gave up after 1 attempt"


def test_wrong_model_name_and_refused_key(model, tmp_path, caplog):
    with FakeOpenAI([answer(_good(model, "en"))]).serve() as fake:
        wrong = _narrator(fake, tmp_path, model_name="gpt-nonexistent").narrate(model, log=Log())
        log = Log()
        refused = _narrator(fake, tmp_path, key="sk-wrong-key-9876").narrate(model, log=log)
        assert len(fake.requests) == 2  # neither is retried
    assert wrong["narration"]["languages"]["en"]["reason"].startswith("model 'gpt-nonexistent' not found at http://127.0.0.1")
    reason = refused["narration"]["languages"]["en"]["reason"]
    assert "HTTP 401" in reason
    everything = json.dumps(refused) + repr(log.lines) + caplog.text
    assert "sk-wrong-key-9876" not in everything and KEY not in everything


def test_unreachable_endpoint(model, tmp_path):
    with FakeOpenAI([answer("{}")]).serve() as fake:
        base = fake.base_url
    fake.base_url = base  # the server is gone: connection refused
    out = _narrator(fake, tmp_path, max_retries=1).narrate(model, log=Log())
    assert out["narration"]["languages"]["en"]["reason"] == f"cannot connect to {base}; gave up after 2 attempts"


def test_the_request_budget_bounds_a_backfill(model, tmp_path):
    weeks = []
    for i in range(3):
        m = copy.deepcopy(model)
        m["week"]["key"] = f"2026-04-{13 + 7 * i}"
        m["summary"]["additions"] += i  # three different fact sheets
        weeks.append(m)
    with FakeOpenAI([answer(_good(model, "en"))]).serve() as fake:
        narrator = _narrator(fake, tmp_path, languages=("en", "zh"), budget=3)
        log = Log()
        out = [narrator.narrate(m, log=log) for m in weeks]
        assert len(fake.requests) == 3
    reasons = [o["narration"]["languages"][lang]["reason"] for o in out for lang in ("en", "zh")]
    assert reasons[3:] == ["request budget of 3 per run used up"] * 3
    assert sum("request budget" in line for _, line in log.lines) == 3


def test_a_week_without_prs_sends_nothing(tmp_path):
    with FakeOpenAI([answer("{}")]).serve() as fake:
        log = Log()
        out = _narrator(fake, tmp_path).narrate(empty_model(), log=log)
        assert fake.requests == []
    assert out["narration"]["languages"]["en"]["reason"] == "no PRs this week"
    assert log.lines[0][0] == "info"


def test_narrate_never_raises_on_an_odd_model(tmp_path):
    with FakeOpenAI([answer("{}")]).serve() as fake:
        out = _narrator(fake, tmp_path).narrate({"repository": "o/r", "week": {"key": "w"}, "themes": "nonsense",
                                                  "summary": {"pr_count": 3}}, log=logging.getLogger("t"))
    assert out["narration"]["languages"]["en"]["status"] == "deterministic"
