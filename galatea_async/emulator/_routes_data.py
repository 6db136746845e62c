"""Routes that move file contents: uploads, source file and result downloads, PDF reports."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from galatea_async._enums import ResultType
from galatea_async.emulator._blob import Blob
from galatea_async.emulator._content import result_json
from galatea_async.emulator._downloads import BlobResponse, DownloadCounter
from galatea_async.emulator._faults import FaultInjector
from galatea_async.emulator._genotype import inspect_source_file
from galatea_async.emulator._http import ApiProblem, empty, json_body, page, user_of
from galatea_async.emulator._queries import file_query
from galatea_async.emulator._records import PdfReportRecord, SourceFileRecord, web_upload_path
from galatea_async.emulator._shapes import file_json, report_json
from galatea_async.emulator._state import State

__all__ = ["MAX_UPLOAD_BYTES", "DataRoutes", "result_etag"]

# The reference: "files with size less than 50MB" go through the API; larger ones by SFTP.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
_JSON_RESULTS = (
    ResultType.SUMMARY_CHROMS,
    ResultType.SUMMARY_SUPERSET,
    ResultType.DETAILED_CHROMS,
    ResultType.DETAILED_SUPERSET,
)
_MEDIA_TYPES = {
    ".tsv": "text/tab-separated-values",
    ".zip": "application/zip",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".svg": "image/svg+xml",
}


def result_etag(*parts: object) -> str:
    """A strong ETag for deterministic content named by ``parts``."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()
    return f'"{digest[:32]}"'


_TOO_LARGE = "File is too large for web upload (limit 50 MB): use SFTP for it."


def _reports_matching(reports: list[PdfReportRecord], request: Request) -> list[PdfReportRecord]:
    """The PDF reports a listing's ``sample_id``, ``request_version`` and ``report_version``
    keep."""
    params = request.query_params
    if params.get("sample_id"):
        reports = [r for r in reports if r.sample_id == params["sample_id"]]
    if params.get("request_version"):
        try:
            version = int(params["request_version"])
        except ValueError:
            raise ApiProblem(400, "request_version: an integer is required") from None
        reports = [r for r in reports if r.request_version == version]
    if params.get("report_version"):
        reports = [r for r in reports if r.report_version == params["report_version"]]
    return reports


