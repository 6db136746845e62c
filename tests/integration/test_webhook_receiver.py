"""The README's webhook receiver, fed by the emulator's signed deliveries over real TCP."""

from __future__ import annotations

import httpx

from examples.webhook_receiver import create_app
from galatea_async import AsyncGalatea, FileStatus, Order, SourceFile, webhooks
from galatea_async.emulator import Emulator
from galatea_async.emulator._serve import serve_app
from tests.conftest import make_transport


async def test_signed_deliveries_are_verified_and_trigger_a_fetch(
    emulator: Emulator, emulator_url: str, transport_kind: str
) -> None:
    async with AsyncGalatea(
        api_key=emulator.api_key, base_url=emulator_url, transport=make_transport(transport_kind)
    ) as client:
        app = create_app(
            client,
            secret=["an-old-secret-being-rotated", emulator.webhooks_secret],
            sender_host=emulator.sender_host,
        )
        async with serve_app(app) as receiver_url:
            emulator.set_webhook_urls([f"{receiver_url}/galatea/webhook"])
            genotype = b"rsid\tchromosome\tposition\tgenotype\n" + b"rs1\t1\t100\tAA\n" * 50
            uploaded = await client.files.upload(genotype, filename="hook.txt")
            emulator.clock.advance(600)
            deliveries = await emulator.deliver_pending_webhooks()
            order_id = emulator.add_order(status="Running")
            emulator.clock.advance(3600)
            deliveries += await emulator.deliver_pending_webhooks()

            # A forged delivery and a tampered one are refused.
            async with httpx.AsyncClient() as raw:
                forged = await raw.post(
                    f"{receiver_url}/galatea/webhook",
                    content=b'{"order_id": "x"}',
                    headers={webhooks.WEBHOOK_SIGNATURE_HEADER: "AAAA"},
                )
                body = (
                    b'{"source_file_id": "%s", "new_status": "VALID", "source_file_name": "x"}'
                    % uploaded.id.encode()
                )
                good = webhooks.sign(
                    body, secret=emulator.webhooks_secret, sender_host=emulator.sender_host
                )
                tampered = await raw.post(
                    f"{receiver_url}/galatea/webhook",
                    content=body.replace(b"VALID", b"FAILED"),
                    headers={webhooks.WEBHOOK_SIGNATURE_HEADER: good},
                )
    assert forged.status_code == 401 and tampered.status_code == 401
    assert deliveries and all(d.status_code == 200 for d in deliveries)
    seen = app.state.seen
    files = [item for item in seen if isinstance(item, SourceFile)]
    orders = [item for item in seen if isinstance(item, Order)]
    assert [f.id for f in files] == [uploaded.id] and files[0].status == FileStatus.VALID
    assert order_id in [o.id for o in orders]
