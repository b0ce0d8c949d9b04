"""Settings from a config file: ``[tool.mtcheck]`` in pyproject.toml or ``mtcheck.toml``.

The file is given with ``--config PATH`` or found upwards from the working directory:
in each directory, ``mtcheck.toml`` (top-level keys) wins over ``pyproject.toml`` (its
``[tool.mtcheck]`` table; a pyproject.toml without one is passed over). Command-line
options override the file. Keys may be written with ``-`` or ``_``. Relative paths are
relative to the config file's directory. Unknown keys and bad values raise
:class:`ConfigError` naming the file and the key. Example::

    [tool.mtcheck]
    fail-on = "major"             # minor | major (default) | critical | none
    max-penalty = 40              # per 1,000 candidate words (default: off)
    min-quality = 60              # document quality 0-100 (default: off)
    weights = { minor = 1, major = 5, critical = 25 }
    select = ["MT1", "MT2"]       # code prefixes, or "ALL"
    ignore = ["MT205"]
    allowed-terms = ["Kyiv", "Erdogan"]
    glossary = "glossary.csv"     # required term -> forbidden variants (rule MT450)
    suppressions = "suppressions.json"
    baseline = "reports/previous.json"
    aligned = false
    grammar = true
    engine = "local"              # mtcheck batch: local | ray
    ray-address = "10.0.0.5:6379" # mtcheck batch --engine ray: join this cluster

    [tool.mtcheck.severity-overrides]
    MT205 = "minor"

    [tool.mtcheck.rules.MT205]    # per-rule options (see `mtcheck rule CODE`)
    threshold = 0.35
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any, Callable

from mtcheck.settings import DEFAULT_WEIGHTS, Settings
from mtcheck.types import SEVERITIES

CONFIG_NAMES = ("mtcheck.toml", "pyproject.toml")


class ConfigError(ValueError):
    """A bad config file, key or value; ``str(err)`` names it."""


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``mtcheck.toml`` or pyproject.toml with ``[tool.mtcheck]``, upwards."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        own = folder / "mtcheck.toml"
        if own.is_file():
            return own
        py = folder / "pyproject.toml"
        if py.is_file():
            try:
                data = tomllib.loads(py.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
                continue  # somebody else's broken pyproject is not ours to judge
            if isinstance(data.get("tool"), dict) and "mtcheck" in data["tool"]:
                return py
    return None


def read_table(path: Path) -> dict[str, Any]:
    """The mtcheck table of a config file (empty when a pyproject.toml has none)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigError(f"{path}: not valid TOML (arrays or tables nested too deeply)") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("mtcheck", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.mtcheck] must be a table")
        return table
    return data


def load_settings(path: str | None = None) -> Settings:
    """Settings from the config file (none given or found: the defaults)."""
    config = Path(path) if path else find_config()
    settings = Settings()
    if config is None:
        return settings
    if path and not config.is_file():
        raise ConfigError(f"{config}: config file not found")
    table = read_table(config)
    apply_table(settings, table, config)
    return settings


# -- validation ---------------------------------------------------------------


