"""The fact lock: a narrated section is kept only when every checkable claim in it is a fact.

Rules (each returns the reason a section is refused, or None):

- **PRs**: every ``#N`` is a PR of the sheet and of the section's scope (a theme's paragraph
  cites that theme's PRs, a highlight's digest that PR or the issues it fixes, a suggestion
  its PRs; the summary any PR of the sheet).
- **Numbers**: every number (digits, ``43%``, ``11.8``, ``1,234``, versions, dates, and the
  number words two to twenty / 两 to 九十九 with a measure word) equals a figure of the sheet.
  Names copied from the sheet (titles, theme names, modules, authors, paths) are blanked
  first, so ``Qwen3`` or a number in a PR title is not read as a claim.
- **Kinds**: a sentence that cites PRs and uses kind words (fix, adds, speeds up, 修复 ...)
  uses at least one word fitting a cited PR's kind, or a word its own title or digest uses.
- **Language**: Chinese sections are written in Chinese, English ones contain no Chinese.
- **Form**: non-empty, not overlong, no links.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

MAX_CHARS = 1500
PR_REF = re.compile(r"#(\d+)")
_DATE = re.compile(r"(?<![A-Za-z0-9_.])(\d{4})-(\d{2})-(\d{2})(?![0-9])")
_VVERSION = re.compile(r"(?<![A-Za-z0-9_.])[vV](\d+(?:\.\d+)+)(?![\d])")
_VERSION = re.compile(r"(?<![A-Za-z0-9_.])(\d+(?:\.\d+){2,})(?![\d])")
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(\s*[%％])?")
_SENTENCE = re.compile(r"(?<!\d)\.(?!\d)|[!?。！？;；\n]")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_LINK = re.compile(r"https?://|www\.|\]\(", re.IGNORECASE)
PR_KEYS = frozenset({"number", "prs", "fixes_issues", "by"})

EN_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split()) if i >= 2}
_EN_WORD = re.compile(r"\b(" + "|".join(EN_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_ZH_DIGITS = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_WORD = re.compile(r"([两二三四五六七八九十]{1,3})(?=[个项位次条周名篇处类])")

KIND_WORDS = {
    "en": {
        "bugfix": r"fix(es|ed|ing)?|bugs?|bug-?fix(es)?|correct(s|ed)?|resolv(e|es|ed)",
        "feature": r"add(s|ed|ing)?|introduc(e|es|ed|ing)|new features?|features?",
        "performance": r"speed(s|ed)? up|faster|optimi[sz](e|es|ed|ing|ation|ations)|performance|latency|throughput",
        "refactor": r"refactor(s|ed|ing)?|restructur(e|es|ed|ing)|clean(s|ed)? up|cleanup",
        "docs": r"document(s|ed|ing|ation)?|docs",
        "tests": r"tests?|tested|testing",
        "revert": r"revert(s|ed|ing)?|roll(s|ed)? back|rollback",
        "dependencies": r"bump(s|ed)?|upgrad(e|es|ed|ing)|dependenc(y|ies)",
        "ci/build": r"CI|build(s)?|workflows?",
        "release": r"release(s|d)?|ship(s|ped)?",
    },
    "zh": {
        "bugfix": r"修复|修正|缺陷|问题修复",
        "feature": r"新增|添加|增加|引入|新功能|支持",
        "performance": r"性能|优化|加速|提速|延迟|吞吐",
        "refactor": r"重构|清理",
        "docs": r"文档",
        "tests": r"测试",
        "revert": r"回滚|撤销|回退",
        "dependencies": r"升级|依赖",
        "ci/build": r"CI|构建|流水线",
        "release": r"发布|发版",
    },
}
_KIND_RE = {
    lang: {kind: re.compile(r"\b(" + words + r")\b" if lang == "en" else "(" + words + ")", re.IGNORECASE)
           for kind, words in table.items()}
    for lang, table in KIND_WORDS.items()
}


class FactIndex:
    """What the lock checks against, gathered once from a fact sheet."""

    def __init__(self, sheet: dict):
        self.sheet = sheet
        self.kinds: dict[int, str | None] = {}
        self.own_text: dict[int, str] = {}
        self.figures: set[float] = set()
        self.percents: set[float] = set()
        self.versions: set[str] = set()
        self.dates: set[str] = set()
        self.names: set[str] = set()
        self._walk(sheet, None)
        for h in sheet.get("highlights") or []:
            self.kinds[h["number"]] = h.get("kind")
            self.own_text[h["number"]] = " ".join(str(h.get(k) or "") for k in ("title", "what", "why"))
        iso = (sheet.get("week") or {}).get("iso") or ""
        if re.match(r"^\d{4}-W\d{2}$", iso):
            self.figures.update({float(iso[:4]), float(iso[-2:])})
        # longest first, so a title is blanked before a theme name inside it
        names = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))
        # ASCII word edges: "core" is not blanked inside "score", yet is inside "core模块"
        self.blank_re = re.compile(rf"(?<![A-Za-z0-9_])(?:{names})(?![A-Za-z0-9_])", re.IGNORECASE) if names else None

    def _walk(self, value, key: str | None) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("number"), int):
                self.kinds.setdefault(value["number"], value.get("kind"))
                self.own_text.setdefault(value["number"], str(value.get("title") or ""))
            for k, v in value.items():
                self._walk(v, k)
        elif isinstance(value, list):
            for v in value:
                self._walk(v, key)
        elif isinstance(value, bool) or value is None or key in PR_KEYS:
            return
        elif isinstance(value, (int, float)):
            (self.percents if key and "percent" in key else self.figures).add(abs(float(value)))
        elif isinstance(value, str):
            if key in ("title", "name", "author", "modules", "files", "theme", "repository", "key", "what", "why"):
                if len(value) >= 3:
                    self.names.add(value)
            self._figures_of(value)

    def _figures_of(self, text: str) -> None:
        for y, mo, d in _DATE.findall(text):
            self.dates.add(f"{y}-{mo}-{d}")
            self.figures.update({float(y), float(mo), float(d)})
        for v in _VVERSION.findall(text) + _VERSION.findall(text):
            self.versions.add(v)
        for num, pct in _NUMBER.findall(text):
            (self.percents if pct else self.figures).add(_value(num))

    def scope(self, section: str) -> set[int] | None:
        """The PR (and issue) numbers a section may cite; None when the section is not in the sheet."""
        kind, _, key = section.partition(":")
        sheet = self.sheet
        if kind == "summary":
            return set(self.kinds)
        if kind == "theme":
            found = next((t for t in sheet.get("themes") or [] if t.get("name") == key), None)
            return None if found is None else set(found.get("prs") or [])
        if kind == "highlight":
            found = next((h for h in sheet.get("highlights") or [] if str(h.get("number")) == key), None)
            return None if found is None else {found["number"], *(found.get("fixes_issues") or [])}
        if kind == "suggestion":
            found = next((s for s in sheet.get("suggestions") or [] if s.get("key") == key), None)
            return None if found is None else set(found.get("prs") or [])
        return None


def check_section(section: str, text: str, facts: FactIndex, language: str) -> str | None:
    """Why ``text`` may not stand for ``section`` (a short reason), or None when it passes the lock."""
    scope = facts.scope(section)
    if scope is None:
        return "not a section of this week's facts"
    for rule in (_form, _prs, _numbers, _kinds, _language):
        problem = rule(section, text, facts, language, scope)
        if problem:
            return problem
    return None


def _form(section, text, facts, language, scope) -> str | None:
    if not text.strip():
        return "empty"
    if len(text) > MAX_CHARS:
        return f"longer than {MAX_CHARS} characters"
    if _LINK.search(text):
        return "contains a link"
    return None


def _prs(section, text, facts, language, scope) -> str | None:
    for m in PR_REF.finditer(text):
        n = int(m.group(1))
        if n not in facts.kinds and n not in scope:
            return f"cites #{n}, which is not in the fact sheet"
        if n not in scope:
            where = "this theme" if section.startswith("theme:") else "this section's facts"
            return f"cites #{n}, which is not in {where}"
    return None


def _numbers(section, text, facts, language, scope) -> str | None:
    plain = PR_REF.sub(" ", blank_names(text, facts))
    for y, mo, d in _DATE.findall(plain):
        if f"{y}-{mo}-{d}" not in facts.dates:
            return f"date {y}-{mo}-{d} is not in the fact sheet"
    plain = _DATE.sub(" ", plain)
    for pattern in (_VVERSION, _VERSION):
        for v in pattern.findall(plain):
            if v not in facts.versions:
                return f"version {v} is not in the fact sheet"
        plain = pattern.sub(" ", plain)
    for num, pct in _NUMBER.findall(plain):
        value = _value(num)
        allowed = facts.percents if pct else facts.figures
        if not any(math.isclose(value, f, abs_tol=1e-9) for f in allowed):
            return f"{num}{'%' if pct else ''} is not a figure of the fact sheet"
    for word in _EN_WORD.findall(plain):
        if float(EN_NUMBER_WORDS[word.lower()]) not in facts.figures:
            return f"'{word}' ({EN_NUMBER_WORDS[word.lower()]}) is not a figure of the fact sheet"
    for word in _ZH_WORD.findall(plain):
        zh = _zh_value(word)
        if zh is not None and float(zh) not in facts.figures:
            return f"'{word}' ({zh}) is not a figure of the fact sheet"
    return None


def _kinds(section, text, facts, language, scope) -> str | None:
    table = _KIND_RE.get(language, _KIND_RE["en"])
    implicit = [int(section.split(":", 1)[1])] if section.startswith("highlight:") else []
    for sentence in _SENTENCE.split(blank_names(text, facts)):
        cited = [int(n) for n in PR_REF.findall(sentence)] or implicit
        cited = [n for n in cited if facts.kinds.get(n)]
        if not cited:
            continue
        said = {kind for kind, rx in table.items() if rx.search(sentence)}
        if not said:
            continue
        fitting = set()
        for n in cited:
            fitting.add(facts.kinds[n])
            fitting.update(kind for kind, rx in table.items() if rx.search(facts.own_text.get(n, "")))
        if not said & fitting:
            refs = ", ".join(f"#{n} ({facts.kinds[n]})" for n in cited)
            return f"calls {refs} {'/'.join(sorted(said))}"
    return None


def _language(section, text, facts, language, scope) -> str | None:
    plain = PR_REF.sub(" ", blank_names(text, facts))
    cjk, latin = len(_CJK.findall(plain)), len(_LATIN.findall(plain))
    if language == "zh" and (cjk == 0 or latin > 2 * cjk):
        return "not written in Chinese"
    if language == "en" and cjk > 0:
        return "not written in English"
    return None


def blank_names(text: str, facts: FactIndex) -> str:
    """``text`` with the sheet's names (titles, themes, modules, authors, paths) blanked out."""
    return facts.blank_re.sub(" ¶ ", text) if facts.blank_re else text


def _value(num: str) -> float:
    return abs(float(num.replace(",", "")))


def _zh_value(word: str) -> int | None:
    if word == "十":
        return 10
    if "十" not in word:
        return _ZH_DIGITS.get(word) if len(word) == 1 else None
    tens, _, ones = word.partition("十")
    t = _ZH_DIGITS.get(tens, 1) if tens else 1
    o = _ZH_DIGITS.get(ones, 0) if ones else 0
    return t * 10 + o


def sections_in(sheet: dict) -> Iterable[str]:
    """Every section key a complete answer for ``sheet`` has."""
    yield "summary"
    for t in sheet.get("themes") or []:
        yield f"theme:{t['name']}"
    for h in sheet.get("highlights") or []:
        yield f"highlight:{h['number']}"
    for s in sheet.get("suggestions") or []:
        yield f"suggestion:{s['key']}"
