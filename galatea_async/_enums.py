"""The API's value sets as ``str`` enums that also load values the server invents later."""

from __future__ import annotations

import enum
import functools
import re
from typing import Any, Literal, TypeVar

__all__ = [
    "FINAL_ORDER_STATUSES",
    "RESULT_TYPE_EXTENSIONS",
    "FileStatus",
    "GenomeType",
    "OrderStatus",
    "OrderStatusValue",
    "PdfReportType",
    "PdfReportTypeValue",
    "ResultType",
    "StatusGroup",
    "StatusGroupValue",
]

_E = TypeVar("_E", bound="OpenStrEnum")

# How much of a refused argument an error message repeats.
_SHOWN_LENGTH = 60


class OpenStrEnum(str, enum.Enum):
    """A ``str`` enum whose unknown values load as extra members instead of failing.

    Lookups also match case-insensitively, since the API spells a status ``Completed`` in
    listings and ``COMPLETED`` in webhooks.
    """

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        folded = value.casefold()
        for member in cls:
            if member.value.casefold() == folded:
                return member
        # An unknown value: make (and cache) a pseudo-member so it round-trips unchanged.
        pseudo = str.__new__(cls, value)
        pseudo._name_ = value.upper().replace(" ", "_")
        pseudo._value_ = value
        return cls._value2member_map_.setdefault(value, pseudo)

    @classmethod
    def is_known(cls, value: object) -> bool:
        """Whether ``value`` is one of the members the reference documents."""
        return any(member.value == value for member in cls.__members__.values())

    @classmethod
    def known_values(cls: type[_E]) -> list[str]:
        """The documented values, for error messages."""
        return [member.value for member in cls.__members__.values()]

    @classmethod
    def from_caller(cls: type[_E], value: object, parameter: str) -> _E:
        """The documented member a caller's argument names: a member, or its value in any case.

        Values the server invents load as extra members, but a value the caller passes must be
        one the API documents, or the request would ask for something nobody answers: anything
        else (an extra member such as ``StatusGroup("bogus")`` included) is a ``ValueError``
        naming ``parameter`` and the documented values.
        """
        by_folded_value: dict[str, _E] = _documented_by_folded_value(cls)
        if isinstance(value, cls):
            if by_folded_value.get(value._value_.casefold()) is value:
                return value
        elif isinstance(value, str):
            member = by_folded_value.get(value.strip().casefold())
            if member is not None:
                return member
        shown = repr(value.value if isinstance(value, cls) else value)
        if len(shown) > _SHOWN_LENGTH:
            shown = shown[: _SHOWN_LENGTH - 3] + "..."
        kind = re.sub(r"(?<!^)(?=[A-Z])", " ", cls.__name__).lower()
        raise ValueError(
            f"{parameter} {shown} is not a known {kind}; use a {cls.__name__} member or one of: "
            + ", ".join(cls.known_values())
        )


@functools.cache
def _documented_by_folded_value(kind: type[_E]) -> dict[str, _E]:
    """The documented members of ``kind`` by their case-folded value (the first of equals)."""
    by_folded_value: dict[str, _E] = {}
    for member in kind.__members__.values():
        by_folded_value.setdefault(member._value_.casefold(), member)
    return by_folded_value


class ResultType(OpenStrEnum):
    """A kind of result file an order produces.

    :cvar SUMMARY_CHROMS: Summary set of chromosomes, a TSV file.
    :cvar SUMMARY_SUPERSET: Summary superset of labels, a TSV file.
    :cvar DETAILED_CHROMS: Detailed set of labels by chromosome.
    :cvar DETAILED_SUPERSET: Detailed superset of labels by chromosome, a ZIP archive.
    :cvar EXEC_ERRORS: The errors met while processing the data, for a failed order.
    :cvar PDF_REPORT: The generated PDF reports in a ZIP archive; with ``pdf_request_id``, one
        report.
    :cvar PRS_JSON_DATA: PRS data in JSON files per report type, a ZIP archive.
    :cvar PRS_IMAGES: PRS diagrams as PNG for high-risk items, a ZIP archive.
    :cvar WHOLE_RESULT: Every result file of the order in one ZIP archive.
    :cvar CHROMS_SVG: The chromosome painting as an SVG picture.
    :cvar PRS_DATA: PRS data, a ZIP archive.
    :cvar PRS_TECH_DATA: PRS technical data, a ZIP archive.
    :cvar PRS_QC: PRS quality-control data, a ZIP archive.
    :cvar UNKNOWN: A result the server itself does not classify.
    """

    SUMMARY_CHROMS = "SUMMARY_CHROMS"
    SUMMARY_SUPERSET = "SUMMARY_SUPERSET"
    DETAILED_CHROMS = "DETAILED_CHROMS"
    DETAILED_SUPERSET = "DETAILED_SUPERSET"
    EXEC_ERRORS = "EXEC_ERRORS"
    PDF_REPORT = "PDF_REPORT"
    PRS_JSON_DATA = "PRS_JSON_DATA"
    PRS_IMAGES = "PRS_IMAGES"
    WHOLE_RESULT = "WHOLE_RESULT"
    CHROMS_SVG = "CHROMS_SVG"
    PRS_DATA = "PRS_DATA"
    PRS_TECH_DATA = "PRS_TECH_DATA"
    PRS_QC = "PRS_QC"
    UNKNOWN = "UNKNOWN"