class _Key:
    """Checks one key's value; ``fail`` raises a ConfigError naming the file and key."""

    def __init__(self, config: Path, key: str):
        self.config, self.key = config, key

    def fail(self, problem: str) -> ConfigError:
        return ConfigError(f"{self.config}: {self.key}: {problem}")

    def boolean(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail(f"expected true or false, got {value!r}")
        return value

    def string(self, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"expected a non-empty string, got {value!r}")
        return value

    def number(self, value: Any, lo: float | None = None, hi: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"expected a number, got {value!r}")
        if not math.isfinite(value):  # TOML has nan and inf; a gate or weight cannot use them
            raise self.fail(f"expected a finite number, got {value!r}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            span = f"between {lo:g} and {hi:g}" if hi is not None else f"at least {lo:g}"
            raise self.fail(f"must be {span}, got {value!r}")
        return float(value)

    def strings(self, value: Any) -> list[str]:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"expected a list of strings, got {value!r}")
        return [v.strip() for v in value if v.strip()]

    def path(self, value: Any, must_exist: bool = True) -> str:
        if "\x00" in self.string(value):
            raise self.fail(f"a path cannot hold a NUL character, got {value!r}")
        p = Path(value).expanduser()
        if not p.is_absolute():
            p = self.config.parent / p
        if must_exist and not p.exists():
            raise self.fail(f"{p}: no such file")
        return str(p)

    def severity(self, value: Any, allow_none: bool = False) -> str | None:
        choices = (*SEVERITIES, "none") if allow_none else SEVERITIES
        if allow_none and value is False:
            return None
        if value not in choices:
            raise self.fail(f"expected one of {', '.join(choices)}, got {value!r}")
        return None if value == "none" else value

    def table(self, value: Any) -> dict:
        if not isinstance(value, dict):
            raise self.fail(f"expected a table, got {value!r}")
        return value


def _language(k: _Key, value: Any) -> str:
    """A language the sentence splitter (pysbd) knows."""
    from pysbd.languages import LANGUAGE_CODES

    if k.string(value) not in LANGUAGE_CODES:
        raise k.fail(f"unsupported language {value!r} (supported: {', '.join(sorted(LANGUAGE_CODES))})")
    return value


def _known_code(code: str) -> bool:
    from mtcheck.detect import get_rule

    if code.upper() == "LT":  # LanguageTool findings
        return True
    rule = get_rule(code)
    return rule is not None and rule.code == code.upper()


def _prefixes(k: _Key, value: Any) -> list[str]:
    from mtcheck.detect import UnknownRuleError, check_prefixes

    entries = k.strings(value)
    try:
        check_prefixes(entries)
    except UnknownRuleError as exc:
        raise k.fail(str(exc)) from None
    return entries


def _weights(k: _Key, value: Any) -> dict[str, float]:
    table = k.table(value)
    weights = dict(DEFAULT_WEIGHTS)
    for sev, w in table.items():
        if sev not in SEVERITIES:
            raise ConfigError(f"{k.config}: {k.key}.{sev}: unknown severity (use {', '.join(SEVERITIES)})")
        weights[sev] = _Key(k.config, f"{k.key}.{sev}").number(w, lo=0)
    return weights


def _overrides(k: _Key, value: Any) -> dict[str, str]:
    out = {}
    for code, sev in k.table(value).items():
        sub = _Key(k.config, f"{k.key}.{code}")
        if not _known_code(code):
            raise sub.fail("no such rule code (see `mtcheck rules`)")
        out[code.upper()] = sub.severity(sev)
    return out


def _rule_options(k: _Key, value: Any) -> dict[str, dict[str, Any]]:
    from mtcheck.detect import get_rule

    out: dict[str, dict[str, Any]] = {}
    for code, options in k.table(value).items():
        sub = _Key(k.config, f"{k.key}.{code}")
        if code.upper() == "LT":  # LanguageTool's options (timeout, chunk_chars, enable, ...)
            from mtcheck.detect.languagetool import DEFAULTS as defaults
        else:
            rule = get_rule(code)
            if rule is None or rule.code != code.upper():
                raise sub.fail("no such rule code (see `mtcheck rules`)")
            defaults = rule.defaults
        for name, v in sub.table(options).items():
            if name not in defaults:
                known = ", ".join(sorted(defaults)) or "none"
                raise ConfigError(f"{k.config}: {k.key}.{code}.{name}: unknown option (options: {known})")
            default = defaults[name]
            if default is not None and type(v) is not type(default) and not (
                isinstance(default, float) and isinstance(v, int) and not isinstance(v, bool)
            ):
                raise ConfigError(
                    f"{k.config}: {k.key}.{code}.{name}: expected {type(default).__name__}, got {v!r}"
                )
        out[code.upper()] = dict(options)
    return out


#: config key (snake_case) -> (Settings field, converter).
FIELDS: dict[str, tuple[str, Callable[[_Key, Any], Any]]] = {
    "model": ("model", lambda k, v: k.path(v)),
    "aligned": ("aligned", _Key.boolean),
    "language": ("language", _language),
    "select": ("select", _prefixes),
    "ignore": ("ignore", _prefixes),
    "severity_overrides": ("severity_overrides", _overrides),
    "allowed_terms": ("allowed_terms", _Key.strings),
    "glossary": ("glossary", lambda k, v: k.path(v)),
    "grammar": ("grammar", _Key.boolean),
    "require_grammar": ("require_grammar", _Key.boolean),
    "languagetool_url": ("languagetool_url", _Key.string),
    "weights": ("weights", _weights),
    "fail_on": ("fail_on", lambda k, v: k.severity(v, allow_none=True)),
    "max_penalty": ("max_penalty", lambda k, v: k.number(v, lo=0)),
    "min_quality": ("min_quality", lambda k, v: k.number(v, lo=0, hi=100)),
    "min_confidence": ("min_confidence", lambda k, v: k.number(v, lo=0, hi=1)),
    "baseline": ("baseline", lambda k, v: k.path(v)),
    "suppressions": ("suppressions", lambda k, v: k.path(v)),
    "cache": ("cache", _Key.boolean),
    "ter": ("ter", _Key.boolean),
    "cache_dir": ("cache_dir", lambda k, v: k.path(v, must_exist=False)),
    "rules": ("rule_options", _rule_options),
    "engine": ("engine", lambda k, v: _engine(k, v)),
    "ray_address": ("ray_address", _Key.string),
}


def _engine(k: _Key, value: Any) -> str:
    value = k.string(value)
    if value not in ("local", "ray"):
        raise k.fail(f"expected local or ray, got {value!r}")
    return value


def apply_table(settings: Settings, table: dict[str, Any], config: Path) -> None:
    """Validate every key of ``table`` and set the matching Settings fields."""
    seen: dict[str, str] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        if key not in FIELDS:
            known = ", ".join(sorted(k.replace("_", "-") for k in FIELDS))
            raise ConfigError(f"{config}: {raw_key}: unknown key (known keys: {known})")
        if key in seen:
            raise ConfigError(f"{config}: {raw_key}: given twice (also as {seen[key]})")
        seen[key] = raw_key
        name, convert = FIELDS[key]
        setattr(settings, name, convert(_Key(config, raw_key), value))
    if settings.glossary:
        from mtcheck.detect.rules.glossary import GlossaryError, load_glossary

        try:
            load_glossary(settings.glossary)
        except GlossaryError as exc:
            raise ConfigError(f"{config}: glossary: {exc}") from None
