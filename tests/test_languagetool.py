"""The LanguageTool grammar backend: offsets and chunks, merging, and what a real server
cannot be made to do.

What the real LanguageTool does (matches, exact offsets with astral characters, chunks,
categories, the spelling filter, the cache, the CLI report, on-demand start, the kept
server, a batch's shared server, and the bad paths it can really take: no Java, missing
or corrupt jars, a taken port, a server killed mid-run) is tested against the real server
in tests/test_languagetool_real.py. The tests here that need an HTTP server use a
stand-in (stdlib ``http.server`` on 127.0.0.1, in a thread) answering ``POST /v2/check``
with LanguageTool-shaped JSON from ``tests/data/languagetool/``, and each says why the
real server could not do it: answer slowly on cue, answer HTTP 413, send malformed or
self-contradictory JSON, die in the middle of a request, or count the requests it got.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mtcheck.detect.base import CheckContext
from mtcheck.detect.languagetool import (
    GrammarUnavailableError,
    check_grammar,
    merge_grammar,
)
from mtcheck.detect.languagetool.client import check_endpoint
from mtcheck.detect.languagetool.offsets import (
    chunk_spans,
    utf16_length,
    utf16_to_index,
)
from mtcheck.segment import segment
from mtcheck.settings import Settings
from mtcheck.types import Document, Finding, Parallel

ROOT = Path(__file__).parent.parent
DATA = ROOT / "tests" / "data" / "languagetool"
REF = ROOT / "fixtures" / "kurdistan24-istanbul-talks.clean.txt"
CAND = ROOT / "fixtures" / "istanbul-talks.garbled-mt.txt"


# -- the stand-in server ---------------------------------------------------------------


class StandIn:
    """A LanguageTool look-alike: ``answers`` maps each expected request text to its JSON."""

    def __init__(self, answers: dict[str, dict], delay: float = 0.0, status: int = 200,
                 raw: bytes | None = None, hang_up: bool = False):  # fmt: skip
        self.answers, self.delay, self.status = answers, delay, status
        self.raw, self.hang_up = raw, hang_up
        self.requests: list[dict[str, str]] = []
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(length).decode()).items()}
                standin.requests.append({"path": self.path, **form})
                time.sleep(standin.delay)
                if self.path != "/v2/check":
                    return self._send(404, b"Error: unknown path", "text/plain")
                if standin.status != 200:
                    msg = "Error: Your text exceeds the limit of 100 characters (it's 4337 characters)."
                    return self._send(standin.status, msg.encode(), "text/plain")
                if standin.hang_up:  # read the request, then close without a word
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return None
                if standin.raw is not None:
                    return self._send(200, standin.raw, "text/html")
                if form.get("text") not in standin.answers:
                    return self._send(400, b"Error: the stand-in has no answer for this text", "text/plain")
                body = json.dumps(standin.answers[form["text"]]).encode("utf-8")
                self._send(200, body, "application/json")

            def _send(self, code, body, ctype):
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def checks(self) -> int:
        return sum(1 for r in self.requests if r["path"] == "/v2/check")


@contextmanager
def standin(answers: dict[str, dict], **kw):
    server = StandIn(answers, **kw)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


def answer(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def text_of(name: str) -> str:
    return (DATA / f"{name}.txt").read_text(encoding="utf-8")


# -- helpers ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_languagetool_around(monkeypatch, tmp_path):
    """Neither the environment nor a real local install may leak into a test."""
    monkeypatch.delenv("MTCHECK_LANGUAGETOOL_URL", raising=False)
    monkeypatch.setenv("LTP_PATH", str(tmp_path / "no-languagetool-here"))


def context(candidate: str, reference: str = "The talks began in Istanbul.\n") -> CheckContext:
    ref = segment(Document("ref.txt", reference))
    cand = segment(Document("cand.txt", candidate))
    return CheckContext(reference=ref, candidate=cand, beads=[], parallel=Parallel(True, 1.0, 1.0))


def settings(tmp_path, url=None, **kw) -> Settings:
    return Settings(languagetool_url=url, cache_dir=str(tmp_path / "cache"), **kw)


def by_text(findings: list[Finding]) -> dict[str, Finding]:
    return {f.text: f for f in findings}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- offsets and chunks ----------------------------------------------------------------


def test_utf16_table_maps_astral_characters():
    text = "a\U0001F600b"  # 😀 is two UTF-16 units, one Python character
    assert utf16_length(text) == 4
    table = utf16_to_index(text)
    assert table[0] == 0 and table[3] == 2 and table[4] == 3
    # A span that contains the emoji: UTF-16 [1, 3) is Python [1, 2).
    assert text[table[1] : table[3]] == "\U0001F600"


def test_chunks_end_at_sentence_starts_and_fit_the_limit():
    text = "One two three. Four five six. Seven \U0001F600 eight nine. Ten."
    starts = [0, 15, 30, 52]
    spans = chunk_spans(text, starts, 30)
    assert "".join(text[a:b] for a, b in spans) == text
    assert all(utf16_length(text[a:b]) <= 30 for a, b in spans)
    assert [a for a, _ in spans] == [0, 30]  # 0-30 fits; 30-end (with the emoji) fits
    # An over-long sentence is cut after the last whitespace that fits.
    long = "word " * 20
    spans = chunk_spans(long, [0], 12)
    assert all(utf16_length(long[a:b]) <= 12 for a, b in spans)
    assert all(long[a:b].endswith(" ") for a, b in spans)
    assert "".join(long[a:b] for a, b in spans) == long


def test_server_url_forms():
    assert check_endpoint("localhost:8010") == "http://localhost:8010/v2/check"
    assert check_endpoint("http://lt.example/") == "http://lt.example/v2/check"
    assert check_endpoint("https://lt.example/api/v2") == "https://lt.example/api/v2/check"
    assert check_endpoint("http://lt.example:8081/v2/check") == "http://lt.example:8081/v2/check"


# -- the recorded-response server ------------------------------------------------------


def test_a_match_whose_offsets_disagree_with_its_context_is_skipped(tmp_path):
    # Stand-in: a real server does not contradict its own context (a malformed answer).
    text = text_of("emoji")
    raw = answer("emoji")
    raw["matches"][1]["offset"] -= 3  # as if the server counted code points, not UTF-16
    with standin({text: raw}) as lt:
        findings, backend = check_grammar(context(text), settings(tmp_path, lt.url))
    assert "meets" not in by_text(findings) and len(findings) == 2
    assert backend.status == "used" and "1 LanguageTool match(es) skipped" in backend.reason


# -- unavailable, timeout, errors, disabled ----------------------------------------------


def test_nothing_to_reach_means_unavailable_with_a_notice(tmp_path):
    findings, backend = check_grammar(context(text_of("emoji")), settings(tmp_path))
    assert findings == [] and backend.status == "unavailable"
    assert "no LanguageTool server given" in backend.reason
    assert "docker run -p 8010:8010 erikvl87/languagetool" in backend.reason
    assert "--languagetool-url" in backend.reason and "\n" not in backend.reason


def test_a_server_that_is_not_running(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}"
    findings, backend = check_grammar(context(text_of("emoji")), settings(tmp_path, url))
    assert findings == [] and backend.status == "unavailable"
    assert "cannot reach the LanguageTool server" in backend.reason and url in backend.reason


def test_environment_variable_names_the_server(tmp_path, monkeypatch):
    # Stand-in: it counts the requests it gets (one, to the server the variable names).
    text = text_of("emoji")
    with standin({text: answer("emoji")}) as lt:
        monkeypatch.setenv("MTCHECK_LANGUAGETOOL_URL", lt.url)
        findings, backend = check_grammar(context(text), settings(tmp_path))
    assert backend.status == "used" and len(findings) == 3 and lt.checks == 1


def test_timeout(tmp_path):
    # Stand-in: a real server cannot be made to answer 2 s late on cue.
    text = text_of("emoji")
    cfg = settings(tmp_path, rule_options={"LT": {"timeout": 0.3}})
    with standin({text: answer("emoji")}, delay=2.0) as lt:
        cfg.languagetool_url = lt.url
        findings, backend = check_grammar(context(text), cfg)
    assert findings == [] and backend.status == "unavailable"
    assert "did not answer within 0.3 s" in backend.reason


def test_text_too_long_for_the_server(tmp_path):
    # Stand-in: the answer of a server with a small maxTextLength (HTTP 413), on cue.
    text = text_of("emoji")
    with standin({}, status=413) as lt:
        findings, backend = check_grammar(context(text), settings(tmp_path, lt.url))
    assert backend.status == "unavailable"
    assert "HTTP 413" in backend.reason and "chunk_chars" in backend.reason


def test_malformed_answers(tmp_path):
    # Stand-in: a real LanguageTool always sends its JSON; a proxy or another service may not.
    text = text_of("emoji")
    for body in ({"no": "matches"}, {"matches": [{"offset": "x"}, {"length": 3}, 7]}):
        with standin({text: body}) as lt:
            findings, backend = check_grammar(context(text), settings(tmp_path / str(len(body)), lt.url))
        if "matches" not in body:
            assert backend.status == "unavailable" and "no 'matches' list" in backend.reason
        else:
            assert findings == [] and backend.status == "used" and "3 LanguageTool match(es) skipped" in backend.reason
    with standin({text: answer("emoji")}, raw=b"<html>Bad gateway</html>") as lt:
        _, backend = check_grammar(context(text), settings(tmp_path / "html", lt.url))
    assert backend.status == "unavailable" and "did not answer with LanguageTool's JSON" in backend.reason


def test_a_server_that_dies_in_the_middle_of_a_request(tmp_path):
    # Stand-in: a real server cannot be killed at the exact moment it has read a request
    # and not yet answered; this one closes the connection then (the real-server test kills
    # the JVM between two requests).
    text = text_of("emoji")
    with standin({text: answer("emoji")}, hang_up=True) as lt:
        findings, backend = check_grammar(context(text), settings(tmp_path, lt.url))
    assert findings == [] and backend.status == "unavailable"
    assert "LanguageTool server" in backend.reason and "\n" not in backend.reason
    with standin({text: answer("emoji")}, hang_up=True) as lt, pytest.raises(GrammarUnavailableError):
        check_grammar(context(text), settings(tmp_path, lt.url, require_grammar=True))


def test_require_grammar_makes_absence_an_error(tmp_path):
    cfg = settings(tmp_path, require_grammar=True)
    with pytest.raises(GrammarUnavailableError) as err:
        check_grammar(context(text_of("emoji")), cfg)
    assert str(err.value).startswith("LanguageTool is required (--require-grammar) but unavailable: ")
    assert "\n" not in str(err.value)
    cfg.languagetool_url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(GrammarUnavailableError, match="cannot reach"):
        check_grammar(context(text_of("emoji")), cfg)


def test_disabled_asks_nothing(tmp_path):
    # Stand-in: it records that no request came.
    text = text_of("emoji")
    with standin({text: answer("emoji")}) as lt:
        findings, backend = check_grammar(context(text), settings(tmp_path, lt.url, grammar=False))
    assert findings == [] and backend.status == "disabled" and lt.requests == []
    with pytest.raises(GrammarUnavailableError, match="contradict"):
        check_grammar(context(text), settings(tmp_path, grammar=False, require_grammar=True))


# -- cache ----------------------------------------------------------------------------


def test_second_run_is_answered_from_the_disk_cache(tmp_path):
    # Stand-in: it counts requests, to show the second run asked nothing (the real-server
    # test shows the cached answers give the same findings).
    text = text_of("emoji")
    with standin({text: answer("emoji")}) as lt:
        first, _ = check_grammar(context(text), settings(tmp_path, lt.url))
        assert lt.checks == 1
        second, backend = check_grammar(context(text), settings(tmp_path, lt.url))
        assert lt.checks == 1  # not asked again
        assert backend.status == "used" and "from the cache" in backend.how
        assert second == first
        # Another language is another question.
        check_grammar(context(text), settings(tmp_path, lt.url, language="en-GB"))
        assert lt.checks == 2 and lt.requests[-1]["language"] == "en-GB"
        # --no-cache: asked again, nothing new written.
        files = sorted((tmp_path / "cache").rglob("*.json"))
        check_grammar(context(text), settings(tmp_path, lt.url, cache=False))
        assert lt.checks == 3
        assert sorted((tmp_path / "cache").rglob("*.json")) == files
    # A changed text is not answered from the cache.
    with standin({}) as lt:
        _, backend = check_grammar(context(text + "More.\n"), settings(tmp_path, lt.url))
        assert lt.checks == 1 and backend.status == "unavailable"


# -- merging with the built-in rules ---------------------------------------------------


def _finding(code, start, end, text, category="Fluency/Spelling", source="mtcheck"):
    return Finding(code, "r", category, "minor", "m", "candidate", start, end, text, 0, (), source)


def test_merge_reports_a_span_once():
    text = "They met the the envoy and biggestists spoke at lenght with reverse channel aides."
    dup, lt = "Fluency/Duplication", "languagetool"
    lt_repeat = _finding("LT", 9, 16, "the the", dup, lt)
    lt_word = _finding("LT", 27, 38, "biggestists", "Fluency/Spelling", lt)
    lt_other = _finding("LT", 48, 54, "lenght", "Fluency/Spelling", lt)
    lt_in_long = _finding("LT", 60, 67, "reverse", "Fluency/Grammar", lt)
    builtin_dup = _finding("MT101", 13, 16, "the", dup)  # the second "the"
    builtin_word = _finding("MT111", 27, 38, "biggestists", "Fluency/Spelling")
    builtin_long = _finding("MT205", 39, 81, "spoke at lenght with reverse channel aides", "Accuracy/Mistranslation")
    for f in (lt_repeat, lt_word, lt_other, lt_in_long, builtin_dup, builtin_word, builtin_long):
        assert text[f.start : f.end] == f.text
    merged = merge_grammar([builtin_dup, builtin_word, builtin_long], [lt_repeat, lt_word, lt_other, lt_in_long])
    # Same words, or same category: once. Inside a long span of another kind: kept.
    assert merged == [builtin_dup, builtin_word, builtin_long, lt_other, lt_in_long]
    # A built-in finding on the reference side never hides a candidate one.
    ref_side = replace(builtin_word, side="reference")
    assert lt_word in merge_grammar([ref_side], [lt_word])
    # Same words, different category (a non-word vs. a terminology rule): still once.
    term = _finding("MT401", 27, 38, "biggestists", "Terminology/Inconsistent use of terminology")
    assert merge_grammar([term], [lt_word]) == [term]


# -- end to end: the pipeline and the CLI on the fixture pair -----------------------------


def test_pipeline_without_languagetool(tmp_path, encoder):
    # No server at all (the real-server tests cover the pipeline with one).
    import jsonschema

    from mtcheck.pipeline import run_check
    from mtcheck.report.json import report_to_dict

    schema = json.loads((ROOT / "mtcheck" / "report" / "schema" / "report.schema.json").read_text())
    report = report_to_dict(run_check(str(REF), str(CAND), settings(tmp_path), encoder))
    jsonschema.validate(report, schema)
    assert report["backends"]["languagetool"]["status"] == "unavailable"
    assert not any(f["source"] == "languagetool" for f in report["findings"])
    assert any(f["source"] != "languagetool" for f in report["findings"])  # other checks ran
    assert any(n.startswith("LanguageTool unavailable: no LanguageTool server") for n in report["notices"])


def test_cli_require_grammar_without_languagetool_exits_2(tmp_path):
    import os

    env = {**os.environ, "LTP_PATH": str(tmp_path / "none"), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    env.pop("MTCHECK_LANGUAGETOOL_URL", None)
    out = tmp_path / "never.json"
    proc = subprocess.run(
        [sys.executable, "-m", "mtcheck", "check", str(REF), str(CAND), "--require-grammar", "--json", str(out)],
        capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    # One line, before the embedding model is even loaded (pipeline calls preflight first).
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("mtcheck: error: LanguageTool is required (--require-grammar) but unavailable")
    assert "docker run" in proc.stderr
    assert not out.exists()


# -- a language-tool-python install, started with its command ----------------------------

# A stand-in for LanguageTool's server jar: same main class and command line
# (``java -cp languagetool-server.jar org.languagetool.server.HTTPServer -p PORT``, as
# language-tool-python builds it), answering /v2/healthcheck and /v2/check.
STANDIN_JAVA = """
package org.languagetool.server;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

