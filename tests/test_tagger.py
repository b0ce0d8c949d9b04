"""The learned error tagger: shipped weights, checksum, inference, its rules, MT102 topics."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mtcheck.detect.adhoc import context_from_texts
from mtcheck.detect import run_rules
from mtcheck.detect.rules.repetition import RepeatedPhrase
from mtcheck.detect.rules.tagged import PossibleDisfluency, PossibleMistranslation
from mtcheck.detect.tagger import CHECKSUM, WEIGHTS, TaggerError, load, sha256, tag

ROOT = Path(__file__).resolve().parent.parent
GOLD = Path(__file__).parent / "data" / "fixture-gold.jsonl"
GARBLED = ROOT / "fixtures" / "istanbul-talks.garbled-mt.txt"

#: Recorded with the shipped weights and the bundled model (default per-token int8 ONNX
#: encoder, the tagger with the alignment block), 2026-12-01.
RECORDED_TEXTS = ('The less operational of weapons will "nothing happens".',
                  "Senior Turkish officials will join the talks.")
RECORDED_REFS = ("The US provides fewer weapons, and nothing will happen.", None)
RECORDED_PROBS = (
    [0.1427, 0.4406, 0.73, 0.5252, 0.0784, 0.0851, 0.6116, 0.0877, 0.0714, 0.5662, 0.1087],
    [0.0472, 0.4559, 0.0211, 0.022, 0.1404, 0.0813, 0.0734, 0.029],
)


def test_shipped_weights_match_their_checksum():
    assert sha256(WEIGHTS) == CHECKSUM.read_text().split()[0]
    m = load()
    assert m.w1.shape[1] == m.b1.shape[0] == m.w2.shape[0]
    assert m.layers[0] == 0 and m.layers[-1] == 6


def test_corrupt_weights_are_refused(tmp_path):
    bad = tmp_path / "tagger.npz"
    data = bytearray(WEIGHTS.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(TaggerError, match="checksum"):
        load(bad, CHECKSUM)


def test_conv_weights_load_and_convolve_over_the_sentence(tmp_path):
    """A ``train/tagger.py --model conv`` export: checksum-verified like the MLP's, and its
    numpy inference is the convolution written out word by word (zero rows past the ends)."""
    rng = np.random.default_rng(0)
    d, k, proj, hidden, kernel = 800, 768, 4, 3, 5
    w = {"mu": rng.normal(size=d), "sd": rng.uniform(0.5, 2, size=d), "p": rng.normal(size=(k, proj)) / 30,
         "pb": rng.normal(size=proj), "wc": rng.normal(size=(kernel * (proj + d - k), hidden)) / 10,
         "bc": rng.normal(size=hidden), "w2": rng.normal(size=hidden)}
    path = tmp_path / "conv.npz"
    np.savez(path, **{n: v.astype(np.float32) for n, v in w.items()}, b2=np.float32(-0.3),
             layers=np.array([0, 3, 6]), extended=np.array(2))
    (tmp_path / "conv.sha256").write_text(sha256(path) + "\n")
    m = load(path, tmp_path / "conv.sha256")
    assert m.layers == (0, 3, 6) and m.kernel == kernel
    x = rng.normal(size=(7, d)).astype(np.float32)
    xs = (x - w["mu"]) / w["sd"]
    z = np.concatenate([xs[:, :k] @ w["p"] + w["pb"], xs[:, k:]], axis=1)
    want = []
    for i in range(len(x)):
        h = w["bc"].copy()
        for o in range(kernel):  # offset o - 2 around word i
            j = i + o - kernel // 2
            if 0 <= j < len(x):
                h += z[j] @ w["wc"][o * z.shape[1] : (o + 1) * z.shape[1]]
        want.append(1 / (1 + np.exp(-(np.maximum(h, 0) @ w["w2"] - 0.3))))
    assert np.allclose(m.predict(x), want, atol=1e-5)


def test_missing_weights_are_a_clear_error(tmp_path):
    with pytest.raises(TaggerError, match="unreadable"):
        load(tmp_path / "absent.npz", CHECKSUM)


def test_token_states_match_transformers():
    """Encoder.token_states (fp32) gives HF transformers' output_hidden_states (within 1e-4)."""
    torch = pytest.importorskip("torch")
    from transformers import AutoModel, AutoTokenizer

    from mtcheck.align.embed import Encoder

    encoder = Encoder(backend="onnx")
    texts = ["The less operational of weapons will \"nothing happens\".", "Kiev, 12:30 local time."]
    states = encoder.token_states(texts, (0, 3, 6))
    tok = AutoTokenizer.from_pretrained(encoder.path)
    model = AutoModel.from_pretrained(encoder.path).eval()
    for text, st in zip(texts, states):
        enc = tok([text], return_tensors="pt")
        with torch.inference_mode():
            hs = model(**enc, output_hidden_states=True).hidden_states
        want = np.stack([hs[k][0, 1:-1].numpy() for k in (0, 3, 6)])
        assert st.tokens == tok.convert_ids_to_tokens(enc["input_ids"][0, 1:-1].tolist())
        assert st.layers.shape == want.shape
        assert np.abs(st.layers - want).max() < 1e-4


