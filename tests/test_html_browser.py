"""The HTML review report in a real headless browser (Debian's chromium via Playwright).

Run: ``.venv/bin/python -m pytest -m browser tests/test_html_browser.py``. Needs
``apt-get install chromium`` (never a downloaded browser); skipped with that reason when
``/usr/bin/chromium`` is missing.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from mtcheck.report.html import SUPPRESSIONS_SCHEMA, index_entry, render, render_index, rule_help
from test_html import INJECTIONS, injection_report, make_report

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).parent.parent
REF = ROOT / "fixtures" / "kurdistan24-istanbul-talks.clean.txt"
CAND = ROOT / "fixtures" / "istanbul-talks.garbled-mt.txt"
SCREENSHOT = ROOT / "reports" / "html-report.png"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)",
    ),
]
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Opened:
    """A page with everything that could signal a problem recorded."""

    def __init__(self, browser, path: Path, width: int = 1440, height: int = 1000):
        self.context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        self.page = self.context.new_page()
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.add_init_script(
            "window.__called = [];"
            "['alert','confirm','prompt','print'].forEach(function (n) {"
            "  window[n] = function () { window.__called.push(n); }; });"
        )
        self.page.goto(path.as_uri())

    def clean(self) -> bool:
        problems = [m for m in self.console if m[0] in ("error", "warning")]
        return not problems and not self.errors and not self.dialogs

    def close(self):
        self.context.close()


@pytest.fixture
def opened(browser):
    pages: list[Opened] = []

    def open_(path: Path, **kw) -> Opened:
        pages.append(Opened(browser, path, **kw))
        return pages[-1]

    yield open_
    for p in pages:
        p.close()


@pytest.fixture(scope="module")
def fixture_page(encoder, tmp_path_factory):
    """The demo's page for the fixture pair, from the real pipeline."""
    from mtcheck.pipeline import run_check
    from mtcheck.settings import Settings

    report = run_check(str(REF), str(CAND), Settings(grammar=False), encoder)
    for doc, path in ((report.reference, REF), (report.candidate, CAND)):
        doc.path = str(path.relative_to(ROOT))  # as the demo shows them
    path = tmp_path_factory.mktemp("html") / "fixture.html"
    path.write_text(render(report), encoding="utf-8")
    return path, report


DEMO_REF = (
    "Russia and Ukraine will meet in Istanbul. The talks start on Friday at 12:30. "
    "Putin will not attend. Moscow keeps its maximalist demands."
)
DEMO_CAND = (
    "Russia and Ukraine will meet in Istanbul in Istanbul. The talks start on Friday at 13:30. "
    "Putin will not attend. Moscow keeps the demands of its biggestists."
)


@pytest.fixture
def demo_page(tmp_path):
    """A small deterministic page: 3 findings, minor/major/critical, 2 categories."""
    report = make_report(
        DEMO_REF,
        DEMO_CAND,
        [
            {"code": "MT102", "text": "in Istanbul in Istanbul", "severity": "minor", "category": "fluency"},
            {"code": "MT201", "text": "13:30", "severity": "critical", "category": "accuracy", "suggestions": ["12:30"]},
            {"code": "MT104", "text": "biggestists", "severity": "major", "category": "fluency"},
        ],
    )
    path = tmp_path / "demo.html"
    path.write_text(render(report), encoding="utf-8")
    return path, report


def test_fixture_report_loads_cleanly_and_says_different_stories(fixture_page, opened):
    path, report = fixture_page
    o = opened(path)
    page = o.page
    page.wait_for_load_state("load")
    assert o.clean(), (o.console, o.errors, o.dialogs)
    assert all(u.startswith("file:") for u in o.requests), o.requests  # no network at all
    assert report.parallel.is_parallel is False
    text = page.inner_text(".summary")
    assert "Different stories." in text and "reference-based checks apply only to the" in text
    rows = page.locator("tbody tr")
    assert rows.count() == len(report.alignment)
    assert page.locator("li.finding").count() == len(report.findings)
    # the README's picture (docs/html-report.png is a copy): the top of the page with
    # the details of the first candidate finding open
    page.locator("td.cand mark.hl").first.hover()
    page.locator("#pop").wait_for(state="visible")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000


