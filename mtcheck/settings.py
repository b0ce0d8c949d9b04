"""Run settings: one plain record the CLI, the config file and batch runs fill in.

Defaults live here (and in the rule classes); the CLI holds no logic of its own. The
config loader (``mtcheck.config``) maps ``[tool.mtcheck]`` / ``mtcheck.toml`` keys onto
these fields; command-line options win over the config file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Largest input file accepted, in bytes (documented in the README). Larger files are
#: refused with exit code 2 before anything is read into memory.
MAX_INPUT_BYTES = 5_000_000

#: MQM-style weights per severity (Freitag et al. 2021: minor 1, major 5, critical 25).
DEFAULT_WEIGHTS = {"minor": 1.0, "major": 5.0, "critical": 25.0}


#: Default ``min_confidence`` (0-1), chosen from bench/calibration.py's measurements
#: (README, "Confidence").
DEFAULT_MIN_CONFIDENCE = 0.35


@dataclass
class Settings:
    # embedding / alignment
    model: str | None = None  # local sentence-transformers model path; None = bundled
    aligned: bool = False  # line i of reference pairs with line i of candidate
    language: str = "en"
    # rules
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    rule_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    severity_overrides: dict[str, str] = field(default_factory=dict)
    allowed_terms: list[str] = field(default_factory=list)
    glossary: str | None = None  # CSV path: required term -> forbidden variants
    # grammar backend (LanguageTool)
    grammar: bool = True
    require_grammar: bool = False
    languagetool_url: str | None = None
    # scoring and gate
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    # minor|major|critical: fail on any counted finding at/above; None/"none": off.
    # Default "major": a major error changes or garbles what the reader understands (MQM);
    # minor findings alone never fail a run unless asked (--fail-on minor).
    fail_on: str | None = "major"
    max_penalty: float | None = None  # per 1,000 candidate words
    min_quality: float | None = None  # 0-100
    # findings whose calibrated confidence (mtcheck.score.confidence) is below are dropped
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    baseline: str | None = None  # previous JSON report: only new findings count
    suppressions: str | None = None  # JSON file of dismissed findings
    # metrics: corpus TER costs seconds per thousand words (sacrebleu's shift search),
    # more than everything else together on a long article: computed when asked for.
    ter: bool = False
    # caching
    cache: bool = True
    cache_dir: str | None = None
    # batch engine (mtcheck batch): local process pool, or Ray
    engine: str = "local"  # local | ray
    ray_address: str | None = None  # a running Ray cluster; None = a local Ray runtime
