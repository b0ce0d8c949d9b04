"""Reading input: exact text, BOM, and every bad-input case refused with one line."""

import pytest

from mtcheck.read import InputError, decode, read_document, read_pair
from mtcheck.settings import MAX_INPUT_BYTES


def test_text_kept_exactly_and_bom_removed(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes("\ufeffKyiv — “quoted”\r\nsecond line 🙂\n".encode("utf-8"))
    doc = read_document(str(p))
    assert doc.text == "Kyiv — “quoted”\r\nsecond line 🙂\n"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "file is empty"),
        (b"  \n\t\n", "only whitespace"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("caf\u00e9 au lait".encode("latin-1"), "not valid UTF-8"),
        (bytes(range(1, 32)) * 4, "binary"),
    ],
)
def test_bad_content_refused(data, message):
    with pytest.raises(InputError) as err:
        decode(data, "x.txt")
    assert message in str(err.value)
    assert str(err.value).startswith("x.txt: ")
    assert "\n" not in str(err.value)


def test_missing_directory_and_huge(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_document(str(tmp_path / "nope.txt"))
    with pytest.raises(InputError, match="is a directory"):
        read_document(str(tmp_path))
    big = tmp_path / "big.txt"
    big.write_bytes(b"word " * (MAX_INPUT_BYTES // 5 + 1))
    with pytest.raises(InputError, match="limit"):
        read_document(str(big))


def test_same_file_twice_refused(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("Hello.")
    with pytest.raises(InputError, match="same file"):
        read_pair(str(p), str(tmp_path / "." / "a.txt"))
    with pytest.raises(InputError, match="one side only"):
        read_pair("-", "-")
