"""Reaching LanguageTool: a server the user names, or a local install we start.

Order (the first that applies wins; a named server that fails is *not* replaced by
another way, so a run never checks with something the user did not ask for):

1. ``Settings.languagetool_url`` (``--languagetool-url``) or ``$MTCHECK_LANGUAGETOOL_URL``:
   a LanguageTool HTTP server, e.g. the Docker image ``erikvl87/languagetool`` on port
   8010. Given as ``http://host:port`` (``/v2`` or ``/v2/check`` may be included).
2. A LanguageTool already unpacked where language-tool-python keeps it
   (``$LTP_PATH`` or ``~/.cache/language_tool_python``, folders ``LanguageTool-<version>``
   holding ``languagetool-server.jar``) and Java on ``PATH``. language-tool-python's
   ``LocalLanguageTool`` locates the jar and builds the Java command; this module runs
   that server on a free loopback port for the run and stops it afterwards. mtcheck
   never triggers language-tool-python's first-use download (mtcheck downloads nothing
   at run time); absence is detected by looking at that folder, which takes no time.
3. Otherwise nothing: the caller reports LanguageTool as unavailable.

Requests go to the documented HTTP API (``POST /v2/check`` with form fields ``text``
and ``language``; https://languagetool.org/http-api/) with a timeout. The check itself
does not go through ``language_tool_python.LanguageTool.check``: that call has a fixed
300 s timeout, first asks ``/v2/languages``, returns parsed ``Match`` objects (which
the cache cannot store) and corrects offsets but not lengths for astral characters.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ENV_URL = "MTCHECK_LANGUAGETOOL_URL"
JAR_NAMES = ("languagetool-server.jar", "languagetool.jar")
LOOPBACK = {"localhost", "127.0.0.1", "::1"}


class LanguageToolError(Exception):
    """LanguageTool could not be reached or gave no usable answer; ``str()`` says why."""


@dataclass(frozen=True)
class Target:
    """One way to reach LanguageTool for this run."""

    how: str  # for Backend.how
    identity: str  # part of the cache key: same identity, same answers
    url: str | None = None  # .../v2/check of a server the user runs
    local_dir: Path | None = None  # a local LanguageTool-<version> folder to start


def check_endpoint(url: str) -> str:
    """The ``.../v2/check`` URL of a LanguageTool server given as ``host:port`` or a URL."""
    raw = url.strip()
    if "://" not in raw:
        raw = "http://" + raw
    parts = urllib.parse.urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LanguageToolError(f"{url!r} is not an http(s) URL of a LanguageTool server")
    path = parts.path.rstrip("/")
    for suffix in ("/v2/check", "/v2"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path + "/v2/check", "", ""))


def ltp_download_dir() -> Path:
    """Where language-tool-python keeps LanguageTool (``$LTP_PATH`` or its cache dir)."""
    return Path(os.environ.get("LTP_PATH") or Path.home() / ".cache" / "language_tool_python")


def find_local_install() -> Path | None:
    """The newest ``LanguageTool-<version>`` folder with a server jar, without creating anything."""
    root = ltp_download_dir()
    try:
        dirs = [d for d in root.glob("LanguageTool-*") if d.is_dir()]
    except OSError:
        return None
    found = [d for d in dirs if any((d / jar).is_file() for jar in JAR_NAMES)]
    if not found:
        return None
    return max(found, key=lambda d: [int(n) for n in re.findall(r"\d+", d.name)])


def find_target(url: str | None) -> Target | str:
    """How to reach LanguageTool, or a one-line reason why it can't be reached."""
    url = url or os.environ.get(ENV_URL)
    if url:
        endpoint = check_endpoint(url)
        return Target(how=f"LanguageTool server at {endpoint}", identity=endpoint, url=endpoint)
    root = ltp_download_dir()
    local = find_local_install()
    enable = (
        "to enable it, run a server (docker run -p 8010:8010 erikvl87/languagetool) and pass "
        f"--languagetool-url http://localhost:8010 (or set {ENV_URL}), or unpack LanguageTool "
        f"into {root} (or set LTP_PATH); --no-grammar turns this check off"
    )
    if local is None:
        return f"no LanguageTool server given and no local LanguageTool in {root}; {enable}"
    if not shutil.which("java"):
        return f"a local LanguageTool is in {local} but Java (17 or later) is not on PATH; {enable}"
    return Target(
        how=f"local {local.name} ({local}), started through language-tool-python",
        identity=f"local:{local.name}",
        local_dir=local,
    )


