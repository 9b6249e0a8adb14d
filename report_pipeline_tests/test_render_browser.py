"""The HTML report in headless Chromium: charts present after rendering, no script errors, screenshots.

Needs Debian's ``chromium`` (``apt-get install chromium``); skipped with that hint when missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from report_pipeline.domain.render import render_html, render_index, strings
from report_pipeline_tests.report_model_fixture import report_model

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) or shutil.which("chromium")),
    reason="chromium not installed: apt-get install chromium",
)
ERROR_LINE = re.compile(r"Uncaught|CONSOLE\(\d+\).*(Error|error)|console\.error", re.I)


def _chromium(tmp_path: Path, page: Path, *extra: str, width: int = 1280, height: int = 2000) -> tuple[str, str]:
    exe = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
            f"--window-size={width},{height}", *extra, page.as_uri()]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=90)
    return proc.stdout, proc.stderr


def _page_errors(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ERROR_LINE.search(ln)]


def _write(tmp_path: Path, name: str, html: str) -> Path:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return path


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_renders_charts_without_script_errors(tmp_path, lang):
    page = _write(tmp_path, f"report.{lang}.html", render_html(report_model(), lang, {"zh" if lang == "en" else "en": "x.html"}))
    dom, stderr = _chromium(tmp_path, page, "--dump-dom")
    ui = strings(lang)["ui"]
    for label in (ui["chart_kinds"], ui["chart_risks"], ui["chart_modules"], ui["chart_trend"]):
        assert re.search(rf'<svg[^>]*aria-label="{re.escape(label)}"', dom), label
    assert dom.count("<svg") == 4
    assert 'id="pr-table"' in dom and dom.count("<tr") > 30
    assert _page_errors(stderr) == [], stderr[-2000:]


def test_error_check_catches_a_script_error(tmp_path):
    # negative control: a deliberate error must show up in what the check reads
    html = render_html(report_model(), "en").replace("</body>", "<script>undefinedFunction();</script></body>")
    page = _write(tmp_path, "broken.html", html)
    _, stderr = _chromium(tmp_path, page, "--dump-dom")
    assert _page_errors(stderr), stderr[-2000:]


@pytest.mark.parametrize("lang,width", [("en", 1280), ("zh", 1280), ("en", 390), ("zh", 390)])
def test_screenshots(tmp_path, lang, width):
    page = _write(tmp_path, f"report.{lang}.html", render_html(report_model(), lang))
    shot = tmp_path / f"report-{lang}-{width}.png"
    _, stderr = _chromium(tmp_path, page, f"--screenshot={shot}", width=width, height=2400)
    assert shot.exists() and shot.stat().st_size > 20_000, stderr[-2000:]
    assert _page_errors(stderr) == []


def test_clicking_a_header_sorts_the_table(tmp_path):
    # the first header is the PR number: one click sorts ascending
    html = render_html(report_model(), "en").replace(
        "</body>", "<script>document.querySelector('#pr-table th[data-sort]').click();</script></body>")
    dom, stderr = _chromium(tmp_path, _write(tmp_path, "sorted.html", html), "--dump-dom")
    body = dom.split('id="pr-table"', 1)[1].split("<tbody>", 1)[1]
    numbers = [int(n) for n in re.findall(r'<td class="num" data-v="(\d+)"><a ', body)]
    assert numbers == sorted(numbers) and len(numbers) == 30
    assert _page_errors(stderr) == []


# Headless Chromium will not make a window narrower than 500 px, so the page is measured inside
# a 390 px iframe. The copy drops the report's CSP (which rightly forbids foreign scripts) so that
# the probe can report the document's scroll width to the parent page.
_PROBE = ("<script>window.addEventListener('load',function(){var d=document.documentElement;"
          "parent.postMessage(d.scrollWidth+'/'+d.clientWidth,'*');});</script></body>")


def _document_width(tmp_path: Path, html: str, width: int) -> tuple[int, int]:
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html).replace("</body>", _PROBE)
    _write(tmp_path, "child.html", html)
    parent = _write(tmp_path, "frame.html", (
        f'<!DOCTYPE html><body style="margin:0"><iframe src="child.html" style="width:{width}px;height:900px;'
        'border:0"></iframe><script>window.addEventListener("message",function(e){'
        'document.body.setAttribute("data-m",e.data);});</script></body>'))
    dom, stderr = _chromium(tmp_path, parent, "--allow-file-access-from-files", "--virtual-time-budget=3000",
                            "--dump-dom", width=800, height=900)
    found = re.search(r'data-m="(\d+)/(\d+)"', dom)
    assert found, stderr[-2000:]
    return int(found.group(1)), int(found.group(2))


def _index_html() -> str:
    entries = [{"repository": "lumen-ai/lumen", "week": f"2026-11-{d:02d}", "iso": f"2026-W{44 + i}", "pr_count": 62,
                "highlight_count": 6, "json": f"lumen-ai/lumen/2026-11-{d:02d}.json",
                "links": {lang: {"md": f"lumen-ai/lumen/2026-11-{d:02d}.{lang}.md",
                                 "html": f"lumen-ai/lumen/2026-11-{d:02d}.{lang}.html"} for lang in ("en", "zh")}}
               for i, d in enumerate((2, 9, 16))]
    return render_index(entries)


@pytest.mark.parametrize("page", ["en", "zh", "index"])
def test_no_horizontal_scroll_on_a_phone(tmp_path, page):
    html = _index_html() if page == "index" else render_html(report_model(), page, {"zh" if page == "en" else "en": "x.html"})
    scroll, client = _document_width(tmp_path, html, 390)
    assert scroll == client, f"{page}: document {scroll}px wide in a {client}px viewport"


def test_narrow_check_catches_an_overflow(tmp_path):
    # negative control: a fixed-width block must make the check fail
    html = render_html(report_model(), "en").replace("</main>", '<div style="width:700px">wide</div></main>')
    scroll, client = _document_width(tmp_path, html, 390)
    assert scroll > client
