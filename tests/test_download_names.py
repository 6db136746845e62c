from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from galatea_async._download._names import distinct_name, fallback_name, name_key, safe_filename
from galatea_async._enums import ResultType

FALLBACK = "order_SUMMARY_CHROMS.tsv"


def assert_harmless(name: str) -> None:
    assert name
    assert name not in (".", "..")
    assert "/" not in name
    assert "\\" not in name
    assert not any(unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in name)
    assert not name.startswith((".", " "))
    assert not name.endswith((".", " "))


# --- safe_filename -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("result.tsv", "result.tsv"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\x.dll", "x.dll"),
        ("a/b\\c", "c"),
        ("/absolute/path.txt", "path.txt"),
        ("C:\\Users\\x\\evil.tsv", "evil.tsv"),
        ("C:evil.tsv", "C_evil.tsv"),
        ("nul\x00byte.tsv", "nulbyte.tsv"),
        ("\x1b[31mred\x1b[0m.tsv", "[31mred[0m.tsv"),
        ("tab\there.tsv", "tabhere.tsv"),
        ("del\x7f.tsv", "del.tsv"),
        ("c1\x85\x9b.tsv", "c1.tsv"),
        ("\u202efdp.exe", "fdp.exe"),
        ("zero\u200bwidth.tsv", "zerowidth.tsv"),
        ('what<>:"|?*.tsv', "what_______.tsv"),
        (".hidden", "hidden"),
        ("...dots...", "dots"),
        ("  spaced  .tsv  ", "spaced  .tsv"),
        ("trailing.", "trailing"),
        ("cafe\u0301.tsv", "café.tsv"),  # NFC
        ("CONSOLE.txt", "CONSOLE.txt"),  # only the exact device names are reserved
        ("com10.txt", "com10.txt"),
        ("~", "~"),
    ],
)
def test_safe_filename_cleans_hostile_names(name: str, expected: str) -> None:
    result = safe_filename(name, fallback=FALLBACK)
    assert result == expected
    assert_harmless(result)


@pytest.mark.parametrize(
    "name",
    [
        None,
        "",
        ".",
        "..",
        "  ..  ",
        "...",
        "dir/",
        "../",
        "/",
        "\\",
        "\x00",
        "\u202e",
        "CON",
        "con",
        "nul.txt",
        "NUL.tar.gz",
        "Com1",
        "lpt9.log",
        "COM\u00b9",
        "aux .txt",
        "conout$",
    ],
)
def test_safe_filename_falls_back_when_nothing_usable_remains(name: str | None) -> None:
    assert safe_filename(name, fallback=FALLBACK) == FALLBACK


def test_safe_filename_sanitises_the_fallback_too() -> None:
    assert safe_filename(None, fallback="../x/../evil.tsv") == "evil.tsv"
    assert safe_filename("..", fallback="CON") == "download"
    assert safe_filename("", fallback="") == "download"


def test_long_name_is_truncated_keeping_the_extension() -> None:
    result = safe_filename("a" * 300 + ".tsv", fallback=FALLBACK)
    assert result == "a" * 251 + ".tsv"
    assert len(result.encode()) == 255


def test_long_multibyte_name_is_cut_on_a_character_boundary() -> None:
    result = safe_filename("\U0001f600" * 200 + ".tsv", fallback=FALLBACK)
    assert result.endswith(".tsv")
    assert len(result.encode("utf-8")) <= 255
    assert result[:-4] == "\U0001f600" * 62  # 62 * 4 bytes + 4 = 252


def test_long_name_with_a_huge_extension_is_cut_whole() -> None:
    result = safe_filename("a." + "b" * 400, fallback=FALLBACK)
    assert result == ("a." + "b" * 400)[:255]


def test_max_bytes_is_honoured_for_the_fallback() -> None:
    assert safe_filename(None, fallback="abcdef.tsv", max_bytes=8) == "abcd.tsv"
    assert len(safe_filename(None, fallback="x" * 100, max_bytes=3)) == 3


def test_max_bytes_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        safe_filename("a", fallback="b", max_bytes=0)


@settings(max_examples=300, deadline=None)
@given(name=st.one_of(st.none(), st.text()), fallback=st.text())
def test_safe_filename_always_lands_directly_inside_dest(name: str | None, fallback: str) -> None:
    result = safe_filename(name, fallback=fallback)
    assert_harmless(result)
    assert len(result.encode("utf-8")) <= 255
    dest = Path("/srv/downloads")
    assert (dest / result).parent == dest
    assert os.path.normpath(dest / result) == str(dest / result)


