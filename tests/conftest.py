"""Shared pytest fixtures."""

import pytest


@pytest.fixture(scope="session")
def encoder():
    """The real embedding model (bundled all-MiniLM-L6-v2), loaded once per session."""
    from mtcheck.align.embed import Encoder

    return Encoder()