class OrderStatus(OpenStrEnum):
    """An order's status, as ``GET exec/orders`` spells it.

    :cvar REGISTERED: ``"Registered"``: accepted, not yet prepared; it can still be cancelled.
    :cvar PREPARING: ``"Preparing"``: its input is being prepared.
    :cvar SUBMITTED: ``"Submitted"``: queued for the model; it can still be cancelled.
    :cvar RUNNING: ``"Running"``: the model is running.
    :cvar MODEL_COMPLETED: ``"Model completed"``: the model finished; reports are next.
    :cvar MAKING_REPORT: ``"Making report"``: reports are being generated.
    :cvar COLLECTING_REPORT_RESULTS: ``"Collecting report results"``: the reports' results are
        being gathered.
    :cvar COMPLETED: ``"Completed"``, final: its results can be downloaded.
    :cvar FAILED: ``"Failed"``, final: processing failed (``EXEC_ERRORS`` may explain why).
    :cvar CANCELING: ``"Canceling"``: a cancellation is under way.
    :cvar CANCELED: ``"Canceled"``, final: it was cancelled.
    :cvar REPORTS_FAILED: ``"Reports failed"``, final: the model ran but its reports failed.
    :cvar QC_FAILED: ``"QC failed"``, final: the input failed quality control.
    """

    REGISTERED = "Registered"
    PREPARING = "Preparing"
    SUBMITTED = "Submitted"
    RUNNING = "Running"
    MODEL_COMPLETED = "Model completed"
    MAKING_REPORT = "Making report"
    COLLECTING_REPORT_RESULTS = "Collecting report results"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELING = "Canceling"
    CANCELED = "Canceled"
    REPORTS_FAILED = "Reports failed"
    QC_FAILED = "QC failed"


class StatusGroup(OpenStrEnum):
    """The ``status_group`` filter of ``GET exec/orders``.

    :cvar INITIALIZING: ``"initializing"``: orders not yet running (registered, preparing,
        submitted).
    :cvar RUNNING: ``"running"``: orders being processed.
    :cvar COMPLETED: ``"completed"``: orders that completed.
    :cvar FAILED: ``"failed"``: orders that ended without results.
    """

    INITIALIZING = "initializing"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class FileStatus(OpenStrEnum):
    """A source file's validation status.

    :cvar PENDING: Validation has not finished (it takes 2 to 5 minutes).
    :cvar VALID: Validated: the file can be ordered.
    :cvar NOT_VALID: The file is not a usable genome file (``check_information`` says why).
    :cvar FAILED: Validation itself failed.
    """

    PENDING = "PENDING"
    VALID = "VALID"
    NOT_VALID = "NOT_VALID"
    FAILED = "FAILED"


class PdfReportType(OpenStrEnum):
    """A PRS PDF report an order can ask for.

    :cvar PRS_RUO_CARDIO: Cardiovascular polygenic risk, research use only.
    :cvar PRS_RUO_CANCER: Cancer polygenic risk, research use only (needs ``sex``).
    :cvar PRS_CLINICAL_CARDIO: Cardiovascular polygenic risk, clinical.
    :cvar PRS_CLINICAL_CANCER: Cancer polygenic risk, clinical (needs ``sex``).
    """

    PRS_RUO_CARDIO = "PRS_RUO_CARDIO"
    PRS_RUO_CANCER = "PRS_RUO_CANCER"
    PRS_CLINICAL_CARDIO = "PRS_CLINICAL_CARDIO"
    PRS_CLINICAL_CANCER = "PRS_CLINICAL_CANCER"


class GenomeType(OpenStrEnum):
    """The kind of genome a file or order holds.

    :cvar GNT: Genotyping array data.
    :cvar WGS: Whole-genome sequencing data.
    :cvar EXTERNAL: Data from an external source.
    """

    GNT = "GNT"
    WGS = "WGS"
    EXTERNAL = "EXTERNAL"


FINAL_ORDER_STATUSES = frozenset(
    {
        OrderStatus.COMPLETED,
        OrderStatus.FAILED,
        OrderStatus.CANCELED,
        OrderStatus.REPORTS_FAILED,
        OrderStatus.QC_FAILED,
    }
)

CANCER_REPORT_TYPES = frozenset({PdfReportType.PRS_RUO_CANCER, PdfReportType.PRS_CLINICAL_CANCER})

# The file extension of each result type, for a fallback name when the server sends none.
RESULT_TYPE_EXTENSIONS: dict[str, str] = {
    ResultType.SUMMARY_CHROMS: ".tsv",
    ResultType.SUMMARY_SUPERSET: ".tsv",
    ResultType.DETAILED_CHROMS: ".tsv",
    ResultType.DETAILED_SUPERSET: ".zip",
    ResultType.EXEC_ERRORS: ".txt",
    ResultType.PDF_REPORT: ".zip",
    ResultType.PRS_JSON_DATA: ".zip",
    ResultType.PRS_IMAGES: ".zip",
    ResultType.WHOLE_RESULT: ".zip",
    ResultType.CHROMS_SVG: ".svg",
    ResultType.PRS_DATA: ".zip",
    ResultType.PRS_TECH_DATA: ".zip",
    ResultType.PRS_QC: ".zip",
}


# The documented values as literal types, for parameters that take a member or its value:
# `status_group="completed"` type-checks, `status_group="complete"` does not.
StatusGroupValue = Literal["initializing", "running", "completed", "failed"]
OrderStatusValue = Literal[
    "Registered",
    "Preparing",
    "Submitted",
    "Running",
    "Model completed",
    "Making report",
    "Collecting report results",
    "Completed",
    "Failed",
    "Canceling",
    "Canceled",
    "Reports failed",
    "QC failed",
]
PdfReportTypeValue = Literal[
    "PRS_RUO_CARDIO", "PRS_RUO_CANCER", "PRS_CLINICAL_CARDIO", "PRS_CLINICAL_CANCER"
]
