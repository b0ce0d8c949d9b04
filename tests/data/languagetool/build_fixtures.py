"""Build the stand-in LanguageTool answers in this folder (run once; output is committed).

    python tests/data/languagetool/build_fixtures.py

These answers feed the stand-in server of tests/test_languagetool.py, which is kept only
for what a real LanguageTool cannot be made to do (a malformed or self-contradictory
answer, a timeout, a hang-up); everything else is tested against the real LanguageTool
(tests/test_languagetool_real.py). Each answer is built here in LanguageTool's exact
``/v2/check`` JSON shape, taken from LanguageTool's own serializer
(languagetool-org/languagetool, ``RuleMatchesAsJsonSerializer.java``: field names and
order of ``software``, ``warnings``, ``language``, ``matches``; ``context`` built by
``ContextTools.getContext`` with 40 characters each side, ``...`` where cut, newlines as
spaces), cross-checked with the public API docs (https://languagetool.org/http-api/,
swagger ``languagetool-swagger.json``) and with language-tool-python's ``Match`` parser
(``match.py``), which reads ``rule.id``, ``rule.category.id``, ``rule.issueType``,
``context.offset``/``text``, ``replacements[].value``, ``offset``, ``length``.

Offsets and lengths are in UTF-16 code units, as LanguageTool (Java) counts them. This
script computes them from ``str.encode("utf-16-le")``, independently of mtcheck's
conversion code, so the tests compare two separate computations.

The matches are what LanguageTool plausibly says about these texts; rule ids, categories
and issue types are LanguageTool's, messages are paraphrased.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CONTEXT = 40

SPELLING = dict(
    rule="MORFOLOGIK_RULE_EN_US", description="Possible spelling mistake", issue="misspelling",
    category=("TYPOS", "Possible Typo"), type="UnknownWord",
    message="Possible spelling mistake found.", short="Spelling mistake",
)


def u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def u16_slice(text: str, a: int, b: int) -> str:
    return text.encode("utf-16-le")[2 * a : 2 * b].decode("utf-16-le")


def context(text: str, frm: int, to: int) -> dict:
    """ContextTools.getContext, in UTF-16 units like Java's substring."""
    start, prefix = frm - CONTEXT, "..."
    if start < 0:
        start, prefix = 0, ""
    end, postfix = to + CONTEXT, "..."
    if end > u16(text):
        end, postfix = u16(text), ""
    body = u16_slice(text, start, end).replace("\n", " ")
    return {"text": prefix + body + postfix, "offset": len(prefix) + frm - start, "length": to - frm}


def sentence(text: str, py_start: int) -> str:
    starts = [0] + [m.end() for m in re.finditer(r"(?<=[.!?\"”])\s+|\n", text)]
    begin = max(s for s in starts if s <= py_start)
    nxt = [s for s in starts if s > py_start]
    return text[begin : nxt[0] if nxt else len(text)].strip()


def match(text: str, target: str, spec: dict, nth: int = 0, replacements=()) -> dict:
    py = [m.start() for m in re.finditer(re.escape(target), text)][nth]
    frm = u16(text[:py])
    to = frm + u16(target)
    rule = {"id": spec["rule"]}
    if spec.get("subId"):
        rule["subId"] = spec["subId"]
        rule["sourceFile"] = "grammar.xml"
    rule["description"] = spec["description"]
    rule["issueType"] = spec["issue"]
    rule["category"] = {"id": spec["category"][0], "name": spec["category"][1]}
    out = {"message": spec["message"]}
    if spec.get("short") is not None:
        out["shortMessage"] = spec["short"]
    out["replacements"] = [{"value": r} for r in replacements]
    out["offset"] = frm
    out["length"] = to - frm
    out["context"] = context(text, frm, to)
    out["sentence"] = sentence(text, py)
    out["type"] = {"typeName": spec.get("type", "Other")}
    out["rule"] = rule
    out["ignoreForIncompleteSentence"] = spec.get("incomplete", False)
    out["contextForSureMatch"] = spec.get("sure", 0)
    return out


def answer(matches: list[dict]) -> dict:
    return {
        "software": {"name": "LanguageTool", "version": "6.6", "buildDate": "2025-03-27 13:04:21 +0000",
                     "apiVersion": 1, "premium": False, "status": ""},
        "warnings": {"incompleteResults": False},
        "language": {"name": "English (US)", "code": "en-US",
                     "detectedLanguage": {"name": "English (US)", "code": "en-US", "confidence": 0.99}},
        "matches": sorted(matches, key=lambda m: m["offset"]),
    }


def write(name: str, data: dict) -> None:
    (HERE / name).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


GRAMMAR_MD = dict(rule="MD_BASEFORM", subId="1", description="Modal verb with wrong verb form",
                  issue="grammar", category=("GRAMMAR", "Grammar"),
                  message="The modal verb ‘will’ requires the verb’s base form.", short="Grammatical problem")
GRAMMAR_3PRS = dict(rule="NON3PRS_VERB", subId="3", description="Agreement: third person singular noun + verb",
                    issue="grammar", category=("GRAMMAR", "Grammar"),
                    message="The singular subject ‘Umerov’ does not agree with ‘have’. Did you mean “has”?",
                    short="Grammatical problem", sure=1)
REPEAT = dict(rule="ENGLISH_WORD_REPEAT_RULE", description="Word repetition (e.g. ‘will will’)",
              issue="duplication", category=("MISC", "Miscellaneous"),
              message="Possible typo: you repeated a word.", short="Word repetition")
AGREEMENT = dict(rule="PLURAL_VERB_AFTER_THIS", subId="2", description="Agreement of plural subject and verb",
                 issue="grammar", category=("GRAMMAR", "Grammar"),
                 message="The plural subject ‘delegations’ requires the verb ‘meet’.", short="Grammatical problem")
SPACE_BEFORE_STOP = dict(rule="COMMA_PARENTHESIS_WHITESPACE", description="Use of whitespace before comma and before/after parentheses",
                         issue="whitespace", category=("TYPOGRAPHY", "Typography"),
                         message="Don’t put a space before the full stop.", short="")
COMMA = dict(rule="COMMA_COMPOUND_SENTENCE", subId="1", description="Comma between independent clauses",
             issue="typographical", category=("PUNCTUATION", "Punctuation"),
             message="Use a comma before ‘but’ if it connects two independent clauses.", short="")
STYLE = dict(rule="EN_REDUNDANCY_REPLACEMENT", description="Redundant phrase", issue="style",
             category=("REDUNDANCY", "Redundant Phrases"), type="Hint",
             message="This phrase is redundant. Consider using “planning”.", short="Redundant phrase")


def main() -> None:
    # 2. Astral characters (flag emoji = 2 astral code points, dove = 1) before the matches.
    emoji = (HERE / "emoji.txt").read_text(encoding="utf-8")
    write("emoji.json", answer([
        match(emoji, "and and", REPEAT, replacements=["and"]),
        match(emoji, "meets", AGREEMENT, replacements=["meet"]),
        match(emoji, " .", SPACE_BEFORE_STOP, replacements=["."]),
    ]))


if __name__ == "__main__":
    main()
