"""A check runs each of its texts through the encoder once, however long the documents.

The encoder's memos are bounded (a 64k-word pair's layer states outgrow them); inside a
check they hold everything (``Encoder.holding``), so that MT205 and the error tagger never
run the model again over sentences the aligner embedded, and the reference joins of 2-1
beads keep the layer states the tagger reads.
"""

from mtcheck.align.embed import Encoder
from mtcheck.pipeline import check_documents
from mtcheck.report.json import report_to_dict
from mtcheck.settings import Settings
from mtcheck.types import Document

# tests/test_align.py's article: a 1-2 and a 2-1 merge
REF = (
    "The talks will take place in Istanbul on Friday. "
    "Russia sent a low-level delegation led by Vladimir Medinsky, a former culture minister. "
    "Ukraine's air force said one of its F-16 fighter jets was lost during a mission. "
    "The pilot ejected safely. "
    "The United States envoy will not meet the Russian delegation. "
    "Turkey's foreign minister said his country would host further rounds if both sides agreed.\n"
)
CAND = (
    "The negotiations will be held in Istanbul on Friday. "
    "Russia sent a lower-level team. "
    "It is led by former culture minister Vladimir Medinsky. "
    "Ukraine's air force said an F-16 fighter jet was lost on a mission, but the pilot ejected safely. "
    "The U.S. envoy is not expected to meet with the Russian delegation. "
    "The Turkish foreign minister said Turkey was ready to host more rounds if both parties agreed.\n"
)


def _check(encoder: Encoder) -> dict:
    report = check_documents(Document("ref.txt", REF), Document("cand.txt", CAND),
                             Settings(grammar=False, cache=False, min_confidence=0.0), encoder)
    out = report_to_dict(report)
    out.pop("timings", None)
    return out


def test_each_text_runs_through_the_model_once_whatever_the_memo_bounds():
    roomy, tight = Encoder(), Encoder()
    tight.limit_memos(sentences=2, token_bytes=1, state_bytes=1)  # would keep nothing
    reports = [_check(roomy), _check(tight)]
    assert reports[0] == reports[1]
    beads = reports[0]["alignment"]
    assert any(len(b["reference"]) == 2 and b["candidate"] for b in beads)  # a 2-1 bead's join is read
    for enc in (roomy, tight):
        # every text the model ran on was one encode() asked for: the tagger's and
        # MT205's reads (joins included) were all memo hits
        assert enc.stats["forwarded"] == enc.stats["encoded"] > 0
    # after the check the memos are back within their bounds
    assert len(tight._memo) <= 2 and tight._tok_memo.bytes <= 1 and tight._state_memo.bytes <= 1
    assert tight.memo_sentences == 2 and tight._state_memo.max_bytes == 1


def test_joins_across_a_line_break_are_read_from_the_aligners_pass():
    """The same article one sentence a line: a 2-1 bead's reference join spans a newline.
    The aligner keys its joins by the document's slice, the text the tagger and MT205
    read, so they find its states kept instead of running "a\\nb" again after "a b"."""
    enc = Encoder()
    ref, cand = REF.replace(". ", ".\n"), CAND.replace(". ", ".\n")
    report = check_documents(Document("ref.txt", ref), Document("cand.txt", cand),
                             Settings(grammar=False, cache=False, min_confidence=0.0), enc)
    merged = [b for b in report.alignment if len(b.reference) == 2 and b.candidate]
    first, second = (report.reference.sentences[i] for i in merged[0].reference)
    assert "\n" in ref[first.end:second.start]  # the join spans a line break
    ran = list(enc._tok_memo.items)  # every text run through the model (nothing dropped here)
    assert len(ran) == enc.stats["forwarded"] == enc.stats["encoded"]
    assert len({" ".join(t.split()) for t in ran}) == len(ran)  # none twice under other whitespace