def test_inference_matches_recording(encoder):
    # per-token int8: batch-independent, so the session encoder's earlier batches do not matter.
    out = tag(encoder, list(RECORDED_TEXTS), list(RECORDED_REFS))
    for (spans, probs, _sup), want in zip(out, RECORDED_PROBS):
        assert len(probs) == len(want)
        assert np.allclose(probs, want, atol=2e-3), (probs.round(3).tolist(), want)
        assert all(0 <= a < b for a, b in spans)


def _run(rules, ref, cand, encoder):
    ctx = context_from_texts(ref, cand, encoder=encoder)
    return run_rules(ctx, rules)


def test_tagger_rules_fire_on_garbled_sentence_and_not_on_clean(encoder):
    rules = [PossibleDisfluency, PossibleMistranslation]
    garbled = 'The less operational of weapons will "nothing happens".'  # the garbled fixture
    found = _run(rules, "", garbled, encoder)
    assert found, "nothing flagged in a garbled sentence"
    assert all("error tagger: P = " in f.message for f in found)
    clean = "Senior Turkish officials will join the Russian-Ukrainian talks."
    assert _run(rules, "", clean, encoder) == []


def test_tagger_rule_leaves_spans_other_rules_report(encoder):
    from mtcheck.detect import select_rules

    text = GARBLED.read_text(encoding="utf-8").split("\n")[-1]
    found = _run(select_rules(["ALL"]), "", text, encoder)
    tagged = [f for f in found if f.code in ("MT121", "MT221")]
    others = [f for f in found if f.code not in ("MT121", "MT221") and f.side == "candidate"]
    for t in tagged:
        assert not any(o.start < t.end and t.start < o.end for o in others), t


def test_mt102_skips_a_phrase_naming_the_topic():
    text = ("Chip manufacturing equipment is in short supply. Makers of chip manufacturing "
            "equipment and of chip manufacturing equipment parts say so.")
    ctx = context_from_texts("", text)
    assert list(RepeatedPhrase().check(ctx)) == []
    # The same repeat once, in a text not about it, is still flagged.
    ctx = context_from_texts("", "Talks were held on Friday, meeting in Istanbul, a ceasefire, and a discussion in Istanbul.")
    assert [f.text for f in RepeatedPhrase().check(ctx)] == ["in Istanbul"]


def test_mt102_topic_count_option():
    text = "Sales of South Korea and of Japan grew, and South Korea leads. South Korea gains."
    assert list(RepeatedPhrase().check(context_from_texts("", text))) == []
    ctx = context_from_texts("", text, options={"MT102": {"topic_min_count": 9}})
    assert [f.text for f in RepeatedPhrase().check(ctx)] == ["South Korea"]


def test_fixture_gold_format_and_offsets():
    text = GARBLED.read_text(encoding="utf-8")
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 30
    assert [r["start"] for r in rows] == sorted(r["start"] for r in rows)
    for r in rows:
        assert set(r) == {"start", "end", "span", "error", "category", "note"}
        assert text[r["start"] : r["end"]] == r["span"]
        assert isinstance(r["error"], bool) and r["note"]
        assert (r["category"].split("/")[0] in {"Accuracy", "Fluency", "Style", "Terminology"}) == r["error"]
    assert sum(r["error"] for r in rows) >= 20 and sum(not r["error"] for r in rows) >= 10


PROBE = """
import sys
from pathlib import Path
from mtcheck.pipeline import run_check
from mtcheck.settings import Settings
d = Path(sys.argv[1])
report = run_check(str(d / "kurdistan24-istanbul-talks.clean.txt"), str(d / "istanbul-talks.garbled-mt.txt"),
                   Settings(grammar=False, select=["ALL"], cache=False, min_confidence=0.0))
print("tagged" if any(f.code in ("MT121", "MT221") for f in report.findings) else "untagged")
print("torch" if "torch" in sys.modules else "no-torch")
"""


def test_a_check_does_not_import_torch(tmp_path):
    """The whole check, tagger included, runs without importing torch."""
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    out = subprocess.run([sys.executable, str(probe), str(ROOT / "fixtures")], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["tagged", "no-torch"], out.stdout


def test_mt205_leaves_a_paraphrase_the_tagger_reads_as_fluent(encoder):
    from mtcheck.detect.rules.support import UnsupportedWord

    pair = ("We are talking about an object you could crush down to half the area of Manhattan.",
            "What we are discussing is an object compressed to half the size of Manhattan.")
    off = context_from_texts(*pair, encoder=encoder, options={"MT205": {"min_tagger_probability": 0.0}})
    assert [f.text for f in UnsupportedWord().check(off)] == ["compressed"]
    assert list(UnsupportedWord().check(context_from_texts(*pair, encoder=encoder))) == []
