"""Reaching LanguageTool: a server the user names, or a local one.

Order (the first that applies wins; a named server that fails is *not* replaced by
another way, so a run never checks with something the user did not ask for):

1. ``Settings.languagetool_url`` (``--languagetool-url``) or ``$MTCHECK_LANGUAGETOOL_URL``:
   a LanguageTool HTTP server, e.g. the Docker image ``erikvl87/languagetool`` on port
   8010. Given as ``http://host:port`` (``/v2`` or ``/v2/check`` may be included).
2. The server a batch started for all its workers (:func:`server.serving`).
3. A server kept running by ``mtcheck languagetool start`` (:func:`server.kept_server`).
4. A local install (:func:`server.find_install`: the set-up's Maven-Central LanguageTool,
   or one unpacked by language-tool-python) and Java: started on a free loopback port
   for this run and stopped at its end. mtcheck never downloads anything at run time.
5. Otherwise nothing: the caller reports LanguageTool as unavailable.

Requests go to the documented HTTP API (``POST /v2/check`` with form fields ``text``
and ``language``; https://languagetool.org/http-api/) with a timeout. The check itself
does not go through ``language_tool_python.LanguageTool.check``: that call has a fixed
300 s timeout, first asks ``/v2/languages``, returns parsed ``Match`` objects (which
the cache cannot store) and corrects offsets but not lengths for astral characters.
"""

from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from mtcheck.detect.languagetool import server as local

ENV_URL = "MTCHECK_LANGUAGETOOL_URL"
LOOPBACK = {"localhost", "127.0.0.1", "::1"}
ENABLE = (
    "to enable it, run the set-up (make install-test: LanguageTool from Maven Central, needs Java 17+ and "
    "Maven), or run a server (docker run -p 8010:8010 erikvl87/languagetool) and pass --languagetool-url "
    f"http://localhost:8010 (or set {ENV_URL}); --no-grammar turns this check off"
)


class LanguageToolError(Exception):
    """LanguageTool could not be reached or gave no usable answer; ``str()`` says why."""


@dataclass(frozen=True)
class Target:
    """One way to reach LanguageTool for this run."""

    how: str  # for Backend.how
    identity: str  # part of the cache key: same identity, same answers
    mode: str  # "url" | "shared" | "kept" | "local" (started for this run)
    url: str | None = None  # .../v2/check of a running server
    install: local.Install | None = None  # a local install to start for this run
    version: str = ""  # LanguageTool's version when known before asking


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


def find_target(url: str | None, cache_root: str | None = None) -> Target | str:
    """How to reach LanguageTool, or a one-line reason why it can't be reached."""
    url = url or os.environ.get(ENV_URL)
    if url:
        endpoint = check_endpoint(url)
        return Target(how=f"LanguageTool server at {endpoint}", identity=endpoint, mode="url", url=endpoint)
    shared = local.shared_server()
    if shared is not None:
        if "error" in shared:
            return str(shared["error"])
        version = str(shared.get("version", ""))
        return Target(how=str(shared.get("how", "")), identity=f"local:LanguageTool-{version}", mode="shared",
                      url=str(shared["url"]), version=version)  # fmt: skip
    kept = local.kept_server(cache_root)
    if kept is not None:
        version = str(kept.get("version", ""))
        how = (f"local LanguageTool {version}, kept running by 'mtcheck languagetool start' "
               f"(pid {kept['pid']}, port {kept['port']})")  # fmt: skip
        return Target(how=how, identity=f"local:LanguageTool-{version}", mode="kept", url=kept["url"], version=version)
    install = local.find_install()
    if install is None:
        places = " or ".join(str(p) for p in local.search_places())
        return f"no LanguageTool server given and no local LanguageTool in {places}; {ENABLE}"
    problem = install.problem()
    if problem:
        return f"the local {install.name} cannot be used: {problem}"
    if local.shutil.which("java") is None:
        return f"a local {install.name} is in {install.home} but Java (17 or later) is not on PATH; {ENABLE}"
    return Target(
        how=f"local {install.name} ({install.home}), started for this run",
        identity=f"local:LanguageTool-{install.version}",
        mode="local",
        install=install,
        version=install.version,
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
    except TimeoutError:
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


class Session:
    """One LanguageTool for the whole run: ``with Session(target, ...) as lt: lt.check(...)``.

    For a local install, the server process starts on entry and stops on exit;
    ``startup_seconds`` says how long it took.
    """

    def __init__(self, target: Target, timeout: float, startup_timeout: float = 120.0):
        self.target = target
        self.timeout = timeout
        self.startup_timeout = startup_timeout
        self.url = target.url
        self.startup_seconds: float | None = None
        self._server: local.LocalServer | None = None

    def __enter__(self) -> Session:
        if self.target.install is not None:
            self._server = local.LocalServer(self.target.install, self.startup_timeout)
            try:
                self._server.start()
            except local.ServerError as exc:
                self._server = None
                raise LanguageToolError(str(exc)) from None
            self.url = self._server.url
            self.startup_seconds = self._server.startup_seconds
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def check(self, text: str, language: str, params: dict[str, str]) -> dict:
        assert self.url is not None
        try:
            return post_check(self.url, text, language, params, self.timeout)
        except LanguageToolError as exc:
            server = self._server
            if server is not None and server.process is not None:
                try:
                    code = server.process.wait(timeout=1)
                except local.subprocess.TimeoutExpired:  # still running: the request itself failed
                    raise exc from None
                raise LanguageToolError(
                    f"the local {server.install.name} stopped during the run (exit code {code})"
                ) from None
            raise

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
