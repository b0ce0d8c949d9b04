"""The grammar backend against the REAL LanguageTool (6.8 from Maven Central).

The `languagetool` fixture (tests/conftest.py) starts one server for the session from the
install that `make install-test` made; tests that must start their own (on-demand start,
the kept server, a batch, bad paths) say so. Stand-in servers are only in
tests/test_languagetool.py, for what a real server cannot be made to do.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from mtcheck.detect.base import CheckContext
from mtcheck.detect.languagetool import (
    GrammarUnavailableError,
    check_grammar,
    grammar_matches,
)
from mtcheck.detect.languagetool.client import post_check
from mtcheck.detect.languagetool.server import MANIFEST, Install
from mtcheck.segment import segment
from mtcheck.settings import Settings
from mtcheck.types import Bead, Document, Parallel

ROOT = Path(__file__).parent.parent
DATA = ROOT / "tests" / "data" / "languagetool"
REF = ROOT / "fixtures" / "kurdistan24-istanbul-talks.clean.txt"
CAND = ROOT / "fixtures" / "istanbul-talks.garbled-mt.txt"
SCHEMA = ROOT / "mtcheck" / "report" / "schema" / "report.schema.json"
MQM = {
    "Fluency/Spelling", "Fluency/Grammar", "Fluency/Punctuation", "Fluency/Duplication", "Fluency/Inconsistency",
    "Fluency/Register", "Fluency/Character encoding", "Style/Awkward", "Accuracy/Mistranslation",
    "Terminology/Inappropriate for context", "Locale convention/Other", "Locale convention/Number format",
}  # fmt: skip


def context(candidate: str, reference: str = "The talks began in Istanbul.\n") -> CheckContext:
    ref = segment(Document("ref.txt", reference))
    cand = segment(Document("cand.txt", candidate))
    return CheckContext(reference=ref, candidate=cand, beads=[], parallel=Parallel(True, 1.0, 1.0))


#: Start-up budget for the JVMs these tests start themselves: the default (120 s) can be
#: too short on a CI machine shared with other jobs.
SLOW_START = {"LT": {"startup_timeout": 300.0}}


def settings(tmp_path, url=None, **kw) -> Settings:
    kw.setdefault("rule_options", SLOW_START)
    return Settings(languagetool_url=url, cache_dir=str(tmp_path / "cache"), **kw)


def slow_start_config(tmp_path: Path) -> str:
    """A config file with SLOW_START, for CLI runs."""
    path = tmp_path / "mtcheck-test.toml"
    path.write_text("[rules.LT]\nstartup_timeout = 300\n", encoding="utf-8")
    return str(path)


def assert_exact(findings, text: str) -> None:
    for f in findings:
        assert f.side == "candidate" and f.end > f.start
        assert text[f.start : f.end] == f.text, (f.rule, f.start, f.end, f.text)
        assert f.code == "LT" and f.source == "languagetool" and f.rule
        assert f.category in MQM, (f.rule, f.category)


def home_copy(tmp_path: Path, install: Install) -> Path:
    """A private LanguageTool folder (jars linked, not copied) whose path names only this test."""
    home = tmp_path / "lt" / install.home.name
    (home / "libs").mkdir(parents=True)
    shutil.copy(install.home / MANIFEST, home / MANIFEST)
    for jar in (install.home / "libs").iterdir():
        (home / "libs" / jar.name).symlink_to(jar)
    return home


def java_processes_under(path: Path) -> list[int]:
    """Pids of running processes whose command line mentions ``path`` (our JVMs)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if str(path).encode() in (proc / "cmdline").read_bytes():
                    pids.append(int(proc.name))
            except OSError:
                continue
    return pids


