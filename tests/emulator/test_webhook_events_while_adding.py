"""Webhook events are collected from a snapshot: a plain test adds files and orders from its
own thread while the served emulator's thread collects them."""

from __future__ import annotations

import pytest

from galatea_async.emulator import Emulator
from galatea_async.emulator._webhooks import collect_events


def test_files_and_orders_added_while_collecting_are_left_for_the_next_round(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = emulator.add_file("first.txt", status=None)
    emulator.clock.advance(3600)
    reading = emulator.state.file_status
    added: list[bool] = []

    def status_while_another_thread_adds(record: object) -> str:
        if not added:  # what the test's thread does between two steps of the loop
            added.append(True)
            emulator.add_file("second.txt", status=None)
            emulator.add_order(status="Running")
        return reading(record)  # type: ignore[arg-type]

    monkeypatch.setattr(emulator.state, "file_status", status_while_another_thread_adds)
    events = collect_events(emulator.state)
    assert [event["source_file_id"] for event in events] == [first["id"]]