@settings(max_examples=200, deadline=None)
@given(
    name=st.text(alphabet=st.characters(codec="utf-8"), min_size=1),
    max_bytes=st.integers(1, 300),
)
def test_safe_filename_respects_any_byte_limit(name: str, max_bytes: int) -> None:
    result = safe_filename(name, fallback="fallback.bin", max_bytes=max_bytes)
    assert result
    assert len(result.encode("utf-8")) <= max_bytes


@settings(max_examples=100, deadline=None)
@given(name=st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9_. -]{0,60}[A-Za-z0-9_-]", fullmatch=True))
def test_ordinary_names_pass_unchanged(name: str) -> None:
    stem = name.split(".", 1)[0].rstrip(" ").casefold()
    if stem in {"con", "prn", "aux", "nul"} or (stem[:3] in {"com", "lpt"} and len(stem) == 4):
        return
    assert safe_filename(name, fallback=FALLBACK) == name


# --- fallback_name -----------------------------------------------------------------------


def test_fallback_name_uses_the_result_type_extension() -> None:
    assert fallback_name("o1", ResultType.SUMMARY_CHROMS) == "o1_SUMMARY_CHROMS.tsv"
    assert fallback_name("o1", "DETAILED_SUPERSET") == "o1_DETAILED_SUPERSET.zip"
    assert fallback_name("o1", ResultType("SOMETHING_NEW")) == "o1_SOMETHING_NEW.bin"


def test_fallback_name_for_a_pdf_report_names_the_request() -> None:
    assert fallback_name("o1", ResultType.PDF_REPORT, pdf_request_id="r9") == "o1_PDF_REPORT_r9.pdf"


@settings(max_examples=1000, deadline=None)
@given(
    name=st.text(alphabet=st.sampled_from("aZ09_+-. ./\\:CONnul1é\x00"), max_size=12),
    max_bytes=st.integers(min_value=1, max_value=12),
)
def test_the_fast_path_agrees_with_the_full_cleaning(name: str, max_bytes: int) -> None:
    from galatea_async._download import _names

    fast = safe_filename(name, fallback=FALLBACK, max_bytes=max_bytes)
    plainly_safe = _names._is_plainly_safe
    _names._is_plainly_safe = lambda name, max_bytes: False  # type: ignore[assignment]
    try:
        full = safe_filename(name, fallback=FALLBACK, max_bytes=max_bytes)
    finally:
        _names._is_plainly_safe = plainly_safe
    assert fast == full


# --- distinct_name and name_key -------------------------------------------------------------


def test_a_distinct_name_carries_the_tag_before_the_extension() -> None:
    assert distinct_name("Report.tsv", "SUMMARY_CHROMS-1a2b3c4d") == (
        "Report.SUMMARY_CHROMS-1a2b3c4d.tsv"
    )
    assert distinct_name("archive", "X-00") == "archive.X-00"


@given(st.text(min_size=1, max_size=400), st.sampled_from(["A-1", "A-2", "B-1"]))
@settings(max_examples=200)
def test_distinct_names_of_one_name_stay_distinct_and_within_255_bytes(raw: str, tag: str) -> None:
    name = safe_filename(raw, fallback=FALLBACK)
    made = {t: distinct_name(name, t) for t in ("A-1", "A-2", "B-1")}
    assert len(set(made.values())) == 3
    assert_harmless(made[tag])
    assert len(made[tag].encode("utf-8")) <= 255


def test_names_equal_in_their_first_255_bytes_get_distinct_names() -> None:
    one = safe_filename("a" * 300 + "-one.tsv", fallback=FALLBACK)
    two = safe_filename("a" * 300 + "-two.tsv", fallback=FALLBACK)
    assert one == two  # the cut makes them one name...
    assert distinct_name(two, "DETAILED_CHROMS-0f0f0f0f") != one  # ...and the tag two again
    assert len(distinct_name(two, "DETAILED_CHROMS-0f0f0f0f").encode()) <= 255


def test_names_that_are_one_file_somewhere_have_one_key() -> None:
    nfc, nfd = (unicodedata.normalize(form, "résumé.tsv") for form in ("NFC", "NFD"))
    assert name_key(nfc) == name_key(nfd)
    assert name_key("Report.tsv") == name_key("REPORT.TSV")
    assert name_key("a.tsv") != name_key("b.tsv")
