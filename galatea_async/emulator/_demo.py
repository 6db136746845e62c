"""The demo world behind ``Emulator.demo()``: a lab with files, tags and 30+ orders."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from galatea_async._enums import FileStatus, OrderStatus, PdfReportType, ResultType
from galatea_async.emulator import _lifecycle

if TYPE_CHECKING:
    from galatea_async.emulator._emulator import Emulator

__all__ = ["DEMO_API_KEY", "DEMO_EMAIL", "DEMO_PASSWORD", "seed_demo"]

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password"  # noqa: S105  (published demo credentials of a local emulator)
DEMO_API_KEY = "demo-api-key-0123456789abcdef"
_SEED = 20250701
_MODELS = [
    "ancestry data model one",
    "ancestry data model two",
    "ancestry pdf model",
    "prs ruo model",
    "prs clinical model",
]
_VCF = (
    b"##fileformat=VCFv4.2\n##source=galatea-emulator-demo\n"
    b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tHG002\n"
    + b"".join(
        b"%d\t%d\trs%d\tA\tG\t50\tPASS\t.\tGT\t0/1\n" % (c, 10_000 * c, 1000 + c)
        for c in range(1, 23)
    )
)


def seed_demo(cls: type[Emulator], *, time_scale: float | None, **options: Any) -> Emulator:
    """Build the demo emulator (same files, orders and sizes on every run)."""
    settings: dict[str, Any] = {
        "email": DEMO_EMAIL,
        "password": DEMO_PASSWORD,
        "api_key": DEMO_API_KEY,
        "organization_name": "Demo Lab",
        "seed": _SEED,
    }
    settings.update(options)
    emulator = cls(time_scale=time_scale, **settings)
    rng = random.Random(_SEED)
    now = emulator.clock.now()  # one instant for the whole world, however fast the clock runs
    tags = [emulator.add_tag(name) for name in ("Cohort A", "Research", "Priority")]
    files = _seed_files(emulator, rng, now)
    _seed_completed_orders(emulator, rng, now, files, tags)
    _seed_orders_in_flight(emulator, now, files, tags)
    return emulator


def _seed_files(emulator: Emulator, rng: random.Random, now: datetime) -> list[str]:
    """Seven generated genotype files, a VCF and a file that is not genotype data."""
    files = []
    for number in range(1, 8):
        created = now - timedelta(days=40 - number * 4, hours=rng.randint(0, 20))
        size = rng.choice([6_000, 24_000, 96_000, 250_000])
        files.append(
            emulator.add_file(
                f"demo-sample-{number:02d}.txt",
                size=size,
                created_at=created,
                sample_alias=f"DS{number:02d}",
            )["id"]
        )
    files.append(emulator.add_file("HG002.vcf", _VCF, created_at=now - timedelta(days=3))["id"])
    emulator.add_file(
        "notes-not-a-genotype.txt",
        b"meeting notes, not genotype data\n",
        status=FileStatus.NOT_VALID,
        created_at=now - timedelta(days=2),
    )
    return files


def _seed_completed_orders(
    emulator: Emulator, rng: random.Random, now: datetime, files: list[str], tags: list[str]
) -> None:
    """32 completed orders over every model, with reports and results of mixed sizes."""
    bytes_left = 48 * 1024 * 1024  # keeps the whole demo download around 60 MiB at most
    for index in range(32):
        model = _MODELS[index % len(_MODELS)]
        report_types: list[str] = []
        metadata: dict[str, Any] | None = None
        if model == "ancestry pdf model":
            metadata = {"patient_name": f"Demo Patient {index + 1}"}
        elif model in _lifecycle.PRS_MODELS:
            allowed = list(_lifecycle.MODELS[model][3])
            report_types = rng.sample(allowed, k=min(2, len(allowed)))
            if any(
                t in (PdfReportType.PRS_RUO_CANCER, PdfReportType.PRS_CLINICAL_CANCER)
                for t in report_types
            ):
                metadata = {"sex": rng.choice(["Female", "Male"]), "dob": "1980-05-17"}
        results = _lifecycle.model_result_types(model)
        big = rng.choice([r for r in results if r != ResultType.PDF_REPORT])
        size = min(rng.choice([48, 160, 512, 1024, 2048, 3072]) * 1024, bytes_left)
        bytes_left -= size
        emulator.add_order(
            files[index % len(files)],
            model=model,
            status=OrderStatus.COMPLETED,
            result_sizes={big: size} if size > 0 else None,
            pdf_report_types=report_types,
            pdf_metadata=metadata,
            tags=[tags[index % 3]] if index % 4 else [],
            created_at=now - timedelta(days=30 - index * 0.8, minutes=rng.randint(0, 600)),
        )


def _seed_orders_in_flight(
    emulator: Emulator, now: datetime, files: list[str], tags: list[str]
) -> None:
    """One running and one registered order that hold still, one failed, one QC failed."""
    # The seeded in-flight orders stay where they are, so the demo world holds still while
    # it is explored (and tested); orders submitted during the demo move with the clock.
    running = emulator.add_order(
        files[0], model=_MODELS[0], status=OrderStatus.RUNNING, tags=[tags[2]]
    )
    emulator.set_order_status(running, OrderStatus.RUNNING)
    waiting = emulator.add_order(
        files[1],
        model=_MODELS[3],
        status=OrderStatus.REGISTERED,
        pdf_report_types=[PdfReportType.PRS_RUO_CARDIO],
    )
    emulator.set_order_status(waiting, OrderStatus.REGISTERED)
    emulator.add_order(
        files[2], model=_MODELS[1], status=OrderStatus.FAILED, created_at=now - timedelta(days=5)
    )
    emulator.add_order(
        files[3], model=_MODELS[0], status=OrderStatus.QC_FAILED, created_at=now - timedelta(days=4)
    )
