"""The one-match reading of a plain ``Content-Disposition`` gives what the full scan gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from galatea_async._http._headers import (
    _SIMPLE_DISPOSITION,
    _decode_extended_value,
    _parse_parameters,
    parse_content_disposition,
)


def _scanned(value: str) -> str | None:
    params = _parse_parameters(value)
    extended = params.get("filename*")
    if extended is not None and (decoded := _decode_extended_value(extended)):
        return decoded
    return params.get("filename") or None


_blank = st.text(alphabet=" \t", max_size=2)
_simple = st.builds(
    "".join,
    st.tuples(
        _blank,
        st.sampled_from(["attachment", "inline", "", "Attachment", "x-y"]),
        _blank,
        st.sampled_from([";", ""]),
        _blank,
        st.sampled_from(["filename", "FileName"]),
        _blank,
        st.just("="),
        _blank,
        st.text(alphabet="ab .;=\"\\é*'%", max_size=12).map(lambda name: f'"{name}"'),
        _blank,
    ),
)


@settings(max_examples=1000, deadline=None)
@given(_simple | st.text(alphabet="ab ;=\"\\*'%\tfilenm", max_size=30))
def test_the_simple_form_reads_as_the_full_scan_reads_it(value: str) -> None:
    assert parse_content_disposition(value) == _scanned(value)


def test_the_usual_header_takes_the_one_match() -> None:
    value = 'attachment; filename="0f0e_SUMMARY_CHROMS.tsv"'
    assert _SIMPLE_DISPOSITION.fullmatch(value) is not None
    assert parse_content_disposition(value) == "0f0e_SUMMARY_CHROMS.tsv"