public class HTTPServer {
  public static void main(String[] args) throws Exception {
    int port = 8081;
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals("-p") || args[i].equals("--port")) port = Integer.parseInt(args[i + 1]);
    }
    Path home = Paths.get(HTTPServer.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
    byte[] answer = Files.readAllBytes(home.resolve("answer.json"));
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    server.createContext("/v2/healthcheck", ex -> {
      ex.sendResponseHeaders(200, 2); ex.getResponseBody().write("OK".getBytes()); ex.close();
    });
    server.createContext("/v2/check", ex -> {
      ex.getRequestBody().readAllBytes();
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, answer.length); ex.getResponseBody().write(answer); ex.close();
    });
    server.start();
    Files.writeString(home.resolve("port.txt"), Integer.toString(port));
  }
}
"""


@pytest.mark.skipif(not (shutil.which("javac") and shutil.which("jar")), reason="needs a JDK (javac, jar)")
def test_local_install_is_started_and_stopped(tmp_path, monkeypatch):
    # Stand-in jar: language-tool-python's zip layout (one languagetool-server.jar), whose
    # command language-tool-python builds; the real LanguageTool here comes from Maven in
    # another layout (tests/test_languagetool_real.py starts that one).
    src = tmp_path / "src" / "org" / "languagetool" / "server"
    src.mkdir(parents=True)
    (src / "HTTPServer.java").write_text(STANDIN_JAVA)
    classes = tmp_path / "classes"
    subprocess.run(["javac", "-d", str(classes), str(src / "HTTPServer.java")], check=True, timeout=120)
    install = tmp_path / "ltp" / "LanguageTool-6.6"
    install.mkdir(parents=True)
    subprocess.run(["jar", "cf", str(install / "languagetool-server.jar"), "-C", str(classes), "."], check=True, timeout=120)
    (install / "answer.json").write_text((DATA / "emoji.json").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("LTP_PATH", str(tmp_path / "ltp"))
    monkeypatch.setenv("MTCHECK_LANGUAGETOOL_HOME", str(tmp_path / "ltp"))

    text = text_of("emoji")
    findings, backend = check_grammar(context(text), settings(tmp_path))
    assert backend.status == "used", backend.reason
    assert "local LanguageTool 6.6" in backend.how and backend.mode == "local" and backend.startup_seconds > 0
    assert {f.text for f in findings} == {"and and", "meets", " ."}
    port = int((install / "port.txt").read_text())
    with pytest.raises(OSError):  # the server was stopped at the end of the run
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert list(tmp_path.glob("ltp/*")) == [install]  # nothing downloaded next to it


def test_select_and_ignore_accept_the_lt_code():
    """LanguageTool findings carry code LT; --select/--ignore treat it like a rule code."""
    from mtcheck.detect import UnknownRuleError, check_prefixes, code_selected

    check_prefixes(["LT", "MT1"])  # no error
    with pytest.raises(UnknownRuleError):
        check_prefixes(["LX"])
    assert code_selected("LT", [], [])
    assert code_selected("LT", ["ALL"], [])
    assert code_selected("LT", ["lt", "MT1"], [])
    assert not code_selected("LT", ["MT1"], [])
    assert not code_selected("LT", [], ["LT"])
    assert not code_selected("LT", ["ALL"], ["L"])


def test_ignored_lt_is_reported_disabled_and_asks_no_server(tmp_path):
    from mtcheck.pipeline import check_documents
    from mtcheck.settings import Settings
    from mtcheck.types import Document

    ref = Document(path="r.txt", text="The talks began on Friday.\n")
    cand = Document(path="c.txt", text="The talks begun on Friday.\n")
    settings = Settings(ignore=["LT"], languagetool_url="http://127.0.0.1:9/", cache=False)
    report = check_documents(ref, cand, settings)
    assert report.backends["languagetool"].status == "disabled"
    assert "not selected" in report.backends["languagetool"].reason
    assert not any(f.source == "languagetool" for f in report.findings)


def test_config_file_takes_languagetool_options(tmp_path):
    from mtcheck.config import ConfigError, load_settings

    cfg = tmp_path / "mtcheck.toml"
    cfg.write_text('[rules.LT]\ntimeout = 90\nenable = ["PUNCTUATION"]\nstartup_timeout = 300\n')
    assert load_settings(str(cfg)).rule_options["LT"] == {"timeout": 90, "enable": ["PUNCTUATION"], "startup_timeout": 300}
    cfg.write_text("[rules.LT]\nbogus = 1\n")
    with pytest.raises(ConfigError, match="rules.LT.bogus: unknown option"):
        load_settings(str(cfg))
