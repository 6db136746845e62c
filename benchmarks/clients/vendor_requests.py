"""The vendor client's way: `requests.get(...).content` into memory, one file at a time.

Mirrors `octopod_wrapper`'s `download_result_file` (a `BytesIO` of the whole body and the name
split out of Content-Disposition) followed by the caller writing the bytes to disk; listing walks
`page=1, 2, ...` one request at a time.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import requests

from benchmarks.clients import Spec


def download(spec: Spec) -> None:
    dest = Path(spec.dest)
    for order_id in spec.order_ids:
        response = requests.get(spec.url(order_id), headers=spec.auth, timeout=600)
        response.raise_for_status()
        name = response.headers["content-disposition"].split("; ")[1].split("=")[1]
        content = BytesIO(response.content)
        with open(dest / Path(name.replace('"', "")).name, "wb") as handle:
            handle.write(content.getvalue())


def list_orders(spec: Spec) -> int:
    seen = 0
    page = 1
    for _ in range(1_000_000):  # bounded: stops at the last page
        response = requests.get(
            f"{spec.base_url}/api/v1/exec/orders",
            params={"page": page, "page_size": spec.page_size},
            headers=spec.auth,
            timeout=60,
        )
        response.raise_for_status()
        body = response.json()
        seen += len(body["results"])
        if not body.get("next"):
            break
        page += 1
    return seen
