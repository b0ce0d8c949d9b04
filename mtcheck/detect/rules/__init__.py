"""Rule modules. Each exposes ``RULES`` and is listed in ``mtcheck.detect.RULE_MODULES``."""