def cli(*args, env=None, timeout=600, cwd=None):
    return subprocess.run([sys.executable, "-m", "mtcheck", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout, cwd=cwd, check=False)  # fmt: skip


# -- what the real server finds ---------------------------------------------------------


def test_garbled_fixture_gets_real_matches_with_exact_offsets(languagetool, tmp_path):
    text = CAND.read_text(encoding="utf-8")
    ctx = context(text, REF.read_text(encoding="utf-8"))
    findings, backend = check_grammar(ctx, settings(tmp_path, languagetool.url))
    assert backend.status == "used" and backend.version == languagetool.install.version, backend
    assert backend.mode == "url" and backend.seconds is not None
    assert findings  # by default only the non-word: its one-off names are left to MT402/MT401
    assert_exact(findings, text)
    spelling = [f for f in findings if f.rule == "MORFOLOGIK_RULE_EN_US"]
    assert spelling and all(f.category == "Fluency/Spelling" for f in spelling)
    flagged = {f.text for f in spelling}
    # Words of the reference, and names the article always spells one way, stay unflagged ...
    reference_words = set(re.findall(r"\w+", REF.read_text(encoding="utf-8")))
    assert not flagged & reference_words
    assert not flagged & {"Umerov", "Yermak"}  # 3 and 2 times in the article, always so spelled
    assert "biggestists" in flagged  # a garbled non-word
    # ... although LanguageTool itself flags them: the filter is what keeps them out.
    raw = post_check(languagetool.url, text, "en-US", {}, 120)["matches"]
    raw_words = {text[m["offset"] : m["offset"] + m["length"]] for m in raw if m["rule"]["id"] == "MORFOLOGIK_RULE_EN_US"}
    assert {"Umerov", "Yermak", "Medinsky"} <= raw_words and "Medinsky" in reference_words


def test_names_spelled_consistently_are_not_misspellings(languagetool, tmp_path):
    text = (
        "He recieved a letter from Qarzhanov on Monday. Qarzhanov said Umerov would go home yesterday.\n"
        "Teh envoy met Sybiha near Pokrovsk.\n"
    )
    ctx = context(text, reference="Defence minister Umerov led the delegation.\n")
    findings, backend = check_grammar(ctx, settings(tmp_path, languagetool.url))
    assert backend.status == "used", backend.reason
    assert_exact(findings, text)
    texts = {f.text for f in findings}
    assert "recieved" in texts  # a real misspelling
    assert "Qarzhanov" not in texts  # twice, one spelling
    assert "Umerov" not in texts  # in the reference
    assert "Teh" in texts  # capitalised at the start of a sentence: still a misspelling
    assert not texts & {"Sybiha", "Pokrovsk"}  # names inside a sentence, used once
    raw = post_check(languagetool.url, text, "en-US", {}, 120)["matches"]
    assert sum(m["rule"]["id"] == "MORFOLOGIK_RULE_EN_US" for m in raw) >= 4  # LanguageTool flags all three


def test_a_name_the_aligned_reference_lacks_stays_flagged(languagetool, tmp_path):
    # The same one-off names as above, but in a sentence aligned with a reference sentence
    # that lacks them: there a dictionary's doubt is evidence (a mistransliterated name).
    ctx = context("The envoy met Sybiha near Pokrovsk.\n", reference="The envoy met the minister near the town.\n")
    ctx.beads = [Bead(reference=(0,), candidate=(0,), similarity=0.8)]
    findings, backend = check_grammar(ctx, settings(tmp_path, languagetool.url))
    assert backend.status == "used", backend.reason
    assert {"Sybiha", "Pokrovsk"} & {f.text for f in findings}


def test_astral_characters_offsets_are_exact(languagetool, tmp_path):
    # Emoji (flags, doves, faces) are 2 UTF-16 units each for LanguageTool, 1 str index for Python.
    text = (DATA / "emoji.txt").read_text(encoding="utf-8") + "Talks 😀😀 resume 𝒜 today and he recieved the the letter.\n"
    findings, backend = check_grammar(context(text), settings(tmp_path, languagetool.url))
    assert backend.status == "used", backend.reason
    assert_exact(findings, text)
    texts = {f.text for f in findings}
    assert {"and and", "recieved", "the the"} <= texts, texts
    after_emoji = [f for f in findings if f.start > text.index("😀")]
    assert len(after_emoji) >= 2 and "skipped" not in backend.reason


def test_many_small_chunks_give_the_same_findings(languagetool, tmp_path):
    text = CAND.read_text(encoding="utf-8")
    ctx = context(text, REF.read_text(encoding="utf-8"))
    one, _ = check_grammar(ctx, settings(tmp_path / "a", languagetool.url))
    many, backend = check_grammar(ctx, settings(tmp_path / "b", languagetool.url, rule_options={"LT": {"chunk_chars": 600}}))  # fmt: skip
    assert "chunks" in backend.how and backend.status == "used"
    assert_exact(many, text)
    assert {(f.start, f.end, f.rule) for f in many} == {(f.start, f.end, f.rule) for f in one}


def test_rules_off_by_default_are_dropped_unless_enabled(languagetool, tmp_path):
    # categories.tsv turns REDUNDANCY and PUNCTUATION off (no better than random on the MQM set).
    text = "First of all, we need to return back to the office. The talks failed but the delegations will meet again in June.\n"
    ctx = context(text)
    raw = {(m.finding.rule, m.category_id) for m in grammar_matches(ctx, settings(tmp_path, languagetool.url))[0]}
    assert {("RETURN_BACK", "REDUNDANCY"), ("COMMA_COMPOUND_SENTENCE_2", "PUNCTUATION")} <= raw, raw
    findings, backend = check_grammar(ctx, settings(tmp_path, languagetool.url))
    assert findings == [] and "off by default" in backend.reason
    opts = {"LT": {"enable": ["REDUNDANCY", "COMMA_COMPOUND_SENTENCE_2"]}}  # a server is running already
    findings, _ = check_grammar(ctx, settings(tmp_path, languagetool.url, rule_options=opts))
    assert {f.rule for f in findings} >= {"RETURN_BACK", "FIRST_OF_ALL", "COMMA_COMPOUND_SENTENCE_2"}
    assert_exact(findings, text)


def test_clean_fixture_gets_very_few(languagetool, tmp_path):
    clean, garbled = REF.read_text(encoding="utf-8"), CAND.read_text(encoding="utf-8")
    findings, backend = check_grammar(context(clean, garbled), settings(tmp_path, languagetool.url))
    assert backend.status == "used"
    assert_exact(findings, clean)
    # 342 words; LanguageTool 6.8 says 4 things (a mixed pair of quotes, "many worry",
    # Erdogan without its breve): a handful, none of them spelling on the article's names.
    assert len(findings) <= 5, [(f.rule, f.text) for f in findings]
    assert not any(f.rule == "MORFOLOGIK_RULE_EN_US" for f in findings)


def test_second_run_is_answered_from_the_cache(languagetool, tmp_path):
    ctx = context(CAND.read_text(encoding="utf-8"))
    first, b1 = check_grammar(ctx, settings(tmp_path, languagetool.url))
    second, b2 = check_grammar(ctx, settings(tmp_path, languagetool.url))
    assert first == second and "from the cache" in b2.how and "from the cache" not in b1.how
    assert b2.version == b1.version  # the cached answer still says which LanguageTool answered


def test_cli_json_and_html_say_how_languagetool_was_used(languagetool, tmp_path, encoder):
    import jsonschema

    out, html = tmp_path / "r.json", tmp_path / "r.html"
    # the garbled fixture plus one sentence with a misspelling only LanguageTool reports
    # (on the fixture alone its one finding, "biggestists", is MT111's)
    cand_path = tmp_path / "cand.txt"
    cand_path.write_text(CAND.read_text(encoding="utf-8") + "The delegation recieved the letter on Friday.\n", encoding="utf-8")
    proc = cli("check", str(REF), str(cand_path), "--languagetool-url", languagetool.url, "--json", str(out),
               "--html", str(html), "-q")  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(out.read_text())
    jsonschema.validate(report, json.loads(SCHEMA.read_text()))
    lt = report["backends"]["languagetool"]
    assert lt["status"] == "used" and lt["mode"] == "url" and lt["version"] == languagetool.install.version
    assert lt["seconds"] > 0
    cand = cand_path.read_text(encoding="utf-8")
    lt_findings = [f for f in report["findings"] if f["source"] == "languagetool"]
    assert "recieved" in {f["text"] for f in lt_findings} and all(cand[f["start"] : f["end"]] == f["text"] for f in lt_findings)
    assert any(f["source"] != "languagetool" for f in report["findings"])
    page = html.read_text(encoding="utf-8")
    assert f"LanguageTool {languagetool.install.version}" in page


# -- mtcheck starts LanguageTool itself (each of these starts a JVM) -------------------------


def test_check_starts_a_local_server_on_demand_and_stops_it(languagetool, tmp_path):
    home = home_copy(tmp_path, languagetool.install)
    out = tmp_path / "r.json"
    proc = cli("check", str(REF), str(CAND), "--json", str(out), "-q", "--no-cache", "--config", slow_start_config(tmp_path),
               env={"MTCHECK_LANGUAGETOOL_HOME": str(home.parent)})  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    lt = json.loads(out.read_text())["backends"]["languagetool"]
    assert lt["status"] == "used" and lt["mode"] == "local", lt
    assert lt["startup_seconds"] > 0 and lt["seconds"] >= lt["startup_seconds"]
    assert java_processes_under(home) == []  # stopped at the end of the run
    assert sorted(p.name for p in home.parent.iterdir()) == [home.name]  # nothing downloaded


def test_kept_server_start_status_check_stop(languagetool, tmp_path):
    home = home_copy(tmp_path, languagetool.install)
    env = {"MTCHECK_LANGUAGETOOL_HOME": str(home.parent), "MTCHECK_CACHE_DIR": str(tmp_path / "cache")}
    # Two starts at once (a race): one server, both report it.
    starts = [subprocess.Popen([sys.executable, "-m", "mtcheck", "languagetool", "start", "--startup-timeout", "300"], env={**os.environ, **env},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]  # fmt: skip
    outs = [p.communicate(timeout=600) for p in starts]
    assert all(p.returncode == 0 for p in starts), outs
    assert sorted("already running" in o for o, _ in outs) == [False, True], outs
    pids = java_processes_under(home)
    assert len(pids) == 1
    try:
        status = cli("languagetool", "status", "--json", env=env)
        assert json.loads(status.stdout)["running"]["pid"] == pids[0]
        out = tmp_path / "r.json"
        proc = cli("check", str(REF), str(CAND), "--json", str(out), "-q", "--no-cache", env=env)
        lt = json.loads(out.read_text())["backends"]["languagetool"]
        assert proc.returncode in (0, 1) and lt["status"] == "used" and lt["mode"] == "kept", (proc.stderr, lt)
        assert lt["startup_seconds"] is None  # no JVM start in this run
        assert java_processes_under(home) == pids  # still running after the check
    finally:
        stop = cli("languagetool", "stop", env=env)
    assert stop.returncode == 0 and "stopped" in stop.stdout
    assert java_processes_under(home) == []
    assert "not running" in cli("languagetool", "status", env=env).stdout


def test_a_batch_shares_one_server_between_its_workers(languagetool, tmp_path):
    home = home_copy(tmp_path, languagetool.install)
    pairs = tmp_path / "pairs"
    pairs.mkdir()
    text = CAND.read_text(encoding="utf-8")
    for name, cut in (("one", 1500), ("two", 3000)):
        shutil.copy(REF, pairs / f"{name}.ref.txt")
        (pairs / f"{name}.mt.txt").write_text(text[:cut], encoding="utf-8")
    proc = cli("batch", str(pairs), "--out-dir", str(tmp_path / "out"), "--jobs", "2", "--no-cache", "--config", slow_start_config(tmp_path),
               env={"MTCHECK_LANGUAGETOOL_HOME": str(home.parent)})  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    reports = sorted((tmp_path / "out").rglob("*.json"))
    backends = [json.loads(p.read_text())["backends"]["languagetool"] for p in reports
                if "backends" in json.loads(p.read_text())]  # fmt: skip
    assert len(backends) == 2, reports
    assert all(b["status"] == "used" and b["mode"] == "shared" for b in backends), backends
    assert backends[0]["how"] == backends[1]["how"]  # one server (its start-up is the batch's)
    assert java_processes_under(home) == []


# -- bad paths --------------------------------------------------------------------------


def test_no_java_gives_a_notice_or_exit_2(languagetool, tmp_path, monkeypatch):
    home = home_copy(tmp_path, languagetool.install)
    monkeypatch.setenv("MTCHECK_LANGUAGETOOL_HOME", str(home.parent))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no java on it
    findings, backend = check_grammar(context(CAND.read_text(encoding="utf-8")), settings(tmp_path))
    assert findings == [] and backend.status == "unavailable"
    assert "Java (17 or later) is not on PATH" in backend.reason
    proc = cli("check", str(REF), str(CAND), "--require-grammar", "--json", str(tmp_path / "never.json"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Java (17 or later) is not on PATH" in proc.stderr
    assert not (tmp_path / "never.json").exists()


def test_missing_or_truncated_jars_are_reported_not_started(languagetool, tmp_path, monkeypatch):
    home = home_copy(tmp_path, languagetool.install)
    monkeypatch.setenv("MTCHECK_LANGUAGETOOL_HOME", str(home.parent))
    jar = home / "libs" / f"language-en-{languagetool.install.version}.jar"
    jar.unlink()
    _, backend = check_grammar(context("A text."), settings(tmp_path))
    assert backend.status == "unavailable" and "missing or damaged" in backend.reason
    assert f"language-en-{languagetool.install.version}.jar" in backend.reason
    jar.write_bytes(b"PK\x03\x04 truncated")
    _, backend = check_grammar(context("A text."), settings(tmp_path))
    assert "missing or damaged" in backend.reason
    (home / MANIFEST).unlink()
    _, backend = check_grammar(context("A text."), settings(tmp_path))
    assert "mtcheck-install.json is missing" in backend.reason
    with pytest.raises(GrammarUnavailableError, match="missing or unreadable"):
        check_grammar(context("A text."), settings(tmp_path, require_grammar=True))
    assert java_processes_under(home) == []


def test_a_corrupt_jar_of_the_right_size_fails_fast_with_javas_reason(languagetool, tmp_path, monkeypatch):
    home = home_copy(tmp_path, languagetool.install)
    monkeypatch.setenv("MTCHECK_LANGUAGETOOL_HOME", str(home.parent))
    jar = home / "libs" / f"languagetool-server-{languagetool.install.version}.jar"
    size = jar.stat().st_size
    jar.unlink()
    jar.write_bytes(b"\0" * size)  # the size the manifest records, but not a jar: Java refuses it
    _, backend = check_grammar(context("A text."), settings(tmp_path))
    assert backend.status == "unavailable" and "exited with code" in backend.reason, backend.reason
    assert java_processes_under(home) == []


def test_port_taken(languagetool, tmp_path, monkeypatch):
    from mtcheck.detect.languagetool import server

    home = home_copy(tmp_path, languagetool.install)
    env = {"MTCHECK_LANGUAGETOOL_HOME": str(home.parent), "MTCHECK_CACHE_DIR": str(tmp_path / "cache")}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = cli("languagetool", "start", "--port", str(port), env=env)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
        assert f"port {port} is already in use" in proc.stderr
        # A run's own server: the free port it picked is taken before Java binds it (a race a
        # real system cannot be made to lose on cue, so free_port is made to return the busy
        # port once); the real JVM fails to bind, and mtcheck retries on another port.
        ports = iter([port])
        real_free_port = server.free_port
        monkeypatch.setattr(server, "free_port", lambda: next(ports, None) or real_free_port())
        monkeypatch.setenv("MTCHECK_LANGUAGETOOL_HOME", str(home.parent))
        findings, backend = check_grammar(context("He recieved it.\n"), settings(tmp_path))
    assert backend.status == "used" and backend.mode == "local", backend.reason
    assert {f.text for f in findings} == {"recieved"}
    assert java_processes_under(home) == []


def test_server_killed_mid_run_keeps_the_other_findings(languagetool, tmp_path, monkeypatch, encoder):
    from mtcheck.detect.languagetool import client
    from mtcheck.pipeline import run_check

    home = home_copy(tmp_path, languagetool.install)
    monkeypatch.setenv("MTCHECK_LANGUAGETOOL_HOME", str(home.parent))
    real_post = client.post_check
    calls = []

    def kill_after_first(*args, **kw):  # the real server, really killed after its first answer
        if calls:
            for pid in java_processes_under(home):
                os.kill(pid, signal.SIGKILL)
        calls.append(1)
        return real_post(*args, **kw)

    monkeypatch.setattr(client, "post_check", kill_after_first)
    opts = {"LT": {"chunk_chars": 800, **SLOW_START["LT"]}}  # several requests
    report = run_check(str(REF), str(CAND), settings(tmp_path, rule_options=opts), encoder)
    lt = report.backends["languagetool"]
    assert lt.status == "unavailable" and "stopped during the run" in lt.reason, lt
    assert any(n.startswith("LanguageTool unavailable:") for n in report.notices)
    assert report.findings and not any(f.source == "languagetool" for f in report.findings)
    assert java_processes_under(home) == []
    calls.clear()
    with pytest.raises(GrammarUnavailableError, match="stopped during the run"):
        run_check(str(REF), str(CAND), settings(tmp_path, rule_options=opts, require_grammar=True), encoder)


# -- the set-up step --------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["java", "mvn"])
def test_setup_without_java_or_maven_says_so_in_one_line(tmp_path, missing):
    # A PATH holding only what is not missing (links to the real java/mvn), so the set-up
    # really does not find the other one.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in {"java", "mvn"} - {missing}:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed here")
        (bin_dir / tool).symlink_to(shutil.which(tool))
    proc = subprocess.run([sys.executable, "-m", "mtcheck.detect.languagetool.install", str(tmp_path / "root")],
                          capture_output=True, text=True, env={**os.environ, "PATH": str(bin_dir)},
                          timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("note: ")
    assert ("Java not found" if missing == "java" else "Maven (mvn) not found") in proc.stderr
    assert not (tmp_path / "root").exists()


@pytest.mark.skipif(not (shutil.which("java") and shutil.which("mvn")), reason="needs Java and Maven")
def test_setup_installs_into_a_relative_folder(tmp_path):
    # The Makefile passes a relative root (.venv/languagetool); Maven resolves a relative
    # output folder against its POM's folder, so the installer must hand it an absolute one.
    # Maven's local repository is warm here (the set-up ran), so nothing is downloaded again.
    from mtcheck.detect.languagetool.install import VERSION
    from mtcheck.detect.languagetool.server import Install

    proc = subprocess.run([sys.executable, "-m", "mtcheck.detect.languagetool.install", "rel/lt"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=1200, check=False)  # fmt: skip
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    home = tmp_path / "rel" / "lt" / f"LanguageTool-{VERSION}"
    assert proc.stdout.startswith(f"LanguageTool {VERSION} installed in {home}")
    assert Install(home, VERSION, "maven").problem() is None
    assert sorted(p.name for p in home.parent.iterdir()) == [home.name]  # no leftovers
    again = subprocess.run([sys.executable, "-m", "mtcheck.detect.languagetool.install", "rel/lt"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert again.returncode == 0 and "already installed" in again.stdout