def test_biggestists_is_highlighted_and_explained(fixture_page, opened):
    path, report = fixture_page
    o = opened(path)
    page = o.page
    mark = page.locator("td.cand mark.hl", has_text="biggestists")
    assert mark.count() >= 1
    assert mark.first.inner_text() == "biggestists"  # exactly the word, not more
    bg = mark.first.evaluate("m => getComputedStyle(m).backgroundColor")
    assert bg not in ("rgba(0, 0, 0, 0)", "transparent")
    mark.first.hover()
    pop = page.locator("#pop")
    pop.wait_for(state="visible")
    (finding,) = [f for f in report.findings if f.text == "biggestists"]  # MT111 non-word
    assert finding.code == "MT111"
    assert finding.code in pop.inner_text() and finding.message in pop.inner_text()
    assert rule_help("MT111")["what"][:60] in pop.inner_text()  # the rule's explanation
    assert finding.suggestions[0] in pop.inner_text()
    assert o.clean(), (o.console, o.errors)


def test_filter_hides_and_shows_findings_with_counts_updating(demo_page, opened):
    o = opened(demo_page[0])
    page = o.page
    shown = page.locator("#shown-count")
    assert shown.inner_text() == "3"
    assert page.locator("[data-facet=category] [data-count=fluency]").inner_text() == "2"
    page.locator("[data-facet=severity] input[value=critical]").uncheck()
    assert shown.inner_text() == "2"
    assert page.locator("li.finding:visible").count() == 2
    assert page.locator("[data-facet=category] [data-count=accuracy]").inner_text() == "0"
    assert page.locator("[data-facet=code] [data-count=MT201]").inner_text() == "0"
    # the critical highlight lost its colour; the others kept theirs
    assert "off" in page.locator("mark.hl", has_text="13:30").get_attribute("class")
    assert "sev-major" in page.locator("mark.hl", has_text="biggestists").get_attribute("class")
    page.locator("[data-facet=category] input[value=fluency]").uncheck()
    assert shown.inner_text() == "0"
    assert page.locator("[data-facet=severity] [data-count=minor]").inner_text() == "0"
    page.locator("[data-facet=severity] input[value=critical]").check()
    page.locator("#only-findings").check()  # rows 1, 2 and 4 have findings; row 3 has none
    assert page.locator("tbody tr:visible").count() == 1  # only the critical one's row
    page.locator("[data-facet=category] input[value=fluency]").check()
    assert page.locator("tbody tr:visible").count() == 3
    page.locator("#only-findings").uncheck()
    assert page.locator("tbody tr:visible").count() == 4
    assert shown.inner_text() == "3"
    assert page.locator("li.finding:visible").count() == 3
    assert o.clean(), (o.console, o.errors)


def test_keyboard_moves_focus_from_finding_to_finding(demo_page, opened):
    o = opened(demo_page[0])
    page = o.page
    page.locator("body").click(position={"x": 5, "y": 5})

    def focused_text():
        return page.evaluate("document.activeElement.tagName + ':' + document.activeElement.textContent")

    page.keyboard.press("j")
    assert focused_text() == "MARK:in Istanbul in Istanbul"
    assert "MT102" in page.locator("#pop").inner_text()
    page.keyboard.press("j")
    assert focused_text() == "MARK:13:30"
    assert page.locator("li.finding.current .code").inner_text() == "MT201"
    page.keyboard.press("n")
    assert focused_text() == "MARK:biggestists"
    page.keyboard.press("k")
    assert focused_text() == "MARK:13:30"
    # hidden findings are skipped
    page.locator("[data-facet=severity] input[value=major]").uncheck()
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("j")
    assert focused_text() == "MARK:in Istanbul in Istanbul"  # wrapped past the hidden one
    page.keyboard.press("Escape")
    assert page.locator("#pop").is_hidden()
    assert o.clean(), (o.console, o.errors)


