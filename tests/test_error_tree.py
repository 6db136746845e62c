"""Every exception the package exports sits in ``errors.py``'s drawn tree, named for its cause."""

from __future__ import annotations

import re

import pytest

import galatea_async
from galatea_async import errors
from galatea_async._upload import check_reported_size


def _exported_errors() -> list[type[BaseException]]:
    return [
        value
        for name in galatea_async.__all__
        if isinstance(value := getattr(galatea_async, name), type)
        and issubclass(value, errors.GalateaError)
    ]


def test_every_exported_error_is_defined_in_errors_and_drawn_in_its_tree() -> None:
    drawn = set(re.findall(r"(?:[├└]── |^    )(\w+Error)\b", errors.__doc__ or "", re.M))
    exported = _exported_errors()
    assert len(exported) > 20  # the whole tree, not an empty loop
    for error in exported:
        assert error.__module__ == "galatea_async.errors", error
        assert error.__name__ in errors.__all__, error
        assert error.__name__ in drawn, error


def test_reported_upload_size_mismatch_is_a_size_mismatch_error() -> None:
    with pytest.raises(errors.SizeMismatchError) as caught:
        check_reported_size(10, 12, name="a.vcf", file_id="file-1")
    assert isinstance(caught.value, errors.ChecksumMismatchError)  # as documented for sizes
    assert (caught.value.expected, caught.value.actual) == (12, 10)


def test_a_file_changing_on_the_server_has_its_own_name_and_is_still_caught_as_before() -> None:
    # It was raised as a plain APIConnectionError; code catching that still catches it.
    assert issubclass(errors.RemoteFileChangedError, errors.APIConnectionError)
