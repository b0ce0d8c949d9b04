"""Shared pytest fixtures."""

import pytest


@pytest.fixture(scope="session")
def encoder():
    """The real embedding model (bundled all-MiniLM-L6-v2), loaded once per session."""
    from mtcheck.align.embed import Encoder

    return Encoder()


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory):
    """Caches (embeddings, LanguageTool) go to a temporary folder, never ~/.cache/mtcheck.

    Set in the environment, so CLI subprocesses started by tests use it too.
    """
    patch = pytest.MonkeyPatch()
    patch.setenv("MTCHECK_CACHE_DIR", str(tmp_path_factory.mktemp("mtcheck-cache")))
    yield
    patch.undo()


# -- LanguageTool ------------------------------------------------------------------------
# The real LanguageTool (installed by `make install-test`) runs only in tests that ask for
# the `languagetool` fixture: everywhere else it is hidden (MTCHECK_LANGUAGETOOL_HOME points
# at an empty folder, also for CLI subprocesses), so other tests neither start a JVM nor
# depend on LanguageTool's findings.
_REAL_LANGUAGETOOL: dict = {}


@pytest.fixture(autouse=True, scope="session")
def _languagetool_only_when_asked(tmp_path_factory):
    from mtcheck.detect.languagetool.server import find_install

    _REAL_LANGUAGETOOL["install"] = find_install()  # where a user's run would find it
    patch = pytest.MonkeyPatch()
    patch.setenv("MTCHECK_LANGUAGETOOL_HOME", str(tmp_path_factory.mktemp("no-languagetool")))
    patch.delenv("MTCHECK_LANGUAGETOOL_URL", raising=False)
    patch.delenv("MTCHECK_LANGUAGETOOL_SHARED", raising=False)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def languagetool():
    """One real LanguageTool server for the whole session (``.url``, ``.install``).

    Skipped only where Java is missing (the set-up then installs no LanguageTool); with
    Java but no LanguageTool the tests fail: run the set-up (make install-test).
    """
    import shutil

    from mtcheck.detect.languagetool.server import LocalServer

    install = _REAL_LANGUAGETOOL.get("install")
    if shutil.which("java") is None:
        pytest.skip("no Java on PATH: the set-up installs no LanguageTool here")
    if install is None:
        pytest.fail("Java is here but LanguageTool is not installed: run `make install-test`")
    server = LocalServer(install, startup_timeout=300).start()
    yield server
    server.stop()
