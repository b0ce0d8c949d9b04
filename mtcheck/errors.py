"""Errors that are the user's input or usage problems (one line on stderr, exit 2).

Shared by the CLI and the batch runner, which reports them per pair; it imports nothing
heavy so that neither has to import the other.
"""

from __future__ import annotations

import sys

#: (module, class) of the exceptions that are the user's input or usage problems.
KNOWN_ERRORS = (
    ("mtcheck.read", "InputError"),
    ("mtcheck.align.embed", "ModelError"),
    ("mtcheck.config", "ConfigError"),
    ("mtcheck.detect", "UnknownRuleError"),
    ("mtcheck.detect.base", "RuleError"),
    ("mtcheck.align.aligner", "AlignmentInputError"),
    ("mtcheck.detect.languagetool", "GrammarUnavailableError"),
)


def known_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that are the user's input or usage problems: one line, exit 2.

    Only modules already imported are looked at: an exception can only come from a module
    that ran. Call it in the ``except`` clause (evaluated only when something is raised),
    so that an input error does not import numpy, the aligner or LanguageTool's client.
    """
    found = []
    for module, name in KNOWN_ERRORS:
        cls = getattr(sys.modules.get(module), name, None)
        if cls is not None:
            found.append(cls)
    return tuple(found)
