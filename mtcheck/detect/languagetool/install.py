"""Set-up step: a pinned LanguageTool from Maven Central, for mtcheck to start locally.

Run by the Makefile (``make demo`` and ``make test`` both run it; never at check time)::

    python -m mtcheck.detect.languagetool.install [ROOT]

It asks Maven (``mvn dependency:copy-dependencies`` on a throw-away POM) for
``org.languagetool:languagetool-server`` and ``org.languagetool:language-en`` at
:data:`VERSION` with their dependencies, and lays them out as
``ROOT/LanguageTool-<VERSION>/libs/*.jar`` plus ``mtcheck-install.json`` (written last:
every jar's name, size and SHA-256). ``ROOT`` defaults to :func:`default_root`
(``<venv>/languagetool``), where :mod:`mtcheck.detect.languagetool.server` looks first.
Without Java 17+ or Maven, or when Maven cannot fetch it, it prints one line and exits
0, so the rest of the set-up still runs; mtcheck then reports LanguageTool as unavailable
(and the real-server tests fail where Java is present, saying to re-run the set-up).

Why 6.8: the newest release on Maven Central on 2026-12-01; its classes are Java 17
bytecode (class file version 61), so it runs on this project's Java 17. ``language-all``
(every language module) comes with the server and stays: the server's language
identifier refuses to start without the Spanish and other modules.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

VERSION = "6.8"
ARTIFACTS = ("org.languagetool:languagetool-server", "org.languagetool:language-en")
MANIFEST = "mtcheck-install.json"
MIN_JAVA = 17

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>mtcheck</groupId><artifactId>languagetool-install</artifactId><version>1</version>
  <dependencies>
{deps}
  </dependencies>
</project>
"""
_DEP = "    <dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version></dependency>"


def default_root() -> Path:
    """``<sys.prefix>/languagetool``: inside the virtualenv, outside git."""
    return Path(sys.prefix) / "languagetool"


def java_major(java: str = "java") -> int | None:
    """The major version of ``java`` (17 for "17.0.15"), or None when it does not run."""
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2) or 0) if major == 1 else major  # "1.8" -> 8


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def install(root: Path, version: str = VERSION) -> tuple[int, str]:
    """Install LanguageTool ``version`` under ``root``; (exit code, one line to print)."""
    root = Path(root).resolve()  # Maven resolves a relative -DoutputDirectory against the POM's folder
    home = root / f"LanguageTool-{version}"
    if (home / MANIFEST).is_file():
        return 0, f"LanguageTool {version} already installed in {home}"
    if shutil.which("java") is None:
        return 0, "note: Java not found: LanguageTool not installed (grammar checks need --languagetool-url)"
    major = java_major()
    if major is None or major < MIN_JAVA:
        return 0, f"note: Java {major or '?'} is older than {MIN_JAVA}: LanguageTool {version} not installed"
    mvn = shutil.which("mvn")
    if mvn is None:
        return 0, "note: Maven (mvn) not found: LanguageTool not installed (grammar checks need --languagetool-url)"
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".lt-install-", dir=root) as tmp:
        work = Path(tmp)
        deps = "\n".join(_DEP.format(g=a.split(":")[0], a=a.split(":")[1], v=version) for a in ARTIFACTS)
        (work / "pom.xml").write_text(_POM.format(deps=deps), encoding="utf-8")
        libs = work / "home" / "libs"
        cmd = [mvn, "-q", "-B", "-f", str(work / "pom.xml"), "dependency:copy-dependencies",
               f"-DoutputDirectory={libs}", "-DincludeScope=runtime"]  # fmt: skip
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            return 0, f"note: Maven could not fetch LanguageTool {version} ({exc}): not installed"
        if done.returncode != 0:
            lines = [ln for ln in (done.stdout + done.stderr).splitlines() if "ERROR" in ln] or ["(no output)"]
            return 0, f"note: Maven could not fetch LanguageTool {version} ({lines[0].strip()[:300]}): not installed"
        jars = sorted(libs.glob("*.jar"))
        names = {j.name for j in jars}
        if f"languagetool-server-{version}.jar" not in names or f"language-en-{version}.jar" not in names:
            return 0, f"note: Maven's copy of LanguageTool {version} lacks the server or English jar: not installed"
        manifest = {
            "version": version,
            "artifacts": list(ARTIFACTS),
            "main_class": "org.languagetool.server.HTTPServer",
            "jars": [{"name": j.name, "size": j.stat().st_size, "sha256": file_sha256(j)} for j in jars],
        }
        (work / "home" / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        if home.exists():  # a half-finished earlier attempt (no manifest)
            shutil.rmtree(home)
        (work / "home").rename(home)
    size = sum(j["size"] for j in manifest["jars"]) / 1e6
    return 0, f"LanguageTool {version} installed in {home} ({len(jars)} jars, {size:.0f} MB)"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else default_root()
    code, line = install(root)
    print(line, file=sys.stderr if line.startswith("note:") else sys.stdout)
    return code


if __name__ == "__main__":
    sys.exit(main())