def test_findings_list_and_strip_jump_to_the_sentence(demo_page, opened):
    o = opened(demo_page[0])
    page = o.page

    def focused_text():
        return page.evaluate("document.activeElement.tagName + ':' + document.activeElement.textContent")

    page.locator("li.finding", has_text="biggestists").locator("button.jump").click()
    assert focused_text() == "MARK:biggestists"
    assert "current-row" in page.locator("tr", has_text="biggestists").get_attribute("class")
    assert "MT104" in page.locator("#pop").inner_text()
    page.locator("#strip .tick").first.click()
    assert focused_text() == "MARK:in Istanbul in Istanbul"
    assert o.clean(), (o.console, o.errors)


def test_dismissal_survives_reload_and_exports_a_suppressions_file(demo_page, opened, tmp_path):
    from mtcheck.score.baseline import Marks, load_suppressions

    path, report = demo_page
    o = opened(path)
    page = o.page
    page.locator("li.finding", has_text="biggestists").locator("button.dismiss").click()
    page.keyboard.press("j")  # MT102 becomes current ...
    page.keyboard.press("a")  # ... and is accepted: accepted findings are not suppressed
    page.fill("#reviewer", "Jane Editor")
    page.reload()
    assert page.locator("li.finding", has_text="biggestists").locator("button.dismiss").get_attribute("aria-pressed") == "true"
    assert page.locator("#n-dismissed").inner_text() == "1"
    assert page.locator("#n-accepted").inner_text() == "1"
    assert "dismissed" in page.locator("mark.hl", has_text="biggestists").get_attribute("class")
    with page.expect_download() as info:
        page.click("#export")
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(str(target))
    assert download.suggested_filename == "cand.suppressions.json"
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["schema"] == SUPPRESSIONS_SCHEMA
    (entry,) = data["suppressions"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry.pop("date"))
    assert entry == {
        "code": "MT104",
        "text": "biggestists",
        "context": "Moscow keeps the demands of its biggestists.",
        "side": "candidate",
        "reason": "dismissed in review",
        "reviewer": "Jane Editor",
    }
    # the gate reads it back and suppresses exactly the dismissed finding
    marked = Marks(suppressions=load_suppressions(str(target))).apply(
        report.findings, report.reference, report.candidate
    )
    assert [f.text for f in marked if f.suppressed] == ["biggestists"]
    assert o.clean(), (o.console, o.errors)


def test_suppressed_findings_start_dismissed_and_stay_in_the_export(opened, tmp_path):
    report = make_report(DEMO_REF, DEMO_CAND, [{"code": "MT104", "text": "biggestists"}, {"code": "MT201", "text": "13:30"}])
    report.findings[0] = dataclasses.replace(report.findings[0], suppressed=True, justification="a name (j.doe)")
    path = tmp_path / "suppressed.html"
    path.write_text(render(report), encoding="utf-8")
    o = opened(path)
    page = o.page
    assert page.locator("#n-dismissed").inner_text() == "1"
    assert "suppressed" in page.locator("li.finding", has_text="biggestists").inner_text()
    page.keyboard.press("j")  # 13:30
    page.keyboard.press("j")  # biggestists
    page.keyboard.press("u")  # reopened by the reviewer: no longer exported
    assert page.locator("#n-dismissed").inner_text() == "0"
    assert page.evaluate("window.mtcheckReview.suppressions().suppressions") == []
    page.keyboard.press("d")  # dismissed again: the file's suppression, with its reason
    page.keyboard.press("k")
    page.keyboard.press("d")  # 13:30 dismissed now as well
    entries = page.evaluate("window.mtcheckReview.suppressions().suppressions")
    assert [(e["text"], e["reason"]) for e in entries] == [("13:30", "dismissed in review"), ("biggestists", "a name (j.doe)")]
    page.keyboard.press("j")
    page.keyboard.press("d")  # pressing dismiss on a dismissed finding reopens it
    entries = page.evaluate("window.mtcheckReview.suppressions().suppressions")
    assert [e["text"] for e in entries] == ["13:30"]
    assert o.clean(), (o.console, o.errors)


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injected_markup_renders_as_text_and_runs_nothing(payload, opened, tmp_path):
    path = tmp_path / "inject.html"
    path.write_text(render(injection_report(payload)), encoding="utf-8")
    o = opened(path)
    page = o.page
    page.keyboard.press("j")  # opens the popup built from the same text
    page.locator("mark.hl").first.hover()
    page.wait_for_timeout(100)
    assert page.evaluate("window.__called") == []
    assert o.clean(), (o.console, o.errors, o.dialogs)
    assert page.locator("img, textarea").count() == 0
    assert page.locator("script").count() == 2
    # the text is shown verbatim (sentence splitting may cut it across rows)
    squeeze = lambda t: "".join(t.split())  # noqa: E731
    assert squeeze(payload) in squeeze("".join(page.locator("td.cand").all_inner_texts()))
    assert payload in page.locator("#pop").inner_text()
    assert f"note {payload}" in page.locator(".notices").inner_text()


