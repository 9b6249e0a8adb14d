"""The narrator: fact sheet → one request per language → fact lock → narrated sections.

``Narrator.narrate`` adds ``narration`` to a report model and never raises: whatever goes
wrong, the week keeps its deterministic text, the JSON says which sections the model wrote
(and why the others were not), and the run log gets one line per week and language.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from report_pipeline.narrate.cache import AnswerCache, cache_key
from report_pipeline.narrate.client import ChatClient, NarrationError
from report_pipeline.narrate.facts import fact_sheet, sheet_hash
from report_pipeline.narrate.lock import FactIndex, check_section, sections_in
from report_pipeline.narrate.prompt import PROMPT_VERSION, MalformedAnswer, messages, parse_answer

_LOG = logging.getLogger(__name__)


@dataclass
class Narrator:
    """Narrates report models for one run; its client holds the run's request budget."""

    client: ChatClient
    languages: tuple[str, ...]
    cache: AnswerCache | None = None

    def narrate(self, model: dict, log=None) -> dict:
        """``model`` with a ``narration`` record added (see docs/report-json.md)."""
        log = log or _LOG
        where = f"narrator {model.get('repository')} {(model.get('week') or {}).get('key')}"
        record: dict = {"model": self.client.model, "prompt_version": PROMPT_VERSION, "languages": {}}
        try:
            sheet = fact_sheet(model)
            facts = FactIndex(sheet)
            record["fact_sheet_sha256"] = digest = sheet_hash(sheet)
        except Exception as exc:  # a model the sheet cannot read: deterministic, never a failed week
            for lang in self.languages:
                record["languages"][lang] = _deterministic(f"cannot build the fact sheet ({type(exc).__name__})")
                log.warning(f"{where} {lang}: deterministic text (cannot build the fact sheet: {type(exc).__name__})")
            return {**model, "narration": record}
        for lang in self.languages:
            try:
                result = self._language(model, sheet, facts, digest, lang)
            except Exception as exc:  # noqa: BLE001 - a bug here must not fail the week either
                result = _deterministic(f"unexpected error ({type(exc).__name__})")
            record["languages"][lang] = result
            _log_line(log, where, lang, result)
        return {**model, "narration": record}

    def _language(self, model: dict, sheet: dict, facts: FactIndex, digest: str, lang: str) -> dict:
        if not (model.get("summary") or {}).get("pr_count"):
            return _deterministic("no PRs this week")
        key = cache_key(self.client.model, PROMPT_VERSION, lang, digest)
        content = self.cache.get(key) if self.cache else None
        cached = content is not None
        if content is None:
            try:
                content = self.client.complete(messages(sheet, lang)).content
            except NarrationError as exc:
                return _deterministic(str(exc))
        try:
            answer = parse_answer(content)
        except MalformedAnswer as exc:
            return _deterministic(f"malformed answer ({exc})")
        if self.cache and not cached:
            try:
                self.cache.put(key, content, self.client.model, PROMPT_VERSION, lang)
            except OSError as exc:
                _LOG.warning(f"narrator: cannot cache the answer ({type(exc).__name__})")
        sections = {}
        for section in sections_in(sheet):
            text = (answer.get(section) or "").strip()
            problem = check_section(section, text, facts, lang) if text else "missing from the answer"
            sections[section] = {"by": "deterministic", "reason": problem} if problem else {"by": "model", "text": text}
        written = sum(1 for s in sections.values() if s["by"] == "model")
        status = "model" if written == len(sections) else "partial" if written else "deterministic"
        return {"status": status, "reason": None, "cached": cached, "sections": sections}


def _deterministic(reason: str) -> dict:
    return {"status": "deterministic", "reason": reason, "cached": False, "sections": {}}


def _log_line(log, where: str, lang: str, result: dict) -> None:
    sections = result["sections"]
    if result["status"] == "deterministic" and not sections:
        level = log.info if result["reason"] == "no PRs this week" else log.warning
        level(f"{where} {lang}: deterministic text ({result['reason']})")
        return
    written = [k for k, s in sections.items() if s["by"] == "model"]
    kept = [f"{k} ({s['reason']})" for k, s in sections.items() if s["by"] != "model"]
    line = f"{where} {lang}: model wrote {len(written)} of {len(sections)} sections" + (" (cached)" if result["cached"] else "")
    if kept:
        log.warning(line + "; deterministic: " + "; ".join(kept[:5]) + (f" and {len(kept) - 5} more" if len(kept) > 5 else ""))
    else:
        log.info(line)
