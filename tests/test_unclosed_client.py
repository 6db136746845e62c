"""A client dropped while open warns once, in our words, and aiohttp says nothing."""

from __future__ import annotations

import gc
import logging
import warnings

import pytest

from galatea_async import AsyncGalatea
from galatea_async.emulator import Emulator

pytestmark = pytest.mark.usefixtures("transport_kind")


async def _drop_an_open_client(emulator: Emulator, emulator_url: str) -> list[str]:
    """What dropping an open client warns: category, message and the file it points at."""
    client = AsyncGalatea(api_key=emulator.api_key, base_url=emulator_url)
    await client.users.me()  # a pooled connection is open now
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del client
        gc.collect()
    return [f"{w.category.__name__}: {w.message} @ {w.filename}" for w in caught]


async def test_an_unclosed_client_gives_one_resource_warning_of_ours(
    emulator: Emulator, emulator_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    shown = await _drop_an_open_client(emulator, emulator_url)
    assert len(shown) == 1, shown
    assert shown[0].startswith("ResourceWarning: ")
    assert "AsyncGalatea" in shown[0]
    assert "aclose()" in shown[0] and "async with" in shown[0]
    assert shown[0].endswith(f"@ {__file__}")  # the line that built the client
    gc.collect()
    logged = caplog.text.lower()
    assert "unclosed" not in logged
    assert "connector" not in logged


async def test_a_closed_client_gives_no_warning(emulator: Emulator, emulator_url: str) -> None:
    client = AsyncGalatea(api_key=emulator.api_key, base_url=emulator_url)
    await client.users.me()
    await client.aclose()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del client
        gc.collect()
    assert [str(w.message) for w in caught] == []


def test_a_client_refused_at_construction_gives_no_warning() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="api_key is empty"):
            AsyncGalatea(api_key="")
        gc.collect()
    assert [str(w.message) for w in caught] == []


async def test_closing_a_view_leaves_the_client_to_be_closed(
    emulator: Emulator, emulator_url: str
) -> None:
    client = AsyncGalatea(api_key=emulator.api_key, base_url=emulator_url)
    view = client.with_options(max_retries=0)
    await view.users.me()
    await view.aclose()
    del view
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del client
        gc.collect()
    assert [w.category for w in caught] == [ResourceWarning]