def post_check(url: str, text: str, language: str, params: dict[str, str], timeout: float) -> dict:
    """POST one text to ``url`` (``.../v2/check``) and return LanguageTool's JSON answer."""
    data = urllib.parse.urlencode({"text": text, "language": language, **params}).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=data,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
    )
    host = urllib.parse.urlsplit(url).hostname or ""
    # A proxy from the environment must not swallow requests to a server on this machine.
    handlers = [urllib.request.ProxyHandler({})] if host in LOOPBACK else []
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace").strip().splitlines()
        hint = " (text too long for this server: lower the LT chunk_chars option)" if exc.code == 413 else ""
        raise LanguageToolError(
            f"the LanguageTool server at {url} answered HTTP {exc.code}"
            + (f": {detail[0]}" if detail else "")
            + hint
        ) from None
    except (TimeoutError, socket.timeout):
        raise LanguageToolError(f"the LanguageTool server at {url} did not answer within {timeout:g} s") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            raise LanguageToolError(
                f"the LanguageTool server at {url} did not answer within {timeout:g} s"
            ) from None
        reason = getattr(exc.reason, "strerror", None) or exc.reason
        raise LanguageToolError(f"cannot reach the LanguageTool server at {url} ({reason})") from None
    except OSError as exc:  # connection reset, remote closed, ...
        raise LanguageToolError(f"cannot talk to the LanguageTool server at {url} ({exc})") from None
    try:
        answer = json.loads(body.decode("utf-8"))
    except ValueError:
        raise LanguageToolError(f"{url} did not answer with LanguageTool's JSON") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("matches"), list):
        raise LanguageToolError(f"{url} did not answer with LanguageTool's JSON (no 'matches' list)")
    return answer


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Session:
    """One LanguageTool for the whole run: ``with Session(target, ...) as lt: lt.check(...)``.

    For a local install, the server process starts on entry and stops on exit.
    """

    def __init__(self, target: Target, timeout: float, startup_timeout: float = 60.0):
        self.target = target
        self.timeout = timeout
        self.startup_timeout = startup_timeout
        self.url = target.url
        self._process: subprocess.Popen | None = None
        self._log = None

    def __enter__(self) -> "Session":
        if self.target.local_dir is not None:
            self._start_local(self.target.local_dir)
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def check(self, text: str, language: str, params: dict[str, str]) -> dict:
        assert self.url is not None
        return post_check(self.url, text, language, params, self.timeout)

    # -- local server -------------------------------------------------------------
    def _start_local(self, folder: Path) -> None:
        try:
            from language_tool_python.download_lt import LocalLanguageTool

            port = free_port()
            command = LocalLanguageTool.from_path(folder).get_server_cmd(port)
        except Exception as exc:  # the library's PathError/JavaError/ValueError, ...
            raise LanguageToolError(f"cannot start the local LanguageTool in {folder} ({exc})") from None
        self._log = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log
        )
        base = f"http://127.0.0.1:{port}/v2/"
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            code = self._process.poll()
            if code is not None:
                tail = self._log_tail()
                self.close()
                raise LanguageToolError(
                    f"the local LanguageTool in {folder} exited with code {code}" + (f": {tail}" if tail else "")
                )
            try:
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                with opener.open(base + "healthcheck", timeout=2) as response:
                    if response.status == 200:
                        self.url = base + "check"
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.25)
        self.close()
        raise LanguageToolError(
            f"the local LanguageTool in {folder} did not start within {self.startup_timeout:g} s"
        )

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        lines = self._log.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1].strip()[:200] if lines else ""

    def close(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait(timeout=5)
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None
