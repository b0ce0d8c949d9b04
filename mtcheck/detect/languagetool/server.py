"""A local LanguageTool server: find the install, start it, wait for it, stop it.

Installs
    :mod:`mtcheck.detect.languagetool.install` (run by ``make``) puts a Maven-Central
    LanguageTool in ``<venv>/languagetool/LanguageTool-<version>/`` (``libs/*.jar`` and
    ``mtcheck-install.json``). ``$MTCHECK_LANGUAGETOOL_HOME`` names another place (such a
    folder, or a folder holding them); when it is set, only that place is looked at.
    A LanguageTool unpacked by language-tool-python (``$LTP_PATH`` or
    ``~/.cache/language_tool_python``, ``LanguageTool-<version>/languagetool-server.jar``)
    is used too when there is no Maven install.

Why mtcheck starts the server itself
    language-tool-python starts a server only from its own zip layout (one
    ``languagetool-server.jar`` whose manifest names ``libs/*.jar`` without versions, in a
    folder under the process-wide ``$LTP_PATH``), and its ``LanguageTool()`` downloads that
    zip when the folder is not there -- mtcheck never downloads at run time. Maven gives
    versioned jars in one folder, so mtcheck runs ``java -cp 'libs/*'
    org.languagetool.server.HTTPServer --port N`` itself: on a free loopback port, with a
    bounded wait on ``/v2/healthcheck``, and stops it at the end. For a zip layout, the
    command comes from language-tool-python (``LocalLanguageTool.get_server_cmd``).

Checks before starting
    Every jar the manifest lists must be there with its recorded size (a ``stat`` per
    jar, no hashing): a missing or truncated jar is reported, not started.

Keeping a server between runs
    ``mtcheck languagetool start`` starts a detached server and records it in
    ``languagetool-server.json`` in the default cache folder (``$MTCHECK_CACHE_DIR``, else
    ``~/.cache/mtcheck``; not a config's ``cache_dir``, which ``start`` does not read); runs find it there
    and skip the JVM start-up; ``mtcheck languagetool stop`` stops it. A recorded server
    is used only when its process is alive, is a LanguageTool server on that port and
    answers its health check; otherwise the record is ignored (and ``start`` replaces
    it). Start and stop take a lock file, so two at once cannot start two servers.

Sharing one server in a batch
    :func:`serving` starts one server for a whole batch and passes it to the worker
    processes through ``$MTCHECK_LANGUAGETOOL_SHARED`` (JSON: url, version, how; or the
    reason it could not start, so the workers do not each try again).
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ENV_HOME = "MTCHECK_LANGUAGETOOL_HOME"
ENV_SHARED = "MTCHECK_LANGUAGETOOL_SHARED"
MANIFEST = "mtcheck-install.json"
MAIN_CLASS = "org.languagetool.server.HTTPServer"
STATE_NAME = "languagetool-server.json"
#: JVM options: a bounded heap (LanguageTool's default would be a quarter of the RAM).
JAVA_OPTIONS = ("-Xms256m", "-Xmx2g", "-Djava.awt.headless=true")
JAR_NAMES = ("languagetool-server.jar", "languagetool.jar")


class ServerError(Exception):
    """A local LanguageTool could not be found, checked or started; ``str()`` says why."""


@dataclass(frozen=True)
class Install:
    """One LanguageTool on disk."""

    home: Path
    version: str
    layout: str  # "maven" (mtcheck's install) or "zip" (language-tool-python's)

    @property
    def name(self) -> str:
        return f"LanguageTool {self.version}"

    def problem(self) -> str | None:
        """Why this install cannot be started (missing or truncated files), or None."""
        if self.layout == "zip":
            return None if any((self.home / j).is_file() for j in JAR_NAMES) else f"no server jar in {self.home}"
        try:
            manifest = json.loads((self.home / MANIFEST).read_text(encoding="utf-8"))
            jars = [(str(j["name"]), int(j["size"])) for j in manifest["jars"]]
        except (OSError, ValueError, KeyError, TypeError):
            return f"{self.home / MANIFEST} is missing or unreadable (re-run the set-up: make install-test)"
        bad = []
        for name, size in jars:
            try:
                if (self.home / "libs" / name).stat().st_size != size:
                    bad.append(name)
            except OSError:
                bad.append(name)
        if bad:
            return (
                f"{len(bad)} of {len(jars)} LanguageTool jar(s) in {self.home / 'libs'} are missing or "
                f"damaged (e.g. {bad[0]}); delete {self.home} and re-run the set-up (make install-test)"
            )
        return None

    def command(self, port: int) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise ServerError(f"a local {self.name} is in {self.home} but Java (17 or later) is not on PATH")
        if self.layout == "zip":
            try:
                from language_tool_python.download_lt import LocalLanguageTool

                os.environ.setdefault("LTP_PATH", str(self.home.parent))
                return LocalLanguageTool.from_path(self.home).get_server_cmd(port)
            except Exception as exc:  # noqa: BLE001 - the library's PathError/JavaError/ValueError, ...
                raise ServerError(f"cannot start the local LanguageTool in {self.home} ({exc})") from None
        classpath = str(self.home / "libs" / "*")
        return [java, *JAVA_OPTIONS, "-cp", classpath, MAIN_CLASS, "--port", str(port)]


def _version_key(path: Path) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", path.name)]


def _installs_in(root: Path) -> list[Install]:
    """LanguageTool-<version> folders in ``root`` (or ``root`` itself being one)."""
    found = []
    try:
        dirs = [root] if root.name.startswith("LanguageTool-") else sorted(root.glob("LanguageTool-*"))
        for d in dirs:
            version = d.name.split("-", 1)[1] if "-" in d.name else "?"
            if (d / MANIFEST).is_file() or (d / "libs").is_dir():
                found.append(Install(d, version, "maven"))
            elif any((d / j).is_file() for j in JAR_NAMES):
                found.append(Install(d, version, "zip"))
    except OSError:
        return []
    return sorted(found, key=lambda i: _version_key(i.home))


def search_places() -> list[Path]:
    """Where installs are looked for, in order."""
    env = os.environ.get(ENV_HOME)
    if env:
        return [Path(env).expanduser()]
    from mtcheck.detect.languagetool.install import default_root

    ltp = Path(os.environ.get("LTP_PATH") or Path.home() / ".cache" / "language_tool_python")
    return [default_root(), ltp]


def find_install() -> Install | None:
    """The newest install in the first place that has one; nothing is created."""
    for place in search_places():
        installs = _installs_in(place)
        if installs:
            return installs[-1]
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(base: str, timeout: float = 2.0) -> bool:
    """Whether ``base`` (``http://host:port/v2/``) answers LanguageTool's health check."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(base + "healthcheck", timeout=timeout) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError, ValueError):
        return False


class LocalServer:
    """A LanguageTool server process on a loopback port: ``start()``, then ``url``, ``stop()``.

    ``detached`` servers get their own session (they outlive the mtcheck that started
    them: ``mtcheck languagetool start``) and log to ``log_path``.
    """

    def __init__(self, install: Install, startup_timeout: float = 120.0, port: int | None = None,
                 detached: bool = False, log_path: Path | None = None):  # fmt: skip
        self.install = install
        self.startup_timeout = startup_timeout
        self.port = port
        self.detached = detached
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.startup_seconds: float | None = None
        self._log = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2/"

    @property
    def url(self) -> str:
        return self.base + "check"

    def start(self) -> LocalServer:
        problem = self.install.problem()
        if problem:
            raise ServerError(problem)
        t0 = time.monotonic()
        fixed = self.port is not None
        for attempt in range(3):  # a free port can be taken by someone else before Java binds it
            port = self.port if fixed else free_port()
            if fixed and not _port_free(port):
                raise ServerError(f"port {port} is already in use: choose another one (--port)")
            self.port = port
            outcome = self._launch(t0)
            if outcome is None:
                self.startup_seconds = time.monotonic() - t0
                return self
            if fixed or attempt == 2 or not (_port_free(port) is False or "already in use" in outcome):
                raise ServerError(outcome)
            self.port = None
        raise ServerError("could not start LanguageTool")  # pragma: no cover - loop returns or raises

    def _launch(self, t0: float) -> str | None:
        """Start the process and wait for it; None when it answers, else why not."""
        command = self.install.command(self.port)
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_path.open("w+b")
        else:
            self._log = tempfile.TemporaryFile()  # noqa: SIM115 - kept open while the server runs
        try:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                start_new_session=self.detached, cwd=str(self.install.home),
            )  # fmt: skip
        except OSError as exc:
            self._close_log()
            return f"cannot run Java for the local {self.install.name} ({exc.strerror or exc})"
        deadline = t0 + self.startup_timeout
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                tail = self.log_tail()
                self.stop()
                return f"the local {self.install.name} in {self.install.home} exited with code {code}" + (
                    f": {tail}" if tail else ""
                )
            if healthy(self.base, timeout=2.0):
                return self._warm_up(deadline)
            time.sleep(0.2)
        self.stop()
        return f"the local {self.install.name} in {self.install.home} did not start within {self.startup_timeout:g} s"

    def _warm_up(self, deadline: float) -> str | None:
        """One short English check: LanguageTool loads a language's rules on first use
        (seconds), which would otherwise fall on the first real request and its timeout."""
        from mtcheck.detect.languagetool.client import LanguageToolError, post_check

        try:
            post_check(self.url, "This is a short warm-up text.", "en-US", {}, max(1.0, deadline - time.monotonic()))
        except LanguageToolError as exc:
            self.stop()
            return f"the local {self.install.name} started but did not check a first text ({exc})"
        return None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self) -> str:
        """The most telling line of the server's output (an exception, else the last line)."""
        if self._log is None:
            return ""
        try:
            self._log.seek(0)
            lines = [ln.strip() for ln in self._log.read().decode("utf-8", "replace").splitlines() if ln.strip()]
        except (OSError, ValueError):
            return ""
        for ln in lines:
            if "Exception" in ln or "Error" in ln:
                return ln[:200]
        return lines[-1][:200] if lines else ""

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=10)
            self.process = None
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


