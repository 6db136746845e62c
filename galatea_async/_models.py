"""The API's objects as frozen, slotted attrs classes.

Field names are the API's. Fields the server adds later are kept in ``.extra`` and never break
loading; secrets and patient fields are left out of ``repr``. Every model turns into JSON-ready
data with ``to_dict()`` / ``to_json()`` and back with ``Model.from_dict()`` (through the one
converter, ``galatea_async._converter``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, TypeVar

import attrs

from galatea_async._enums import (
    FINAL_ORDER_STATUSES,
    FileStatus,
    GenomeType,
    OrderStatus,
    PdfReportType,
    ResultType,
)

__all__ = [
    "Order",
    "Organization",
    "OrganizationModel",
    "PdfMetadata",
    "PdfReport",
    "SourceFile",
    "Tag",
    "Tokens",
    "User",
]


_M = TypeVar("_M", bound="_JsonModel")


class _JsonModel:
    """What every model can do: become JSON-ready data and come back from it."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """The model as the API's JSON: ids as text, timestamps ISO 8601, enums as their values.

        Fields the server sent beyond the documented ones (``.extra``) are included, so
        ``type(model).from_dict(model.to_dict())`` gives the model back. Secrets and patient
        fields are included too: they are left out of ``repr``, not out of the data.
        """
        from galatea_async._converter import unstructure

        data: dict[str, Any] = unstructure(self)
        return data

    def to_json(self, *, indent: int | None = None) -> str:
        """``to_dict()`` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls: type[_M], data: Mapping[str, Any]) -> _M:
        """The model from JSON-ready data (``to_dict()``'s, or the API's own JSON).

        ``ValueError`` names the field that does not fit (``Order.started_at``), never its
        value.
        """
        from galatea_async._converter import load

        return load(data, cls)


# ``extra`` holds whatever the server sent beyond the documented fields. It stays out of repr:
# an undocumented field may well be a secret or a patient detail.
def _extra() -> Any:
    return attrs.field(factory=dict, repr=False, eq=False, kw_only=True)


@attrs.frozen
class Tokens(_JsonModel):
    """Tokens from ``POST users/auth`` or ``users/refresh``; never shown in ``repr``.

    :ivar access: The short-lived access token sent as ``Authorization: Bearer``.
    :ivar refresh: The token that gets a new access token (``users/refresh``).
    :ivar websocket_access: The token for the API's websocket, which the SDK does not use.
    :ivar extra: Fields the server sent beyond these, by their JSON names.
    """

    access: str = attrs.field(repr=False)
    refresh: str | None = attrs.field(default=None, repr=False)
    websocket_access: str | None = attrs.field(default=None, repr=False)
    extra: dict[str, Any] = _extra()


@attrs.frozen
class Organization(_JsonModel):
    """The caller's organization, as ``users/me`` describes it.

    :ivar id: The organization's id (a UUID, as text).
    :ivar name: Its display name.
    :ivar domains: The e-mail domains of its users.
    :ivar available_models: The names of the execution models it may order.
    :ivar webhooks_enabled: Whether Galatea sends it webhooks.
    :ivar webhooks_secret: The secret that signs its webhooks; never shown in ``repr``.
    :ivar report_ancestry_enabled: Whether it may order ancestry PDF reports.
    :ivar report_prs_ruo_cardio_enabled: Whether it may order ``PRS_RUO_CARDIO`` reports.
    :ivar report_prs_ruo_cancer_enabled: Whether it may order ``PRS_RUO_CANCER`` reports.
    :ivar report_prs_clinical_cardio_enabled: Whether it may order ``PRS_CLINICAL_CARDIO``
        reports.
    :ivar report_prs_clinical_cancer_enabled: Whether it may order ``PRS_CLINICAL_CANCER``
        reports.
    :ivar extra: Fields the server sent beyond these, by their JSON names.
    """

    id: str
    name: str | None = None
    domains: list[str] = attrs.field(factory=list)
    available_models: list[str] = attrs.field(factory=list)
    webhooks_enabled: bool | None = None
    webhooks_secret: str | None = attrs.field(default=None, repr=False)
    report_ancestry_enabled: bool | None = None
    report_prs_ruo_cardio_enabled: bool | None = None
    report_prs_ruo_cancer_enabled: bool | None = None
    report_prs_clinical_cardio_enabled: bool | None = None
    report_prs_clinical_cancer_enabled: bool | None = None
    extra: dict[str, Any] = _extra()


@attrs.frozen
class User(_JsonModel):
    """The caller's profile with its organization.

    :ivar id: The user's id (a UUID, as text).
    :ivar email: The e-mail address the user logs in with.
    :ivar first_name: The user's first name.
    :ivar last_name: The user's last name.
    :ivar role: The user's role in the organization (for example ``OrgUser``).
    :ivar is_active: Whether the account may log in.
    :ivar created_at: When the account was created.
    :ivar deleted_at: When the account was deleted, if it was.
    :ivar updated_at: When the account last changed.
    :ivar org: The user's organization.
    :ivar extra: Fields the server sent beyond these, by their JSON names.
    """

    id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    role: str | None = None
    is_active: bool | None = None
    created_at: dt.datetime | None = None
    deleted_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    org: Organization | None = None
    extra: dict[str, Any] = _extra()


