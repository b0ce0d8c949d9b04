"""SequenceCounts (MT102's topic test over the whole document) answers as count_sequence."""

from pathlib import Path

from mtcheck.detect.rules._text import TOKEN_RE, SequenceCounts, count_sequence, text_tokens

ROOT = Path(__file__).resolve().parent.parent
GARBLED = ROOT / "fixtures" / "istanbul-talks.garbled-mt.txt"


def test_sequence_counts_equal_the_scan_on_every_phrase_of_the_fixture():
    low = [t.lower for t in text_tokens(GARBLED.read_text(encoding="utf-8"), pattern=TOKEN_RE)]
    counts = SequenceCounts(low)
    asked = [low[k : k + n] for n in (1, 2, 3, 4) for k in range(0, len(low) - n + 1, 3)]
    asked += [[], ["no-such-word"], ["the", "no-such-word"], low[-2:] + ["beyond", "the", "end"]]
    assert any(count_sequence(low, seq) >= 2 for seq in asked if len(seq) == 2)  # repeats are asked
    assert [counts.count(seq) for seq in asked] == [count_sequence(low, seq) for seq in asked]
    assert SequenceCounts([]).count(["a"]) == 0 == count_sequence([], ["a"])