# -- a server kept between runs ---------------------------------------------------------


def state_path(cache_root: str | Path | None = None) -> Path:
    from mtcheck.cache import default_cache_dir

    return Path(cache_root or default_cache_dir()) / STATE_NAME


@contextmanager
def _locked(path: Path):
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _is_our_server(pid: int, port: int) -> bool:
    """Whether ``pid`` is alive and is a LanguageTool server on ``port`` (Linux: /proc)."""
    try:
        os.kill(pid, 0)
    except (OSError, OverflowError):
        return False
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc: the health check decides
    return MAIN_CLASS.encode() in args and str(port).encode() in args


def kept_server(cache_root: str | Path | None = None) -> dict | None:
    """The recorded kept server when it is alive and answers, else None."""
    try:
        state = json.loads(state_path(cache_root).read_text(encoding="utf-8"))
        pid, port = int(state["pid"]), int(state["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _is_our_server(pid, port) or not healthy(f"http://127.0.0.1:{port}/v2/", timeout=1.0):
        return None
    return {**state, "url": f"http://127.0.0.1:{port}/v2/check"}


def start_kept(cache_root: str | Path | None = None, port: int | None = None, startup_timeout: float = 120.0) -> tuple[dict, bool]:
    """Start a detached server and record it; (its state, whether it was started now)."""
    path = state_path(cache_root)
    with _locked(path):
        running = kept_server(cache_root)
        if running is not None:
            return running, False
        install = find_install()
        if install is None:
            raise ServerError(f"no local LanguageTool in {', '.join(map(str, search_places()))} (run make install-test)")
        server = LocalServer(install, startup_timeout, port=port, detached=True,
                             log_path=path.with_name("languagetool-server.log"))  # fmt: skip
        server.start()
        state = {
            "pid": server.process.pid,
            "port": server.port,
            "version": install.version,
            "home": str(install.home),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "startup_seconds": round(server.startup_seconds or 0.0, 2),
        }
        server._close_log()  # the child keeps its own handle; we forget the process
        server.process = None
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(state) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        return {**state, "url": f"http://127.0.0.1:{state['port']}/v2/check"}, True


def stop_kept(cache_root: str | Path | None = None) -> dict | None:
    """Stop the recorded server (when it is ours and alive); its state, or None."""
    path = state_path(cache_root)
    with _locked(path):
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            pid, port = int(state["pid"]), int(state["port"])
        except (OSError, ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)
            return None
        stopped = None
        if _is_our_server(pid, port):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _is_our_server(pid, port):
                _reap(pid)
                time.sleep(0.1)
            if _is_our_server(pid, port):
                os.kill(pid, signal.SIGKILL)
            stopped = state
        path.unlink(missing_ok=True)
        return stopped


def _reap(pid: int) -> None:
    """Collect a child that exited (when this process started it), so it stops existing."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


# -- one server for a batch -------------------------------------------------------------


def shared_server() -> dict | None:
    """What :func:`serving` passed to this process ({url, version, how} or {error}), or None."""
    raw = os.environ.get(ENV_SHARED)
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


@contextmanager
def serving(settings):
    """One local server for everything inside (a batch and its workers), when one is needed.

    Nothing is started when grammar is off or LT not selected, a server URL is given, a
    kept server runs, or an outer :func:`serving` already shares one.
    """
    from mtcheck.detect import code_selected
    from mtcheck.detect.languagetool import CODE, DEFAULTS

    if (
        not settings.grammar
        or not code_selected(CODE, settings.select, settings.ignore)
        or settings.languagetool_url
        or os.environ.get("MTCHECK_LANGUAGETOOL_URL")
        or shared_server() is not None
        or kept_server() is not None
    ):
        yield
        return
    install = find_install()
    if install is None:
        yield
        return
    opts = {**DEFAULTS, **settings.rule_options.get(CODE, {})}
    server = LocalServer(install, float(opts["startup_timeout"]))
    try:
        server.start()
        shared = {
            "url": server.url,
            "version": install.version,
            "how": f"local {install.name} ({install.home}), started once for this batch",
            "startup_seconds": round(server.startup_seconds or 0.0, 2),
        }
    except ServerError as exc:
        shared = {"error": str(exc)}
    os.environ[ENV_SHARED] = json.dumps(shared)
    try:
        yield
    finally:
        os.environ.pop(ENV_SHARED, None)
        server.stop()