@attrs.frozen
class OrganizationModel(_JsonModel):
    """An execution model the organization may order (``organizations/{id}/models``).

    :ivar name: The model's name, the ``model_name`` of ``orders.submit``.
    :ivar description: What the model computes.
    :ivar deprecated: Whether the model is deprecated (hidden with ``hide_deprecated``).
    :ivar pdf_report_types: The PDF reports an order of this model can ask for.
    :ivar extra: Fields the server sent beyond these, by their JSON names.
    """

    name: str
    description: str | None = None
    deprecated: bool | None = None
    pdf_report_types: list[PdfReportType] = attrs.field(factory=list)
    extra: dict[str, Any] = _extra()


@attrs.frozen
class SourceFile(_JsonModel):
    """An uploaded genotype or whole-genome file.

    :ivar id: The file's id (a UUID, as text).
    :ivar status: Its validation status; only ``VALID`` files can be ordered.
    :ivar src_file_name: The file's name as uploaded.
    :ivar src_short_file_path: Where the file is stored, relative to the organization's
        storage (``web-upload/...`` for browser uploads).
    :ivar file_size_bytes: The file's size in bytes.
    :ivar created_at: When it was uploaded.
    :ivar check_sum: The file's MD5, as hex.
    :ivar acceptable: Whether it may be ordered (the ``only_acceptable`` filter).
    :ivar purged_from_storage: Whether its bytes were removed from storage (its record stays).
    :ivar orders_count: How many orders were made from it.
    :ivar genome_type: What kind of genome it holds.
    :ivar amount_of_samples: How many samples it holds.
    :ivar deleted_at: When it was deleted, if it was.
    :ivar org_name: The name of the organization that owns it.
    :ivar check_completed: Whether validation has finished.
    :ivar sample_alias: A name of your choosing for its sample (``files.set_sample_alias``).
    :ivar check_information: Why validation failed, as the server explains it (any JSON).
    :ivar virtual: Whether the server marks it virtual (a file it did not receive as an
        upload).
    :ivar extra: Fields the server sent beyond these, by their JSON names.
    """

    id: str
    status: FileStatus | None = None
    src_file_name: str | None = None
    src_short_file_path: str | None = None
    file_size_bytes: int | None = None
    created_at: dt.datetime | None = None
    check_sum: str | None = None
    acceptable: bool | None = None
    purged_from_storage: bool | None = None
    orders_count: int | None = None
    genome_type: GenomeType | None = None
    amount_of_samples: int | None = None
    deleted_at: dt.datetime | None = None
    org_name: str | None = None
    check_completed: bool | None = None
    sample_alias: str | None = None
    check_information: Any = None
    virtual: bool | None = None
    extra: dict[str, Any] = _extra()

    @property
    def is_valid(self) -> bool:
        """Whether the file passed validation and can be ordered."""
        return self.status == FileStatus.VALID


@attrs.frozen
class Tag(_JsonModel):
    """An execution tag.

    :ivar id: The tag's id (a UUID, as text).
    :ivar name: The tag's name.
    :ivar org_id: The id of the organization that owns it.
    :ivar extra: Fields the server sent beyond these, by their JSON names.
    """

    id: str
    name: str | None = None
    org_id: str | None = None
    extra: dict[str, Any] = _extra()


def _patient_field() -> Any:
    return attrs.field(default=None, repr=False)


@attrs.frozen
class PdfMetadata(_JsonModel):
    """Patient details printed on PDF reports. Every field is left out of ``repr``.

    Dates are ``YYYY-MM-DD``; ``sex`` (Male or Female) is required for cancer reports and
    ``patient_name`` for the ancestry PDF model.

    :ivar patient_name: The patient's name.
    :ivar dob: The patient's date of birth.
    :ivar sex: The patient's sex, ``Male`` or ``Female`` (any case).
    :ivar patient_id: The patient's id in your records.
    :ivar accession: The accession number of the sample.
    :ivar sample_id: The sample's id in your records.
    :ivar collected: The date the sample was collected.
    :ivar received: The date the sample was received.
    :ivar specimen_type: The kind of specimen (for example saliva or blood).
    :ivar provider_name: The ordering provider's name.
    :ivar referring_facility: The referring facility's name.
    :ivar address: The address printed on the report.
    :ivar extra: Further fields sent as they are in ``pdf_metadata``.
    """

    patient_name: str | None = _patient_field()
    dob: str | None = _patient_field()
    sex: str | None = _patient_field()
    patient_id: str | None = _patient_field()
    accession: str | None = _patient_field()
    sample_id: str | None = _patient_field()
    collected: str | None = _patient_field()
    received: str | None = _patient_field()
    specimen_type: str | None = _patient_field()
    provider_name: str | None = _patient_field()
    referring_facility: str | None = _patient_field()
    address: str | None = _patient_field()
    extra: dict[str, Any] = _extra()

    def to_payload(self) -> dict[str, Any]:
        """The JSON object sent as ``pdf_metadata``: set fields only, extras included."""
        payload = {
            field.name: getattr(self, field.name)
            for field in attrs.fields(PdfMetadata)
            if field.name != "extra" and getattr(self, field.name) is not None
        }
        payload.update(self.extra)
        return payload


