"""``/_emulator/webhooks``: where a running emulator sends its webhooks, and how they went."""

from __future__ import annotations

import httpx

from galatea_async.emulator import Emulator


async def test_webhook_urls_are_set_shown_and_their_deliveries_listed(emulator: Emulator) -> None:
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as control:
        pointed = await control.post(
            "/_emulator/webhooks", json={"urls": ["http://127.0.0.1:9/nothing-listens"]}
        )
        assert pointed.status_code == 200
        assert emulator.webhook_urls == ["http://127.0.0.1:9/nothing-listens"]
        upload = emulator.add_file("g.txt", status=None)
        emulator.clock.advance(3600)
        await emulator.deliver_pending_webhooks()
        shown = (await control.get("/_emulator/webhooks")).json()
    assert shown["urls"] == ["http://127.0.0.1:9/nothing-listens"]
    assert shown["sender_host"] == "api.galatea.bio"
    [delivery] = shown["latest_deliveries"]
    assert delivery["url"] == "http://127.0.0.1:9/nothing-listens"
    assert delivery["status_code"] is None
    assert delivery["error"] == "ConnectError"
    assert delivery["event"]["source_file_id"] == upload["id"]


async def test_a_body_without_a_list_of_http_urls_is_refused(emulator: Emulator) -> None:
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as control:
        for body in ({}, {"urls": "http://a"}, {"urls": [3]}, {"urls": ["not a url"]}):
            refused = await control.post("/_emulator/webhooks", json=body)
            assert refused.status_code == 400, body
            assert refused.json()["detail"].startswith("urls: ")
    assert emulator.webhook_urls == []
