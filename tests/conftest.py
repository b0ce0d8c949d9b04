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