@attrs.frozen
class Order(_JsonModel):
    """An execution order.

    :ivar id: The order's id (a UUID, as text).
    :ivar status: Where the order is; ``is_final`` tells whether it can still change.
    :ivar src_file_id: The id of the source file it runs on.
    :ivar src_file_short_path: Where that file is stored, relative to the organization's
        storage.
    :ivar src_file_name: That file's name as uploaded.
    :ivar started_at: When the order started.
    :ivar amount_of_samples: How many samples it covers.
    :ivar execution_time: Seconds the model ran.
    :ivar submitted_by: The e-mail address of the user who submitted it.
    :ivar model: The execution model it runs.
    :ivar type: The kind of genome it runs on.
    :ivar org_name: The name of the organization that owns it.
    :ivar tags: Its tags.
    :ivar result_types: The result files it has, for ``results.download``.
    :ivar can_request_pdf: Whether PDF reports can be requested for it.
    :ivar virtual: Whether the server marks it virtual (made from a virtual file).
    :ivar has_error_log: Whether it has an ``EXEC_ERRORS`` result to explain a failure.
    :ivar result_json: The result inline, as ``GET exec/orders/{id}`` sends it (any JSON);
        ``results.json`` fetches it in full. Never shown in ``repr``.
    :ivar pdf_metadata: The patient details its PDF reports print; never shown in ``repr``.
    :ivar extra: Fields the server sent beyond these, by their JSON names.
    """

    id: str
    status: OrderStatus | None = None
    src_file_id: str | None = None
    src_file_short_path: str | None = None
    src_file_name: str | None = None
    started_at: dt.datetime | None = None
    amount_of_samples: int | None = None
    execution_time: float | None = None
    submitted_by: str | None = None
    model: str | None = None
    type: GenomeType | None = None
    org_name: str | None = None
    tags: list[Tag] = attrs.field(factory=list)
    result_types: list[ResultType] = attrs.field(factory=list)
    can_request_pdf: bool | None = None
    virtual: bool | None = None
    has_error_log: bool | None = None
    result_json: Any = attrs.field(default=None, repr=False)
    pdf_metadata: PdfMetadata | None = attrs.field(default=None, repr=False)
    extra: dict[str, Any] = _extra()

    @property
    def is_final(self) -> bool:
        """Whether the status is final: Completed, Failed, Canceled, Reports failed, QC failed."""
        return self.status in FINAL_ORDER_STATUSES

    @property
    def is_completed(self) -> bool:
        """Whether the order completed and its results can be downloaded."""
        return self.status == OrderStatus.COMPLETED


@attrs.frozen
class PdfReport(_JsonModel):
    """One generated PDF report of an order.

    :ivar id: The report request's id (the ``pdf_request_id`` of ``results.download``).
    :ivar status: Where its generation is (for example ``COMPLETED``).
    :ivar sample_id: The sample the report is about; never shown in ``repr``.
    :ivar order_id: The order it belongs to.
    :ivar result_id: The id of the result it was made from.
    :ivar org_name: The name of the organization that owns it.
    :ivar report_type: The kind of PRS report.
    :ivar request_type: What it was requested for: ``ORDER`` or ``SAMPLE``.
    :ivar request_version: The version of the report request (``request_version`` filter).
    :ivar report_version: The generator's version string.
    :ivar pdf_file_name: The PDF's file name (it holds the sample id); never shown in ``repr``.
    :ivar file_size_bytes: The PDF's size in bytes.
    :ivar check_sum: The PDF's MD5, as hex.
    :ivar started_at: When its generation started.
    :ivar completed_at: When its generation finished.
    :ivar extra: Fields the server sent beyond these, by their JSON names.
    """

    id: str
    status: str | None = None
    sample_id: str | None = attrs.field(default=None, repr=False)
    order_id: str | None = None
    result_id: str | None = None
    org_name: str | None = None
    report_type: PdfReportType | None = None
    request_type: str | None = None
    request_version: int | None = None
    report_version: str | None = None
    pdf_file_name: str | None = attrs.field(default=None, repr=False)
    file_size_bytes: int | None = None
    check_sum: str | None = None
    started_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    extra: dict[str, Any] = _extra()
