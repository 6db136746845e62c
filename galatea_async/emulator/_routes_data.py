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
from galatea_async.emulator._http import empty, json_body, page, user_of
from galatea_async.emulator._records import ApiProblem, SourceFileRecord
from galatea_async.emulator._shapes import file_json, report_json
from galatea_async.emulator._state import State

__all__ = ["MAX_UPLOAD_BYTES", "data_routes", "result_etag"]

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


def data_routes(
    state: State, faults: FaultInjector, counter: DownloadCounter, accept_ranges: list[bool]
) -> list[Route]:
    """The routes (relative to ``/api/v1``) for files and results.

    ``accept_ranges`` is a one-item list the emulator can flip while serving.
    """

    def stream(
        request: Request, blob: Blob, filename: str, etag: str, modified: datetime
    ) -> Response:
        ranges = accept_ranges[0] and not faults.ignore_ranges
        extension = os.path.splitext(filename)[1].lower()
        return BlobResponse(
            blob,
            filename=filename,
            etag=etag,
            last_modified=modified,
            range_header=request.headers.get("range"),
            if_range=request.headers.get("if-range"),
            accept_ranges=ranges,
            counter=counter,
            media_type=_MEDIA_TYPES.get(extension, "application/octet-stream"),
        )

    async def files(request: Request) -> Response:
        user_of(state, request)
        found = state.list_files(dict(request.query_params))
        return page(request, faults, found, lambda f: file_json(state, f))

    async def upload(request: Request) -> Response:
        user_of(state, request)
        async with request.form(max_files=1, max_fields=10) as form:
            sent = form.get("file")
            if not isinstance(sent, UploadFile):
                raise ApiProblem(400, "file: No file was submitted.")
            if (sent.size or 0) >= MAX_UPLOAD_BYTES:
                raise ApiProblem(
                    400, "File is too large for web upload (limit 50 MB): use SFTP for it."
                )
            data = await sent.read()
            name = os.path.basename(sent.filename or "") or "upload.txt"
        if len(data) >= MAX_UPLOAD_BYTES:
            raise ApiProblem(
                400, "File is too large for web upload (limit 50 MB): use SFTP for it."
            )
        if not data:
            raise ApiProblem(400, "file: The submitted file is empty.")
        now = state.clock.now()
        record = SourceFileRecord(
            id=state.new_id(),
            name=name,
            short_path=f"web-upload/{now:%Y-%m-%d}/{now:%H%M%S}/{name}",
            content=Blob.of(data),
            created_at=now,
            verdict=inspect_source_file(data),
        )
        state.files[record.id] = record
        return JSONResponse(file_json(state, record), status_code=201)

    async def source_file(request: Request) -> Response:
        user_of(state, request)
        record = state.live_file(request.path_params["file_id"])
        if request.method == "DELETE":
            record.deleted_at = state.clock.now()
            return empty(204)
        body = await json_body(request)
        alias = body.get("sample_alias")
        if alias is not None and not isinstance(alias, str):
            raise ApiProblem(400, "sample_alias: expected a string")
        record.sample_alias = alias
        return JSONResponse(file_json(state, record))

    async def source_download(request: Request) -> Response:
        user_of(state, request)
        record = state.live_file(request.path_params["file_id"])
        etag = f'"{record.content.md5_hex()}"'
        return stream(request, record.content, record.name, etag, record.created_at)

    async def result_download(request: Request) -> Response:
        user_of(state, request)
        order = state.live_order(request.path_params["order_id"])
        result_type = request.query_params.get("result_type")
        if not result_type:
            raise ApiProblem(400, "result_type: This query parameter is required.")
        pdf_id = request.query_params.get("pdf_request_id") or None
        blob, filename = state.result_blob(order, result_type, pdf_id)
        etag = result_etag(order.id, result_type, pdf_id, blob.size)
        modified = state.order_finished_at(order) or order.created_at
        return stream(request, blob, filename, etag, modified)

    async def result_json_view(request: Request) -> Response:
        user_of(state, request)
        order = state.live_order(request.path_params["order_id"])
        wanted = request.query_params.get("result_type")
        if wanted and wanted not in _JSON_RESULTS:
            raise ApiProblem(
                400, f"result_type: JSON is only available for {', '.join(_JSON_RESULTS)}"
            )
        kinds = [wanted] if wanted else list(_JSON_RESULTS)
        for kind in kinds:
            state.result_blob(order, kind, None)  # 400/404 unless the order has this result
        if wanted:
            return JSONResponse(result_json(order.id, wanted, order.samples))
        return JSONResponse({k: result_json(order.id, k, order.samples) for k in kinds})

    async def pdf_reports(request: Request) -> Response:
        user_of(state, request)
        order = state.live_order(request.path_params["order_id"])
        reports = list(order.reports) if state.order_status(order) == "Completed" else []
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
        return page(request, faults, reports, lambda r: report_json(state, order, r))

    async def samples(request: Request) -> Response:
        user_of(state, request)
        order = state.live_order(request.path_params["order_id"])
        done = state.order_status(order) == "Completed"
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

    return [
        Route("/data/files", files, methods=["GET"]),
        Route("/data/files/upload", upload, methods=["POST"]),
        Route("/data/files/{file_id}", source_file, methods=["PUT", "DELETE"]),
        Route("/data/files/{file_id}/download", source_download, methods=["GET"]),
        Route("/data/results/{order_id}/download", result_download, methods=["GET"]),
        Route("/data/results/{order_id}/json", result_json_view, methods=["GET"]),
        Route("/data/results/{order_id}/pdf_report", pdf_reports, methods=["GET"]),
        Route("/data/results/{order_id}/samples", samples, methods=["GET"]),
    ]
