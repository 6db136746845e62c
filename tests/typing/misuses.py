"""Mistakes a type checker must catch; each line ending ``# error: TEXT`` must be an error.

Never run, only checked: ``test_public_types.py`` runs mypy on this file and expects an error
whose message contains TEXT on each marked line, and no other error. ``# error-pending: TEXT``
marks a check whose typing has not landed yet: a strict xfail, which fails the suite as soon
as mypy reports it (then make it ``# error:``).
"""

from __future__ import annotations

from galatea_async import AsyncGalatea, Order


async def typos(client: AsyncGalatea, order: Order) -> None:
    # status_group takes StatusGroup or its literal values.
    client.orders.list(status_group="compelted")  # error: "list" of "OrdersResource"
    await client.results.sync("mirror/", status_group="complete")  # error: "sync"
    # download_many's items: (order_id, result_type[, pdf_request_id]) or DownloadRequest.
    await client.results.download_many([(order.id,)], "out/")  # error: List item 0
    await client.results.download_many([(order.id, 3)], "out/")  # error: List item 0
    Order.from_dict(order)  # error: "from_dict" of "_JsonModel"
    await client.orders.get(12)  # error: "get" of "OrdersResource"
