"""The HTML review report: structure, escaping, segments of overlapping findings, index.

These tests parse the rendered page with the standard library's HTML parser; the
behaviour in a real browser is tested in ``test_html_browser.py``.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from mtcheck.report import emitter
from mtcheck.report.html import (
    SUPPRESSIONS_SCHEMA,
    index_entry,
    json_for_script,
    render,
    render_index,
    rule_help,
    segments,
)
from mtcheck.segment import segment
from mtcheck.types import Bead, Document, Finding, Metrics, Parallel, Report, Score

INJECTIONS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "</textarea>", "<!--", "</script>")


def make_report(
    reference: str,
    candidate: str,
    findings: list[dict] = (),
    beads: list[tuple[tuple[int, ...], tuple[int, ...]]] | None = None,
    parallel: bool = True,
    notices: list[str] = (),
) -> Report:
    """A report built by hand over real segmentation, for tests that need no model.

    ``findings`` entries: ``{"code", "text"}`` plus optional ``severity``, ``category``,
    ``side``, ``occurrence`` (which match of ``text``), ``message``, ``suggestions``,
    ``source``. ``beads`` defaults to pairing sentence i with sentence i.
    """
    ref = segment(Document("ref.txt", reference))
    cand = segment(Document("cand.txt", candidate))
    if beads is None:
        n, m = len(ref.sentences), len(cand.sentences)
        beads = [((i,) if i < n else (), (i,) if i < m else ()) for i in range(max(n, m))]
    alignment = [
        Bead(r, c, similarity=0.9 if r and c else None, chrf=60.0 if r and c else None, quality=80.0 if r and c else None)
        for r, c in beads
    ]
    out = []
    for spec in findings:
        side = spec.get("side", "candidate")
        doc = cand if side == "candidate" else ref
        starts = [m.start() for m in re.finditer(re.escape(spec["text"]), doc.text)]
        start = starts[spec.get("occurrence", 0)]
        end = start + len(spec["text"])
        sentence = next(s.index for s in doc.sentences if s.start <= start < s.end)
        out.append(
            Finding(
                code=spec["code"],
                rule=spec.get("rule", spec["code"].lower() + "-rule"),
                category=spec.get("category", "fluency"),
                severity=spec.get("severity", "major"),
                message=spec.get("message", f"problem with {spec['text']!r}"),
                side=side,
                start=start,
                end=end,
                text=doc.text[start:end],
                sentence=sentence,
                suggestions=tuple(spec.get("suggestions", ())),
                source=spec.get("source", "mtcheck"),
            )
        )
    weights = {"minor": 1, "major": 5, "critical": 25}
    penalty = sum(weights[f.severity] for f in out if f.side == "candidate")
    return Report(
        reference=ref,
        candidate=cand,
        alignment=alignment,
        parallel=Parallel(parallel, 1.0 if parallel else 0.2, 1.0 if parallel else 0.1, "" if parallel else "not parallel: test"),
        metrics=Metrics(bleu=30.0, chrf=55.0, ter=60.0, similarity=0.9, pairs=len(beads), signatures={}),
        findings=out,
        score=Score(
            penalty=penalty,
            words=cand.words,
            per_1000_words=penalty * 1000 / cand.words,
            threshold=None,
            passed=not out,
            quality=75.0,
            reasons=[] if not out else [f"{len(out)} finding(s) of severity minor or above"],
        ),
        signature="mtcheck:test|model:none",
        notices=list(notices),
    )


class Page(HTMLParser):
    """Collects elements (tag, attrs), text per element id, and script bodies."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.marks: list[tuple[dict, str]] = []
        self._stack: list[tuple[str, dict, list[str]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag not in ("meta", "br", "input", "img", "link"):
            self._stack.append((tag, attrs, []))

    def handle_endtag(self, tag):
        while self._stack:
            t, attrs, text = self._stack.pop()
            body = "".join(text)
            if self._stack:
                self._stack[-1][2].append(body)
            if t == "script":
                self.scripts.append((attrs, body))
            if t == "mark":
                self.marks.append((attrs, body))
            if t == tag:
                break

    def handle_data(self, data):
        if self._stack:
            self._stack[-1][2].append(data)

    def tags(self, name: str) -> list[dict]:
        return [a for t, a in self.elements if t == name]

    def data(self) -> dict:
        (body,) = [b for a, b in self.scripts if a.get("type") == "application/json"]
        return json.loads(body)


CLEAN = (
    "Russia and Ukraine will meet in Istanbul. The talks start on Friday at 12:30. "
    "Putin will not attend."
)
GARBLED = (
    "Russia and Ukraine will meet in Istanbul in Istanbul. The talks start on Friday at 12:30. "
    "Moscow holds to the demands of its biggestists."
)


@pytest.fixture()
def report():
    return make_report(
        CLEAN,
        GARBLED,
        [
            {"code": "MT102", "text": "in Istanbul in Istanbul", "severity": "minor", "category": "fluency"},
            {"code": "MT104", "text": "biggestists", "severity": "major", "suggestions": ["maximalists"]},
            {"code": "MT201", "text": "Istanbul in", "severity": "critical", "category": "accuracy"},
        ],
    )


def test_emitter_is_registered_and_page_is_one_self_contained_file(report):
    html = emitter("html")(report)
    assert html.startswith("<!DOCTYPE html>")
    page = Page(html)
    # no external resources of any kind
    assert not page.tags("link")
    assert all("src" not in a for a in page.tags("script"))
    assert all(not a.get("src") for a in page.tags("img"))
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert "@import" not in html and "url(" not in html
    (csp,) = [a["content"] for a in page.tags("meta") if a.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]


def test_header_has_verdict_metrics_counts_and_signature(report):
    html = render(report)
    assert "Failed" in html and "quality gate" in html
    for label in ("Quality", "Penalty", "BLEU", "chrF", "TER", "Similarity"):
        assert f"<dt>{label}</dt>" in html
    assert "per 1,000 words" in html
    assert "mtcheck:test|model:none" in html
    page = Page(html)
    counts = {a["data-count"]: None for a in page.tags("span") if "data-count" in a}
    assert {"critical", "major", "minor", "fluency", "accuracy", "MT102", "MT104", "MT201"} <= set(counts)


def test_not_parallel_pair_says_different_stories(report):
    html = render(make_report(CLEAN, GARBLED, parallel=False, notices=["The two documents do not look alike."]))
    assert "Different stories." in html
    assert "reference-based checks apply only to the 3 aligned sentence pairs" in html
    assert "The two documents do not look alike." in html
    assert "Different stories." not in render(report)


def test_one_row_per_bead_with_unaligned_rows_and_similarity():
    ref = "One sentence here. Two sentence here. Three here."
    cand = "One sentence here and two. Extra stuff. Three here."
    rep = make_report(ref, cand, beads=[((0, 1), (0,)), ((), (1,)), ((2,), (2,))])
    page = Page(render(rep))
    rows = [a for a in page.tags("tr") if "data-row" in a]
    assert len(rows) == 3
    assert "unaligned" in rows[1]["class"] and "aligned" in rows[0]["class"].split()
    html = render(rep)
    assert "2-1" in html and "candidate only" in html and "no reference counterpart" in html
    assert html.count('class="simval high"') == 2


def test_highlights_sit_at_exact_offsets_and_overlaps_split_into_segments(report):
    page = Page(render(report))
    data = page.data()
    texts = {m[1] for m in page.marks}
    assert "biggestists" in texts
    # MT102 "in Istanbul in Istanbul" overlaps MT201 "Istanbul in": three flat segments
    marks = [(a["data-ids"], body) for a, body in page.marks]
    assert ("0", "in ") in marks
    assert ("0 2", "Istanbul in") in marks
    assert ("0", " Istanbul") in marks
    by_id = {f["id"]: f for f in data["findings"]}
    cand = report.candidate.text
    for f in by_id.values():
        assert cand[f["start"] : f["end"]] == f["text"]
    # the overlap takes the strongest severity's colour
    (overlap,) = [a for a, body in page.marks if body == "Istanbul in"]
    assert "sev-critical" in overlap["class"] and "multi" in overlap["class"]
    # each finding has exactly one tab stop (its first segment)
    first = [a["data-ids"] for a, _ in page.marks if a["tabindex"] == "0"]
    assert first == ["0", "0 2", "1"]


def test_segments_cover_the_sentence_exactly():
    text = "abcdefghij"
    severity = {0: "minor", 1: "major", 2: "critical", 3: "minor"}
    segs = segments(text, 100, [(101, 105, 0), (103, 108, 1), (100, 110, 2), (106, 106, 3)], severity)
    assert "".join(s["text"] for s in segs) == text
    assert [s["ids"] for s in segs if not s["point"]] == [[2], [0, 2], [0, 1, 2], [1, 2], [1, 2], [2]]
    assert [s["ids"] for s in segs if s["point"]] == [[3]]
    # a point between two plain characters splits nothing visible
    segs = segments(text, 100, [(104, 104, 0)], severity)
    assert [(s["text"], s["ids"], s["point"]) for s in segs] == [("abcd", [], False), ("", [0], True), ("efghij", [], False)]
    assert all(s["severity"] == "critical" for s in segs if 2 in s["ids"])


def injection_report(payload: str) -> Report:
    """A report with ``payload`` in both articles, a finding on it, its message, its
    suggestion, a notice, the candidate's path and the signature."""
    ref = f"The minister said {payload} on Friday. Nothing else happened."
    cand = f"The minister said {payload} on Friday. Nothing else happened, {payload}."
    rep = make_report(
        ref,
        cand,
        [{"code": "MT104", "text": payload, "occurrence": 1, "message": f"odd {payload}", "suggestions": [payload]}],
        notices=[f"note {payload}"],
    )
    rep.candidate.path = f"cand{payload}.txt"
    rep.signature = f"sig{payload}"
    return rep


@pytest.mark.parametrize("payload", INJECTIONS)
def test_article_text_is_escaped_everywhere(payload):
    html = render(injection_report(payload))
    page = Page(html)
    # the payload never appears raw: no element came from the article
    assert not any(a.get("onerror") for _, a in page.elements)
    assert not page.tags("img") and not page.tags("textarea")
    assert len([a for a in page.tags("script")]) == 2
    # the JSON block survives intact and holds the text verbatim
    data = page.data()
    (f,) = data["findings"]
    assert f["text"] == payload and f["suggestions"] == [payload]
    json_block = html.split('id="mtcheck-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in json_block
    # and the text is there, as text
    assert payload in [body for _, body in page.marks]


def test_json_for_script_cannot_close_the_element():
    text = json_for_script({"a": "</script><!-- & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><!-- & \u2028"}


def test_script_data_has_what_the_export_needs(report):
    data = Page(render(report)).data()
    assert data["schema"] == SUPPRESSIONS_SCHEMA == "mtcheck.suppressions/1"
    assert re.fullmatch(r"[0-9a-f]{20}", data["identity"])
    f = next(f for f in data["findings"] if f["code"] == "MT104")
    assert f["context"] == "Moscow holds to the demands of its biggestists."
    assert f["key"] == f"MT104|candidate|{f['start']}|{f['end']}"
    # the identity depends on the texts, not on the findings
    other = make_report(CLEAN, GARBLED)
    assert Page(render(other)).data()["identity"] == data["identity"]


def test_finding_without_rule_doc_renders(report):
    rep = make_report(CLEAN, GARBLED, [{"code": "LT:MORFOLOGIK_RULE_EN_US", "text": "biggestists", "source": "languagetool"}])
    data = Page(render(rep)).data()
    assert data["rules"] == {"LT:MORFOLOGIK_RULE_EN_US": None}


def test_no_findings_and_empty_alignment_still_render():
    rep = make_report(CLEAN, GARBLED, beads=[])
    page = Page(render(rep))
    rows = [a for a in page.tags("tr") if "data-row" in a]
    assert len(rows) == 6  # every sentence on its own row
    assert "No findings." in render(rep)


def test_large_article_renders_every_sentence():
    sentences = [f"Sentence number {i} says something about the talks." for i in range(300)]
    text = " ".join(sentences)
    findings = [{"code": "MT104", "text": f"number {i} ", "severity": "minor"} for i in range(0, 300, 7)]
    rep = make_report(text, text, findings)
    page = Page(render(rep))
    assert len([a for a in page.tags("tr") if "data-row" in a]) == 300
    assert len(page.data()["findings"]) == len(findings)


def test_index_is_sortable_escaped_and_links_pairs(report):
    entries = [
        index_entry(report, "pair-1.html", name="pair <b>1</b>"),
        {"name": "broken pair", "href": "javascript:alert(1)", "reference": "r.txt", "error": "r.txt: file is empty"},
        {**index_entry(report, "pair-2.html"), "passed": True, "quality": 91.5},
    ]
    html = render_index(entries)
    page = Page(html)
    links = [a["href"] for a in page.tags("a")]
    assert links == ["pair-1.html", "pair-2.html"]  # the javascript: link is dropped
    assert "pair &lt;b&gt;1&lt;/b&gt;" in html
    heads = [a for a in page.tags("th") if "data-type" in a]
    assert len(heads) == 10
    assert "2 failed" not in html and "1 passed, 1 failed, 1 could not be checked" in html
    assert "r.txt: file is empty" in html


def test_reference_side_findings_are_highlighted_in_the_left_column():
    rep = make_report(CLEAN, GARBLED, [{"code": "MT204", "text": "Putin", "side": "reference", "severity": "minor"}])
    html = render(rep)
    row = html.split('id="row-2"', 1)[1].split("</tr>", 1)[0]
    ref_cell = row.split('<td class="ref">', 1)[1].split("</td>", 1)[0]
    assert '<mark class="hl sev-minor" data-ids="0" tabindex="0">Putin</mark>' in ref_cell
    (f,) = Page(html).data()["findings"]
    assert f["side"] == "reference" and f["row"] == 2 and f["context"] == "Putin will not attend."


def test_a_span_across_two_sentences_is_highlighted_in_both():
    rep = make_report(CLEAN, GARBLED, [{"code": "MT205", "text": "12:30. Moscow", "severity": "minor"}])
    page = Page(render(rep))
    assert [body for a, body in page.marks] == ["12:30.", "Moscow"]
    assert [a["tabindex"] for a, _ in page.marks] == ["0", "-1"]


def test_rule_explanations_come_from_the_rule_docs():
    from mtcheck.detect import all_rules

    for rule in all_rules():
        help_ = rule_help(rule.code)
        assert help_ and help_["name"] == rule.name
        assert help_["what"] and help_["why"], rule.code
        assert "What it does" not in help_["what"] and "``" not in help_["what"]
    assert rule_help("LT:SOMETHING") is None


def test_sentence_searches_match_a_scan_of_every_sentence():
    """The page's sentence of a finding and the sentences a span touches (binary searches,
    _Spans) are what a scan of every sentence gives, for every span of a document with
    adjacent sentences, zero-length spans at their ends and offsets outside them."""
    from mtcheck.report.html import _sentence_of, _Spans

    sentences = [{"index": i, "start": a, "end": b, "text": ""}
                 for i, (a, b) in enumerate([(0, 5), (5, 9), (11, 20), (21, 22), (30, 31)])]
    doc, spans = {"sentences": sentences}, _Spans(sentences)
    for start in range(-1, 34):
        for end in range(start, 35):
            f = {"start": start, "end": end, "sentence": 2}
            scan = next((s for s in sentences
                         if s["start"] <= start < s["end"] or start == end == s["end"]), sentences[2])
            assert _sentence_of(doc, f, spans) is scan, (start, end)
            assert spans.touched(start, end) == [s for s in sentences if start < s["end"] and end > s["start"]]