class DataRoutes:
    """The handlers (relative to ``/api/v1``) for files and results.

    ``accept_ranges`` is a one-item list the emulator can flip while serving.
    """

    def __init__(
        self,
        state: State,
        faults: FaultInjector,
        counter: DownloadCounter,
        accept_ranges: list[bool],
    ) -> None:
        self.state = state
        self.faults = faults
        self.counter = counter
        self.accept_ranges = accept_ranges

    def routes(self) -> list[Route]:
        """The routes, relative to ``/api/v1``."""
        return [
            Route("/data/files", self.files, methods=["GET"]),
            Route("/data/files/upload", self.upload, methods=["POST"]),
            Route("/data/files/{file_id}", self.source_file, methods=["PUT", "DELETE"]),
            Route("/data/files/{file_id}/download", self.source_download, methods=["GET"]),
            Route("/data/results/{order_id}/download", self.result_download, methods=["GET"]),
            Route("/data/results/{order_id}/json", self.result_json_view, methods=["GET"]),
            Route("/data/results/{order_id}/pdf_report", self.pdf_reports, methods=["GET"]),
            Route("/data/results/{order_id}/samples", self.samples, methods=["GET"]),
        ]

    def _stream(
        self, request: Request, blob: Blob, filename: str, etag: str, modified: datetime
    ) -> Response:
        extension = os.path.splitext(filename)[1].lower()
        return BlobResponse(
            blob,
            filename=filename,
            etag=etag,
            last_modified=modified,
            range_header=request.headers.get("range"),
            if_range=request.headers.get("if-range"),
            accept_ranges=self.accept_ranges[0] and not self.faults.ignore_ranges,
            counter=self.counter,
            media_type=_MEDIA_TYPES.get(extension, "application/octet-stream"),
        )

    async def files(self, request: Request) -> Response:
        state = self.state
        user_of(state.accounts, request)
        found = state.list_files(file_query(request.query_params))
        return page(request, self.faults, found, lambda f: file_json(state, f))

    async def upload(self, request: Request) -> Response:
        user_of(self.state.accounts, request)
        async with request.form(max_files=1, max_fields=10) as form:
            sent = form.get("file")
            if not isinstance(sent, UploadFile):
                raise ApiProblem(400, "file: No file was submitted.")
            if (sent.size or 0) >= MAX_UPLOAD_BYTES:
                raise ApiProblem(400, _TOO_LARGE)
            data = await sent.read()
            name = os.path.basename(sent.filename or "") or "upload.txt"
        if len(data) >= MAX_UPLOAD_BYTES:
            raise ApiProblem(400, _TOO_LARGE)
        if not data:
            raise ApiProblem(400, "file: The submitted file is empty.")
        now = self.state.clock.now()
        record = self.state.add_source_file(
            SourceFileRecord(
                id=self.state.new_id(),
                name=name,
                short_path=web_upload_path(name, now),
                content=Blob.of(data),
                created_at=now,
                verdict=inspect_source_file(data),
            )
        )
        return JSONResponse(file_json(self.state, record), status_code=201)

    async def source_file(self, request: Request) -> Response:
        user_of(self.state.accounts, request)
        record = self.state.live_file(request.path_params["file_id"])
        if request.method == "DELETE":
            self.state.delete_file(record)
            return empty(204)
        alias = (await json_body(request)).get("sample_alias")
        if alias is not None and not isinstance(alias, str):
            raise ApiProblem(400, "sample_alias: expected a string")
        record.sample_alias = alias
        return JSONResponse(file_json(self.state, record))

    async def source_download(self, request: Request) -> Response:
        user_of(self.state.accounts, request)
        record = self.state.live_file(request.path_params["file_id"])
        etag = f'"{record.content.md5_hex()}"'
        return self._stream(request, record.content, record.name, etag, record.created_at)

    async def result_download(self, request: Request) -> Response:
        state = self.state
        user_of(state.accounts, request)
        order = state.live_order(request.path_params["order_id"])
        result_type = request.query_params.get("result_type")
        if not result_type:
            raise ApiProblem(400, "result_type: This query parameter is required.")
        pdf_id = request.query_params.get("pdf_request_id") or None
        blob, filename = state.result_blob(order, result_type, pdf_id)
        etag = result_etag(order.id, result_type, pdf_id, blob.size)
        modified = state.order_finished_at(order) or order.created_at
        return self._stream(request, blob, filename, etag, modified)

    async def result_json_view(self, request: Request) -> Response:
        user_of(self.state.accounts, request)
        order = self.state.live_order(request.path_params["order_id"])
        wanted = request.query_params.get("result_type")
        if wanted and wanted not in _JSON_RESULTS:
            raise ApiProblem(
                400, f"result_type: JSON is only available for {', '.join(_JSON_RESULTS)}"
            )
        kinds = [wanted] if wanted else list(_JSON_RESULTS)
        for kind in kinds:
            self.state.result_blob(order, kind, None)  # 400/404 unless the order has this result
        if wanted:
            return JSONResponse(result_json(order.id, wanted, order.samples))
        return JSONResponse({k: result_json(order.id, k, order.samples) for k in kinds})

    async def pdf_reports(self, request: Request) -> Response:
        state = self.state
        user_of(state.accounts, request)
        order = state.live_order(request.path_params["order_id"])
        reports = list(order.reports) if state.order_status(order) == "Completed" else []
        found = _reports_matching(reports, request)
        return page(request, self.faults, found, lambda r: report_json(state, order, r))

    async def samples(self, request: Request) -> Response:
        user_of(self.state.accounts, request)
        order = self.state.live_order(request.path_params["order_id"])
        done = self.state.order_status(order) == "Completed"
        return JSONResponse(
            [
                {
                    "sample_id": sample,
                    "order_id": order.id,
                    "result_id": order.result_id,
                    "status": "COMPLETED" if done else "PENDING",
                }
                for sample in order.samples
            ]
        )
