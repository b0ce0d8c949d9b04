"""English word frequencies (wordfreq's Zipf scale) from a compact file built at install.

Why: ``wordfreq.zipf_frequency`` costs about 0.2 s to import (langcodes, ftfy, regex) and
0.2-0.5 s for its first look-up (it unpacks its 321,180-word English list into a dict), and
each ``mtcheck batch`` worker holds that dict (~40 MB). The same answers come from two
numpy arrays, memory-mapped in about a millisecond and shared by every process through the
page cache: the sorted words (UTF-8, fixed width) and wordfreq's bucket of each (its
frequency in -centibels, uint16), from which wordfreq computes the Zipf value.

wordfreq stays the source of truth and the fallback:

- the file is built from ``wordfreq.get_frequency_dict("en")`` with wordfreq's own rounding
  (checked at build time against ``zipf_frequency`` on a sample), by ``make install``
  (``python -m mtcheck.detect.lexicon build``) into ``<sys.prefix>/share/mtcheck/lexicon``,
  or else on first use into ``<cache dir>/lexicon`` (one-line notice in the report);
- it is keyed by the size and mtime of wordfreq's English data file and verified by a
  CRC-32: a missing, stale or corrupt file is rebuilt (with a one-line notice);
- only words whose tokens wordfreq's tokenizer provably keeps whole are answered here
  (letters of the Latin scripts, apostrophes inside a word but not a French-style elision
  such as "l'heure" that wordfreq splits, hyphens between words: their tokens' frequencies
  are combined with wordfreq's own arithmetic); anything else (digits, other scripts,
  "l'a") goes to ``wordfreq.zipf_frequency`` itself.

The same folder holds the spelling rules' suggestion candidates (``Lexicon.suggestion_words``):
the lexicon's words that the Hunspell en_US dictionary accepts (as written or capitalized,
no apostrophes), one a line, with their buckets. Hunspell's own suggestion makes an n-gram
pass over its whole dictionary (0.1-0.3 s CPU a word); ranking these candidates with
rapidfuzz takes a few milliseconds (``mtcheck/detect/rules/spelling.py``). So the folder is
keyed by the Hunspell dictionary files too.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import unicodedata
import zlib
from functools import cached_property, lru_cache
from pathlib import Path

FORMAT = 2  # bumped when the file layout or the key rules change (2: suggestion candidates)
WORDS, CB, META = "words.npy", "centibels.npy", "lexicon.json"
SUGGEST, SUGGEST_CB = "suggest.txt", "suggest-centibels.npy"
ENV_DIR = "MTCHECK_LEXICON_DIR"

_LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
#: A word the lexicon answers for: Latin letters, apostrophes only between letters.
FAST_RE = re.compile(f"[{_LETTER}]+(?:['\u2019][{_LETTER}]+)*")
#: wordfreq's tokenizer splits 1-2 letters + straight apostrophe + vowel or h ("l'heure",
#: "y'all") as French elision (its INITIAL_VOWEL_EXPR): those go to wordfreq.
_ELISION_RE = re.compile("[^\\W\\d_]{1,2}'[AEHIOUYÁÉÍÓÚÀÈÌÒÙÂÊÎÔÛÅÏÖŒaehiouyáéíóúàèìòùâêîôûåïöœ]")


class LexiconError(RuntimeError):
    """The lexicon file is missing, stale or corrupt."""


def key(word: str) -> str | None:
    """The lexicon key of ``word`` (what wordfreq would look up), or None: ask wordfreq."""
    if not FAST_RE.fullmatch(word) or not unicodedata.is_normalized("NFC", word):
        return None
    folded = word.casefold()
    if _ELISION_RE.match(folded) or not FAST_RE.fullmatch(folded):
        return None  # elided like French, or casefold left the Latin letters ("İ", "ǰ")
    return folded.replace("\u2019", "'")


# ----------------------------------------------------------------------------- files
def _stamp(path: Path) -> dict:
    st = path.stat()
    return {"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _source() -> dict:
    """What the lexicon is built from (path, size, mtime of each file): wordfreq's English
    data file, and the Hunspell dictionary that picks the suggestion candidates."""
    import importlib.util

    from mtcheck.detect.rules._text import _spylls_en_us

    spec = importlib.util.find_spec("wordfreq")
    if spec is None or not spec.origin:
        raise LexiconError("wordfreq is not installed")
    try:
        dic = _spylls_en_us()
        hunspell = [_stamp(dic.with_suffix(ext)) for ext in (".aff", ".dic")]
    except (ImportError, OSError) as exc:
        raise LexiconError(f"the Hunspell en_US dictionary is missing ({exc})") from exc
    return {**_stamp(Path(spec.origin).parent / "data" / "large_en.msgpack.gz"), "hunspell": hunspell}


def _suggestion_candidates(entries: list[tuple[bytes, int]]) -> tuple[list[str], list[int]]:
    """The words Hunspell accepts, as written or capitalized ("holman" -> "Holman"), with
    their buckets; none with an apostrophe (a suggestion is a plain word). ~3 s CPU with
    libhunspell for the 311,057 words."""
    from mtcheck.detect.rules._text import hunspell

    h = hunspell()
    words, cbs = [], []
    for raw, cb in entries:
        w = raw.decode("utf-8")
        if "'" in w:
            continue
        form = w if h.lookup(w) else w.capitalize() if h.lookup(w.capitalize()) else None
        if form:
            words.append(form)
            cbs.append(cb)
    return words, cbs


def roots() -> list[Path]:
    """Where the lexicon may live, in the order looked in."""
    env = os.environ.get(ENV_DIR)
    if env:
        return [Path(env).expanduser()]
    from mtcheck.cache import default_cache_dir

    return [Path(sys.prefix) / "share" / "mtcheck" / "lexicon", default_cache_dir() / "lexicon"]


def folder_name() -> str:
    return f"wordfreq-en-v{FORMAT}"


def build(root: str | Path) -> Path:
    """Write the lexicon from wordfreq into ``root``/<folder_name> (atomically) and return it."""
    import random
    import shutil
    import tempfile

    import numpy as np
    from wordfreq import get_frequency_list, zipf_frequency

    buckets: dict[str, int] = {}
    for index, bucket in enumerate(get_frequency_list("en")):
        for word in bucket:  # as get_frequency_dict: a later (rarer) bucket wins
            buckets[word] = index
    entries = sorted((w.encode("utf-8"), cb) for w, cb in buckets.items() if key(w) == w)
    lex = _Arrays([w for w, _ in entries], [cb for _, cb in entries])
    rng = random.Random(0)
    sample = [w.decode() for w, _ in rng.sample(entries, min(3000, len(entries)))]
    sample += [f"{a}-{b}" for a, b in zip(sample[::2], sample[1::2])]
    for word in sample:  # wordfreq's own answer, through its tokenizer and rounding
        if lex.zipf(word) != zipf_frequency(word, "en"):
            raise LexiconError(f"lexicon disagrees with wordfreq on {word!r}")
    words, cbs = lex.words, lex.cb
    suggest, suggest_cb = _suggestion_candidates(entries)

    target = Path(root) / folder_name()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".lexicon-", dir=target.parent))
    try:
        np.save(tmp / WORDS, words)
        np.save(tmp / CB, cbs)
        (tmp / SUGGEST).write_text("\n".join(suggest), encoding="utf-8")
        np.save(tmp / SUGGEST_CB, np.array(suggest_cb, dtype=np.uint16))
        meta = {
            "format": FORMAT,
            "source": _source(),
            "words": len(words),
            "suggest": len(suggest),
            "crc32": {name: _crc(tmp / name) for name in (WORDS, CB, SUGGEST, SUGGEST_CB)},
        }
        (tmp / META).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        tmp.chmod(0o755)  # mkdtemp's 0700 would hide an install-time lexicon from other users
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _crc(path: Path) -> int:
    crc = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
    return crc


class _Arrays:
    """Sorted words (UTF-8, fixed width) and their wordfreq bucket (-centibels), searched."""

    def __init__(self, words, cb):
        import numpy as np

        self.words = words if isinstance(words, np.ndarray) else np.array(words, dtype=f"S{max(map(len, words))}")
        self.cb = cb if isinstance(cb, np.ndarray) else np.array(cb, dtype=np.uint16)
        self._width = self.words.dtype.itemsize
        self._search = np.searchsorted

    def centibels(self, lexicon_key: str) -> int | None:
        """The key's bucket in wordfreq's list (its frequency is 10 ** (-cB / 100)), or None."""
        b = lexicon_key.encode("utf-8")
        if len(b) > self._width:
            return None
        i = int(self._search(self.words, b))
        if i < len(self.words) and self.words[i] == b:
            return int(self.cb[i])
        return None

    def zipf(self, word: str) -> float | None:
        """wordfreq's ``zipf_frequency(word, "en")``, or None when only wordfreq can answer.

        The same arithmetic as wordfreq's ``_word_frequency``: tokens split at hyphens
        (wordfreq's tokenizer does), frequencies combined as 1/f = 1/f1 + 1/f2 + ...,
        rounded to 3 significant digits, at least ``zipf_to_freq(0)``, then Zipf rounded
        to 2 decimals.
        """
        minimum = 10**0 / 1e9
        one_over = 0.0
        for part in word.split("-"):
            k = key(part)
            if k is None:
                return None
            cb = self.centibels(k)
            if cb is None:
                freq = minimum  # wordfreq: any token unseen -> the minimum
                break
            one_over += 1.0 / 10 ** (-cb / 100)
        else:
            freq = max(1.0 / one_over, minimum)
            freq = round(freq, math.floor(-math.log(freq, 10)) + 3)
        return round(math.log(freq, 10) + 9, 2)


class Lexicon(_Arrays):
    """The memory-mapped arrays of one lexicon folder (verified on load)."""

    def __init__(self, folder: Path, verify: bool = True):
        import numpy as np

        try:
            meta = json.loads((folder / META).read_text(encoding="utf-8"))
            if meta.get("format") != FORMAT or meta.get("source") != _source():
                raise LexiconError(f"{folder} was built from another wordfreq or format")
            if verify and any(_crc(folder / n) != c for n, c in meta["crc32"].items()):
                raise LexiconError(f"{folder} is corrupt (checksum)")
            words = np.load(folder / WORDS, mmap_mode="r")
            cb = np.load(folder / CB, mmap_mode="r")
            suggest_cb = np.load(folder / SUGGEST_CB, mmap_mode="r")
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise LexiconError(f"{folder} cannot be read ({type(exc).__name__})") from exc
        if words.ndim != 1 or words.shape != cb.shape or len(words) != meta["words"]:
            raise LexiconError(f"{folder} is corrupt (sizes)")
        if suggest_cb.shape != (meta.get("suggest"),):
            raise LexiconError(f"{folder} is corrupt (sizes)")
        super().__init__(words, cb)
        self.folder, self._suggest_cb = folder, suggest_cb

    @cached_property
    def suggestion_words(self):
        """The suggestion candidates (Hunspell-accepted words, a list) and their Zipf values
        (9 - bucket / 100, unrounded, a numpy array), read on first use (~5 ms)."""
        words = (self.folder / SUGGEST).read_text(encoding="utf-8").split("\n")
        if len(words) != len(self._suggest_cb):
            raise LexiconError(f"{self.folder} is corrupt (sizes)")
        return words, 9.0 - self._suggest_cb / 100.0


def _notice(message: str) -> None:
    from mtcheck.cache import notice

    notice(message)


@lru_cache(maxsize=1)
def lexicon() -> Lexicon | None:
    """The lexicon: found, else (re)built (into the cache folder first); None: use wordfreq."""
    problem = None
    for root in roots():
        folder = root / folder_name()
        if not (folder / META).exists():
            continue
        try:
            return Lexicon(folder)
        except LexiconError as exc:
            problem = str(exc)
    for root in reversed(roots()):  # the cache first: the install root is `make install`'s
        try:
            lex = Lexicon(build(root), verify=False)
        except (OSError, LexiconError):  # unwritable, or another process replaced it meanwhile
            continue
        _notice(f"word-frequency lexicon {'rebuilt: ' + problem if problem else 'built into ' + str(root)}")
        return lex
    return None


def zipf(word: str) -> float:
    """wordfreq's ``zipf_frequency(word, "en")``, from the lexicon when it can answer."""
    lex = lexicon()
    z = lex.zipf(word) if lex is not None else None
    if z is not None:
        return z
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m mtcheck.detect.lexicon")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the lexicon from wordfreq (make install does)")
    b.add_argument("--into", help=f"root folder (default: ${ENV_DIR} or <sys.prefix>/share/mtcheck/lexicon)")
    args = parser.parse_args(argv)
    folder = build(args.into or roots()[0])
    print(f"lexicon: {folder} ({Lexicon(folder).words.shape[0]:,} words)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
