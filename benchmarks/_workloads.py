"""The benchmark workloads: what is fetched, from which server, by which clients."""

from __future__ import annotations

import uuid

import attrs

MIB = 1024 * 1024
KIB = 1024

RESULT_TYPE = "SUMMARY_CHROMS"
# Fixed namespace so order ids (and so file names) are the same on every run and machine.
_NAMESPACE = uuid.UUID("6f1c1d4e-2b1a-4c55-9a43-7d0c3e1b9a01")

# Server kinds: "static" is nginx (or the fallback Python server), "throttled" is the Python
# server capping each response and adding latency, "listing" serves 10,000 orders.
STATIC = "static"
THROTTLED = "throttled"
LISTING = "listing"
DEMO = "demo"  # no server of ours: `galatea demo` serves its bundled emulator itself
SYNC = "sync"  # nginx serving saved listing pages and small result files (_sync_data.py)
IMPORTS = "imports"  # no server: the cost of importing a client library in a fresh process

# How the table names clients whose module name is not what a reader should see.
_DISPLAY = {
    "curl_parallel_sync": "curl_parallel+sync",
    "galatea_async_nofsync": "galatea_async fsync=False",
    "galatea_async_rerun": "galatea_async rerun (nothing to do)",
    "galatea_async_listing": "galatea_async listing alone",
    "rsync_dry_run": "rsync -a --dry-run",
    "galatea_async_without_httpx_cli": "galatea_async, httpx without its CLI (measured only)",
}


@attrs.frozen
class ClientRun:
    """One client at one concurrency; `name` picks the function in benchmarks/clients."""

    name: str
    # 0: the client's own choice (the vendor's sequential loop, galatea_async's page fetching).
    concurrency: int = 0

    @property
    def label(self) -> str:
        name = _DISPLAY.get(self.name, self.name)
        if self.concurrency == 0:
            return name
        return f"{name} c={self.concurrency}"


@attrs.frozen
class Workload:
    """A set of files (or orders) and the clients that fetch them."""

    name: str
    title: str
    server: str
    count: int
    size: int
    clients: tuple[ClientRun, ...]
    page_size: int = 100
    latency: float = 0.0
    bandwidth: int | None = None

    def order_ids(self) -> list[str]:
        """Return the deterministic order ids of this workload's files."""
        return [
            str(uuid.uuid5(_NAMESPACE, f"{self.name}-{self.size}-{i}")) for i in range(self.count)
        ]

    @property
    def total_bytes(self) -> int:
        return self.count * self.size


def _download_clients(concurrency: int) -> tuple[ClientRun, ...]:
    return (
        ClientRun("vendor_requests"),
        ClientRun("aiohttp_hand", concurrency),
        ClientRun("aiohttp_durable", concurrency),
        ClientRun("httpx_raw", concurrency),
        ClientRun("curl_parallel", concurrency),
        ClientRun("curl_parallel_sync", concurrency),
        ClientRun("galatea_async", concurrency),
        ClientRun("galatea_async_nofsync", concurrency),
    )


def _throttled_clients() -> tuple[ClientRun, ...]:
    return (
        ClientRun("vendor_requests"),
        ClientRun("galatea_async", 1),
        ClientRun("aiohttp_hand", 32),
        ClientRun("httpx_raw", 32),
        ClientRun("curl_parallel", 32),
        ClientRun("galatea_async", 32),
    )


def _listing_clients() -> tuple[ClientRun, ...]:
    return (ClientRun("vendor_requests"), ClientRun("galatea_async"))


def _sync_clients() -> tuple[ClientRun, ...]:
    return (
        ClientRun("aiohttp_hand", 8),
        ClientRun("aiohttp_durable", 8),
        ClientRun("galatea_async", 8),
        ClientRun("galatea_async_nofsync", 8),
        ClientRun("galatea_async_rerun", 8),
        # The rerun's baselines: what a nothing-to-do pass over the tree and the listing cost.
        ClientRun("rsync_dry_run"),
        ClientRun("galatea_async_listing"),
    )


def sync_scale(orders: int) -> Workload:
    """The sync workload at another size, for its first run's peak memory alone."""
    return Workload(
        "sync-scale",
        f"results.sync of {orders * 4:,} x 4 KiB ({orders:,} orders), first run",
        SYNC,
        orders,
        4 * KIB,
        clients=(ClientRun("galatea_async", 8),),
    )


def _import_clients() -> tuple[ClientRun, ...]:
    # The name is the module imported; aiohttp and httpx are what galatea_async builds on.
    return (
        ClientRun("aiohttp"),
        ClientRun("httpx"),
        ClientRun("galatea_async"),
        ClientRun("galatea_async_without_httpx_cli"),
    )


def _demo_clients() -> tuple[ClientRun, ...]:
    return (ClientRun("galatea_demo"),)


def workloads(*, quick: bool) -> list[Workload]:
    """Return every workload, scaled down to a smoke test when `quick`."""
    large = (16, 4 * MIB) if quick else (64, 16 * MIB)
    huge = (4, 32 * MIB) if quick else (8, 256 * MIB)
    small = (200, 8 * KIB) if quick else (2000, 8 * KIB)
    medium = (100, 256 * KIB) if quick else (1000, 256 * KIB)
    mb = (30, 1 * MIB) if quick else (300, 1 * MIB)
    throttled = (8, 1 * MIB) if quick else (32, 4 * MIB)
    orders = 1000 if quick else 10_000
    mirrored = 250 if quick else 5_000  # orders of four results each
    return [
        Workload(
            "large",
            f"{large[0]} x {large[1] // MIB} MiB",
            STATIC,
            *large,
            clients=_download_clients(8),
        ),
        Workload(
            "huge", f"{huge[0]} x {huge[1] // MIB} MiB", STATIC, *huge, clients=_download_clients(8)
        ),
        Workload(
            "small",
            f"{small[0]:,} x {small[1] // KIB} KiB",
            STATIC,
            *small,
            clients=_download_clients(32),
        ),
        Workload(
            "medium",
            f"{medium[0]:,} x {medium[1] // KIB} KiB",
            STATIC,
            *medium,
            clients=_download_clients(16),
        ),
        Workload(
            "mb",
            f"{mb[0]:,} x {mb[1] // MIB} MiB",
            STATIC,
            *mb,
            clients=_download_clients(16),
        ),
        Workload(
            "throttled",
            f"{throttled[0]} x {throttled[1] // MIB} MiB, 5 MiB/s per connection, 50 ms latency",
            THROTTLED,
            *throttled,
            clients=_throttled_clients(),
            latency=0.05,
            bandwidth=5 * MIB,
        ),
        Workload(
            "demo",
            "galatea demo (146 files, 46 MiB)",
            DEMO,
            146,
            0,
            clients=_demo_clients(),
        ),
        Workload(
            "sync",
            f"results.sync of {mirrored * 4:,} x 4 KiB ({mirrored:,} orders)",
            SYNC,
            mirrored,
            4 * KIB,
            clients=_sync_clients(),
        ),
        Workload(
            "imports",
            "import in a fresh process (seconds, peak RSS)",
            IMPORTS,
            1,
            0,
            clients=_import_clients(),
        ),
        Workload(
            "listing",
            f"list {orders:,} orders, page_size 100, 50 ms latency",
            LISTING,
            orders,
            0,
            clients=_listing_clients(),
            latency=0.05,
        ),
    ]