def test_index_page_sorts_by_column(opened, tmp_path):
    reports = [
        make_report(DEMO_REF, DEMO_CAND, [{"code": "MT104", "text": "biggestists"}]),
        make_report(DEMO_REF, DEMO_REF),
    ]
    entries = [
        {**index_entry(reports[0], "a.html", name="alpha"), "quality": 40.0},
        {**index_entry(reports[1], "b.html", name="bravo"), "quality": 90.0},
        {"name": "charlie", "reference": "c.txt", "error": "c.txt: file is empty"},
    ]
    path = tmp_path / "index.html"
    path.write_text(render_index(entries), encoding="utf-8")
    o = opened(path)
    page = o.page

    def names():
        return [t.strip() for t in page.locator("tbody tr td:first-child").all_inner_texts()]

    assert names() == ["alpha", "bravo", "charlie"]
    page.click("th:has-text('Quality') button")
    assert names() == ["alpha", "bravo", "charlie"]  # ascending, missing last
    page.click("th:has-text('Quality') button")
    assert names() == ["bravo", "alpha", "charlie"]
    assert page.locator("th:has-text('Quality')").get_attribute("aria-sort") == "descending"
    page.click("th:has-text('Verdict') button")
    assert names() == ["alpha", "bravo", "charlie"]  # failed, passed, error
    assert o.clean(), (o.console, o.errors)



def test_findings_sort_and_filter_by_confidence(opened, tmp_path):
    report = make_report(
        DEMO_REF,
        DEMO_CAND,
        [
            {"code": "MT102", "text": "in Istanbul in Istanbul", "severity": "minor"},
            {"code": "MT201", "text": "13:30", "severity": "critical"},
            {"code": "MT104", "text": "biggestists", "severity": "major"},
        ],
    )
    conf = {"MT104": 0.81, "MT102": 0.47, "MT201": 0.22}
    report.findings = [dataclasses.replace(f, confidence=conf[f.code]) for f in report.findings]
    path = tmp_path / "confidence.html"
    path.write_text(render(report), encoding="utf-8")
    o = opened(path)
    page = o.page

    def listed():
        return page.locator("li.finding:visible .code").all_inner_texts()

    assert listed() == ["MT104", "MT102", "MT201"]  # most confident first
    assert page.locator("li.finding", has_text="13:30").locator(".conf").inner_text() == "0.22"
    page.select_option("#sort-findings", "position")
    assert listed() == ["MT102", "MT201", "MT104"]  # reading order
    page.select_option("#sort-findings", "confidence")
    page.fill("#min-confidence", "0.5")
    assert page.locator("#min-confidence-value").inner_text() == "0.50"
    assert listed() == ["MT104"]
    assert page.locator("#shown-count").inner_text() == "1"
    assert "off" in page.locator("mark.hl", has_text="13:30").get_attribute("class")
    assert page.locator("[data-facet=severity] [data-count=critical]").inner_text() == "0"
    page.fill("#min-confidence", "0.2")
    assert listed() == ["MT104", "MT102", "MT201"]
    page.locator("mark.hl", has_text="13:30").hover()
    assert "Confidence 0.22" in page.locator("#pop").inner_text()
    assert o.clean(), (o.console, o.errors)
